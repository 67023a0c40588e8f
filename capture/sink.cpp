#include "capture/sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "capture/source.h"

namespace smile::capture {

const char* SinkKindName(SinkKind kind) {
  switch (kind) {
    case SinkKind::kVideoFile: return "video file";
    case SinkKind::kImageSequence: return "image sequence";
    case SinkKind::kPreview: return "preview window";
    case SinkKind::kGStreamer: return "GStreamer pipeline";
  }
  return "unknown";
}

std::string PartialPathFor(const std::string& final_path) {
  size_t slash = final_path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "" : final_path.substr(0, slash + 1);
  std::string name = slash == std::string::npos ? final_path : final_path.substr(slash + 1);
  size_t dot = name.find_last_of('.');
  std::string stem = dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
  std::string ext = dot == std::string::npos || dot == 0 ? "" : name.substr(dot);
  // A file name may hold 255 bytes: a long final name gets a shortened stem plus
  // a hash of the full name, so the temporary name stays valid and unique.
  constexpr size_t kNameMax = 255;
  if (1 + stem.size() + 8 + ext.size() > kNameMax && ext.size() < 64) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
    char hex[20];
    std::snprintf(hex, sizeof(hex), "~%016llx", static_cast<unsigned long long>(h));
    stem = stem.substr(0, kNameMax - 1 - 8 - ext.size() - 17) + hex;
  }
  return dir + "." + stem + ".partial" + ext;
}

static std::string DirOf(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

static Status MakeDirs(const std::string& dir) {
  if (dir.empty() || dir == "." || dir == "/") return Status::Ok();
  struct stat st {};
  if (stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::Ok();
    return IoError("cannot write into '" + dir + "': it is a file, not a folder; choose another output path");
  }
  SMILE_RETURN_IF_ERROR(MakeDirs(DirOf(dir)));
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return IoError("cannot create output folder '" + dir + "': " + std::strerror(errno) +
                   "; create it yourself or choose a writable location");
  }
  return Status::Ok();
}

Status CheckOutputFolder(const std::string& path, bool create) {
  const std::string dir = DirOf(path);
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0) {
    if (!create) {
      return IoError("output folder '" + dir + "' does not exist; create it (mkdir -p " + dir +
                     ") or choose another output path");
    }
    SMILE_RETURN_IF_ERROR(MakeDirs(dir));
  } else if (!S_ISDIR(st.st_mode)) {
    return IoError("cannot write '" + path + "': '" + dir + "' is not a folder; choose another output path");
  }
  // Really try: access() lies for root on read-only mounts and ignores ACLs.
  std::string probe = dir + "/.smile-write-test-" + std::to_string(getpid());
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) {
    return IoError("cannot write into output folder '" + dir + "': " + std::strerror(errno) +
                   "; choose a writable location or fix the folder's permissions");
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return Status::Ok();
}

bool SameFile(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  if (stat(a.c_str(), &sa) != 0 || stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static std::string LowerExt(const std::string& path) {
  size_t slash = path.find_last_of('/');
  size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  std::string ext = path.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

Result<SinkKind> ClassifySink(const std::string& uri) {
  if (uri.empty()) return InvalidArgument("empty output; give a .mp4/.mov/.mkv file, a folder, 'window' or gst:<pipeline>");
  if (uri.rfind("gst:", 0) == 0 || uri.find(" ! ") != std::string::npos) return SinkKind::kGStreamer;
  if (uri == "window" || uri == "preview" || uri == "screen" || uri == ":window") return SinkKind::kPreview;
  const std::string ext = LowerExt(uri);
  if (ext == "mp4" || ext == "mov" || ext == "m4v" || ext == "mkv") return SinkKind::kVideoFile;
  if (uri.find('%') != std::string::npos) {
    if (ext == "png" || ext == "jpg" || ext == "jpeg" || ext == "bmp" || ext == "tif" || ext == "tiff") {
      return SinkKind::kImageSequence;
    }
    return InvalidArgument("output pattern '" + uri + "' needs an image extension, e.g. out/%05d.png");
  }
  struct stat st {};
  if (uri.back() == '/' || (stat(uri.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) || ext.empty()) {
    return SinkKind::kImageSequence;
  }
  return InvalidArgument("unsupported output '" + uri +
                         "'; use a .mp4, .mov or .mkv file, a folder or out/%05d.png pattern for PNGs, "
                         "'window' for a preview, or gst:<pipeline>");
}

bool WatermarkEnabled(const SinkOptions& options, SinkKind kind) {
  if (options.watermark == WatermarkMode::kOn) return true;
  if (options.watermark == WatermarkMode::kOff) return false;
  return kind == SinkKind::kGStreamer;
}

namespace {

// Draws the visible watermark on a copy of every frame, then hands it on.
class WatermarkSink : public FrameSink {
 public:
  WatermarkSink(std::unique_ptr<FrameSink> inner, WatermarkOptions options)
      : inner_(std::move(inner)), options_(std::move(options)) {}
  Status Write(const Frame& frame) override {
    if (frame.empty()) return inner_->Write(frame);
    cv::Mat marked = frame.image->clone();
    DrawWatermark(marked, options_);
    Frame out = frame;
    out.image = std::make_shared<const cv::Mat>(std::move(marked));
    return inner_->Write(out);
  }
  void MarkInputComplete() override { inner_->MarkInputComplete(); }
  Status Close() override { return inner_->Close(); }
  void Abort() override { inner_->Abort(); }
  int64_t frames_written() const override { return inner_->frames_written(); }
  std::string target() const override { return inner_->target(); }

 private:
  std::unique_ptr<FrameSink> inner_;
  WatermarkOptions options_;
};

Result<std::unique_ptr<FrameSink>> OpenSinkOfKind(const std::string& uri, SinkKind kind, const SinkOptions& options) {
  switch (kind) {
    case SinkKind::kVideoFile: return OpenVideoFileSink(uri, options);
    case SinkKind::kImageSequence: return OpenImageSequenceSink(uri, options);
    case SinkKind::kPreview: return OpenPreviewSink(options);
    case SinkKind::kGStreamer: return OpenGstSink(uri, options);
  }
  return Internal("unhandled sink kind for '" + uri + "'");
}

}  // namespace

Result<std::unique_ptr<FrameSink>> OpenSink(const std::string& uri, const SinkOptions& options) {
  SMILE_ASSIGN_OR_RETURN(SinkKind kind, ClassifySink(uri));
  SMILE_ASSIGN_OR_RETURN(auto sink, OpenSinkOfKind(uri, kind, options));
  if (!WatermarkEnabled(options, kind)) return sink;
  return std::unique_ptr<FrameSink>(std::make_unique<WatermarkSink>(std::move(sink), options.watermark_options));
}

}  // namespace smile::capture
