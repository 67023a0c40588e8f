// Image sources: one image, a folder of images (natural sort), or a printf
// pattern (dir/%05d.png, first index 0..4 like FFmpeg's image2 demuxer).
// cv::imread with IMREAD_COLOR applies the EXIF orientation.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "capture/source.h"

namespace smile::capture {
namespace {

bool FileExists(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string FormatPattern(const std::string& pattern, int64_t index) {
  std::vector<char> buf(pattern.size() + 64);
  std::snprintf(buf.data(), buf.size(), pattern.c_str(), static_cast<int>(index));
  return buf.data();
}

// "img2.png" < "img10.png".
bool NaturalLess(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      size_t i2 = i, j2 = j;
      while (i2 < a.size() && std::isdigit(static_cast<unsigned char>(a[i2]))) ++i2;
      while (j2 < b.size() && std::isdigit(static_cast<unsigned char>(b[j2]))) ++j2;
      std::string na = a.substr(i, i2 - i), nb = b.substr(j, j2 - j);
      na.erase(0, std::min(na.find_first_not_of('0'), na.size()));
      nb.erase(0, std::min(nb.find_first_not_of('0'), nb.size()));
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = i2, j = j2;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i, ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

class ImageSource : public FrameSource {
 public:
  Status Open(const std::string& uri, SourceKind kind, const SourceOptions& options) {
    options_ = options;
    info_.uri = uri;
    info_.kind = kind;
    info_.video_codec = "image";
    if (kind == SourceKind::kImage) {
      if (!FileExists(uri)) return NotFound("cannot open '" + uri + "': file not found; check the path");
      files_.push_back(uri);
    } else if (kind == SourceKind::kImageFolder) {
      DIR* dir = opendir(uri.c_str());
      if (!dir) return NotFound("cannot open folder '" + uri + "': not found or not readable; check the path");
      while (dirent* e = readdir(dir)) {
        std::string name = e->d_name;
        if (name.empty() || name[0] == '.') continue;
        std::string full = uri + (uri.back() == '/' ? "" : "/") + name;
        if (IsImageExtension(name) && FileExists(full)) files_.push_back(full);
      }
      closedir(dir);
      std::sort(files_.begin(), files_.end(), NaturalLess);
      if (files_.empty()) {
        return NotFound("folder '" + uri + "' has no images (.png .jpg .jpeg .bmp .tif .tiff .webp); check the path");
      }
    } else {  // pattern
      int64_t first = -1;
      for (int64_t i = 0; i <= 4; ++i) {
        if (FileExists(FormatPattern(uri, i))) {
          first = i;
          break;
        }
      }
      if (first < 0) {
        return NotFound("no images match '" + uri + "' (tried " + FormatPattern(uri, 0) + " .. " +
                        FormatPattern(uri, 4) + "); check the pattern and folder");
      }
      for (int64_t i = first;; ++i) {
        std::string p = FormatPattern(uri, i);
        if (!FileExists(p)) break;
        files_.push_back(p);
      }
    }
    // Size from the first image.
    cv::Mat first = cv::imread(files_[0], cv::IMREAD_COLOR);
    if (first.empty()) {
      return Corrupt("cannot decode image '" + files_[0] + "': not a readable image; re-export it as PNG or JPEG");
    }
    first_ = first;
    info_.width = first.cols;
    info_.height = first.rows;
    info_.fps = options.image_fps > 0 ? options.image_fps : 25.0;
    info_.fps_num = static_cast<int>(std::lround(info_.fps * 1000));
    info_.fps_den = 1000;
    if (std::fabs(info_.fps - std::round(info_.fps)) < 1e-9) {
      info_.fps_num = static_cast<int>(std::lround(info_.fps));
      info_.fps_den = 1;
    }
    info_.frame_count = static_cast<int64_t>(files_.size());
    if (options.max_frames >= 0) info_.frame_count = std::min(info_.frame_count, options.max_frames);
    info_.duration_s = info_.frame_count / info_.fps;
    info_.is_live = options.force_live;
    char desc[512];
    std::snprintf(desc, sizeof(desc), "%s '%s' (%zu image%s, %dx%d)",
                  kind == SourceKind::kImage ? "image" : kind == SourceKind::kImageFolder ? "folder" : "sequence",
                  uri.c_str(), files_.size(), files_.size() == 1 ? "" : "s", info_.width, info_.height);
    info_.description = desc;
    return Status::Ok();
  }

  const SourceInfo& info() const override { return info_; }
  int64_t frames_read() const override { return next_; }

  Result<Frame> Read() override {
    if (next_ >= static_cast<int64_t>(files_.size())) return EndOfStream();
    if (options_.max_frames >= 0 && next_ >= options_.max_frames) return EndOfStream();
    cv::Mat img;
    if (next_ == 0 && !first_.empty()) {
      img = std::move(first_);
      first_ = cv::Mat();
    } else {
      img = cv::imread(files_[next_], cv::IMREAD_COLOR);
    }
    if (img.empty()) {
      return Corrupt("cannot decode image '" + files_[next_] + "'; remove it or re-export it as PNG or JPEG");
    }
    int64_t pts = static_cast<int64_t>(std::llround(next_ * 1e6 / info_.fps));
    Frame f = Frame::FromMat(std::move(img), pts, next_);
    f = f.WithMetadata("path", files_[next_]);
    ++next_;
    return f;
  }

 private:
  SourceOptions options_;
  SourceInfo info_;
  std::vector<std::string> files_;
  cv::Mat first_;
  int64_t next_ = 0;
};

}  // namespace

bool IsImageExtension(const std::string& path) {
  size_t dot = path.find_last_of('.');
  if (dot == std::string::npos) return false;
  std::string ext = path.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* e : {"png", "jpg", "jpeg", "bmp", "tif", "tiff", "webp", "ppm", "pgm"}) {
    if (ext == e) return true;
  }
  return false;
}

Result<std::unique_ptr<FrameSource>> OpenImageSource(const std::string& uri, SourceKind kind,
                                                     const SourceOptions& options) {
  auto src = std::make_unique<ImageSource>();
  SMILE_RETURN_IF_ERROR(src->Open(uri, kind, options));
  return std::unique_ptr<FrameSource>(std::move(src));
}

}  // namespace smile::capture
