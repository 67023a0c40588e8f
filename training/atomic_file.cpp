#include "training/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <opencv2/imgcodecs.hpp>

namespace smile::training {
namespace fs = std::filesystem;

Status WriteFileAtomic(const std::string& path, const std::string& bytes) {
  static std::atomic<uint64_t> counter{0};
  fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  std::ostringstream tmp_name;
  tmp_name << path << ".tmp." << ::getpid() << "." << std::hash<std::thread::id>()(std::this_thread::get_id()) % 100000
           << "." << counter++;
  const std::string tmp = tmp_name.str();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return IoError("cannot create '" + tmp + "': " + std::strerror(errno) + "; check that the folder is writable");
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string err = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return IoError("cannot write '" + tmp + "': " + err + "; check free disk space");
    }
    done += static_cast<size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    return IoError("cannot rename '" + tmp + "' to '" + path + "': " + err);
  }
  return Status::Ok();
}

Status WriteImageAtomic(const std::string& path, const cv::Mat& image, const std::vector<int>& params) {
  if (image.empty()) return InvalidArgument("cannot write an empty image to '" + path + "'");
  std::string ext = fs::path(path).extension().string();
  if (ext.empty()) return InvalidArgument("'" + path + "' has no extension; name it .png or .jpg");
  std::vector<uchar> buf;
  bool ok = false;
  try {
    ok = cv::imencode(ext, image, buf, params);
  } catch (const cv::Exception& e) {
    return Unsupported("cannot encode '" + path + "': " + e.what());
  }
  if (!ok) return Unsupported("cannot encode '" + path + "' as " + ext + "; use .png or .jpg");
  return WriteFileAtomic(path, std::string(buf.begin(), buf.end()));
}

Result<std::string> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open '" + path + "'; check the path");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return IoError("cannot read '" + path + "'");
  return ss.str();
}

}  // namespace smile::training
