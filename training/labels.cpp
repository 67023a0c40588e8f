#include "training/labels.h"

#include "core/face_labels.h"

#include <sstream>

namespace smile::training {

const std::array<std::string, kNumClasses>& LabelNames() {
  static const std::array<std::string, kNumClasses> kNames = [] {
    std::array<std::string, kNumClasses> n;
    for (int i = 0; i < kNumClasses; ++i) n[i] = ::smile::LabelName(i);
    return n;
  }();
  return kNames;
}

int LabelFromName(const std::string& name) {
  const auto& names = LabelNames();
  for (int i = 0; i < kNumClasses; ++i)
    if (names[i] == name) return i;
  return -1;
}

uint8_t MirrorLabel(uint8_t label) { return static_cast<uint8_t>(::smile::MirrorLabel(label)); }

const std::array<cv::Vec3b, kNumClasses>& CelebAMaskPaletteBgr() {
  static const std::array<cv::Vec3b, kNumClasses> kPalette = [] {
    std::array<cv::Vec3b, kNumClasses> p;
    for (int i = 0; i < kNumClasses; ++i) p[i] = ::smile::LabelColor(i);
    return p;
  }();
  return kPalette;
}

cv::Mat ColorizeLabels(const cv::Mat& labels) { return ::smile::ColorizeLabels(labels); }

std::array<int64_t, kNumClasses> ClassHistogram(const cv::Mat& labels) {
  std::array<int64_t, kNumClasses> h{};
  if (labels.type() != CV_8UC1) return h;
  for (int y = 0; y < labels.rows; ++y) {
    const uint8_t* p = labels.ptr<uint8_t>(y);
    for (int x = 0; x < labels.cols; ++x)
      if (p[x] < kNumClasses) ++h[p[x]];
  }
  return h;
}

Status ValidateLabelMap(const cv::Mat& labels) {
  if (labels.empty()) return Corrupt("label map is empty");
  if (labels.type() != CV_8UC1) {
    std::ostringstream os;
    os << "label map must be one 8-bit channel of class ids (got " << labels.channels() << " channel(s), depth "
       << labels.depth() << "); save it as a grayscale uint8 PNG";
    return Corrupt(os.str());
  }
  int64_t counts[256] = {0};
  for (int y = 0; y < labels.rows; ++y) {
    const uint8_t* p = labels.ptr<uint8_t>(y);
    for (int x = 0; x < labels.cols; ++x) ++counts[p[x]];
  }
  for (int id = kNumClasses; id < 256; ++id) {
    if (counts[id] == 0) continue;
    std::ostringstream os;
    os << "class id " << id << " out of range 0.." << kNumClasses - 1 << " (" << counts[id]
       << " pixels); label maps must hold CelebAMask-HQ class indices, not colours";
    return Corrupt(os.str());
  }
  return Status::Ok();
}

LabelBox Union(const LabelBox& a, const LabelBox& b) {
  LabelBox u = a;
  if (b.empty()) return u;
  if (u.empty()) return b;
  u.x0 = std::min(u.x0, b.x0); u.y0 = std::min(u.y0, b.y0);
  u.x1 = std::max(u.x1, b.x1); u.y1 = std::max(u.y1, b.y1); u.n += b.n;
  return u;
}

}  // namespace smile::training
