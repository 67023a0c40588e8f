// Helpers shared by the capture tests: temp folders and a synthetic source.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "capture/source.h"

namespace smile::capture::testing {

inline std::string MediaDir() { return SMILE_MEDIA_DIR; }
inline std::string VideoDir() { return MediaDir() + "/video"; }
inline bool HaveMedia() { return std::filesystem::exists(VideoDir() + "/d3.mp4"); }
#define SMILE_SKIP_WITHOUT_MEDIA()                                                                    \
  if (!::smile::capture::testing::HaveMedia())                                                        \
  GTEST_SKIP() << "shared media not found at " << ::smile::capture::testing::VideoDir()               \
               << "; set SMILE_MEDIA_DIR (cmake -DSMILE_MEDIA_DIR=...) to the folder with video/"

// A fresh temp folder, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "smile-capture-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    path_ = mkdtemp(buf.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  // Names in the folder (including hidden ones), sorted.
  std::vector<std::string> List() const {
    std::vector<std::string> out;
    for (auto& e : std::filesystem::directory_iterator(path_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::string path_;
};

// A gradient image that changes with `i` (so frames differ).
inline cv::Mat TestImage(int w, int h, int i) {
  cv::Mat m(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m.at<cv::Vec3b>(y, x) = cv::Vec3b((x + i * 7) & 255, (y + i * 3) & 255, (i * 20) & 255);
  cv::putText(m, std::to_string(i), {4, h / 2}, cv::FONT_HERSHEY_SIMPLEX, 0.6, {255, 255, 255}, 2);
  return m;
}

// Synthetic source: n frames at `fps`; `period_us` > 0 paces it like a camera.
class SyntheticSource : public FrameSource {
 public:
  SyntheticSource(int n, int w, int h, double fps, bool live, int64_t period_us = 0)
      : n_(n), w_(w), h_(h), period_us_(period_us) {
    info_.uri = "synthetic";
    info_.width = w;
    info_.height = h;
    info_.fps = fps;
    info_.fps_num = static_cast<int>(fps);
    info_.fps_den = 1;
    info_.frame_count = live ? -1 : n;
    info_.is_live = live;
    info_.description = "synthetic";
  }
  const SourceInfo& info() const override { return info_; }
  int64_t frames_read() const override { return i_; }
  Result<Frame> Read() override {
    if (i_ >= n_) return EndOfStream();
    if (period_us_ > 0) std::this_thread::sleep_for(std::chrono::microseconds(period_us_));
    int64_t pts = static_cast<int64_t>(i_ * 1e6 / info_.fps);
    Frame f = Frame::FromMat(TestImage(w_, h_, static_cast<int>(i_)), pts, i_);
    ++i_;
    return f;
  }

 private:
  SourceInfo info_;
  int n_, w_, h_;
  int64_t period_us_;
  int64_t i_ = 0;
};

inline void CopyPrefix(const std::string& from, const std::string& to, double fraction) {
  std::ifstream in(from, std::ios::binary);
  std::vector<char> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream out(to, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size() * fraction));
}

inline bool Exists(const std::string& p) { return std::filesystem::exists(p); }

}  // namespace smile::capture::testing
