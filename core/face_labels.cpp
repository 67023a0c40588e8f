#include "core/face_labels.h"

#include <algorithm>
#include <cstdint>

#include <opencv2/imgproc.hpp>

namespace smile {
namespace {
const std::array<const char*, kNumLabels> kNames = {
    "background", "skin", "nose", "eye_g", "l_eye", "r_eye", "l_brow", "r_brow", "l_ear", "r_ear",
    "mouth", "u_lip", "l_lip", "hair", "hat", "ear_r", "neck_l", "neck", "cloth"};
// CelebAMask-HQ palette: face_parsing/Data_preprocessing/g_color.py (RGB), stored as BGR.
const std::array<cv::Vec3b, kNumLabels> kColors = [] {
  const int rgb[kNumLabels][3] = {{0, 0, 0},     {204, 0, 0},   {76, 153, 0},   {204, 204, 0},  {51, 51, 255},
                                  {204, 0, 204}, {0, 255, 255}, {255, 204, 204}, {102, 51, 0},  {255, 0, 0},
                                  {102, 204, 0}, {255, 255, 0}, {0, 0, 153},    {0, 0, 204},    {255, 51, 153},
                                  {0, 204, 204}, {0, 51, 0},    {255, 153, 51}, {0, 204, 0}};
  std::array<cv::Vec3b, kNumLabels> p;
  for (int i = 0; i < kNumLabels; ++i)
    p[i] = cv::Vec3b(static_cast<uint8_t>(rgb[i][2]), static_cast<uint8_t>(rgb[i][1]), static_cast<uint8_t>(rgb[i][0]));
  return p;
}();
}  // namespace

const char* LabelName(int label) {
  if (label == kIris) return "iris";
  return label >= 0 && label < kNumLabels ? kNames[label] : "invalid";
}

int LabelFromName(const std::string& name) {
  for (int i = 0; i < kNumLabels; ++i)
    if (name == kNames[i]) return i;
  return name == "iris" ? kIris : -1;
}

cv::Vec3b LabelColor(int label) {
  if (label == kIris) return cv::Vec3b(255, 255, 102);  // light cyan (BGR), apart from both eye colours
  return label >= 0 && label < kNumLabels ? kColors[label] : cv::Vec3b(255, 255, 255);
}

cv::Mat ColorizeLabels(const cv::Mat& labels) {
  CV_Assert(labels.type() == CV_8U);
  cv::Mat out(labels.size(), CV_8UC3);
  for (int y = 0; y < labels.rows; ++y) {
    const uint8_t* l = labels.ptr<uint8_t>(y);
    cv::Vec3b* o = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < labels.cols; ++x) o[x] = LabelColor(l[x]);
  }
  return out;
}

cv::Mat OverlayLabels(const cv::Mat& bgr, const cv::Mat& labels, double alpha) {
  cv::Mat base = bgr;
  if (bgr.channels() == 1) cv::cvtColor(bgr, base, cv::COLOR_GRAY2BGR);
  cv::Mat lab = labels;
  if (lab.size() != base.size()) cv::resize(labels, lab, base.size(), 0, 0, cv::INTER_NEAREST);
  cv::Mat color = ColorizeLabels(lab), out = base.clone();
  for (int y = 0; y < out.rows; ++y) {
    const uint8_t* l = lab.ptr<uint8_t>(y);
    const cv::Vec3b* c = color.ptr<cv::Vec3b>(y);
    cv::Vec3b* o = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < out.cols; ++x) {
      if (l[x] == kBackground) continue;
      for (int k = 0; k < 3; ++k) o[x][k] = cv::saturate_cast<uint8_t>((1 - alpha) * o[x][k] + alpha * c[x][k]);
    }
  }
  return out;
}

int MirrorLabel(int label) {
  switch (label) {
    case kLEye: return kREye;
    case kREye: return kLEye;
    case kLBrow: return kRBrow;
    case kRBrow: return kLBrow;
    case kLEar: return kREar;
    case kREar: return kLEar;
    default: return label;
  }
}

bool IsHeadLabel(int label, bool include_neck) {
  return (label >= kSkin && label <= kEarR) || label == kIris || (include_neck && label == kNeck);
}

cv::Mat HeadRegion(const cv::Mat& labels, bool include_neck) {
  CV_Assert(labels.type() == CV_8UC1);
  cv::Mat region(labels.size(), CV_8UC1);
  for (int y = 0; y < labels.rows; ++y) {
    const uint8_t* l = labels.ptr<uint8_t>(y);
    uint8_t* r = region.ptr<uint8_t>(y);
    for (int x = 0; x < labels.cols; ++x) r[x] = IsHeadLabel(l[x], include_neck) ? 255 : 0;
  }
  return region;
}

namespace {
struct PartBox {
  int x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1;
  void Add(int x, int y) {
    x0 = std::min(x0, x), y0 = std::min(y0, y);
    x1 = std::max(x1, x), y1 = std::max(y1, y);
  }
  bool empty() const { return x1 < 0; }
};

// Fraction of hair pixels inside rows [r0, r1) x cols [c0, c1].
double HairFraction(const cv::Mat& labels, int r0, int r1, int c0, int c1) {
  r0 = std::max(0, r0), r1 = std::min(labels.rows, r1);
  c0 = std::max(0, c0), c1 = std::min(labels.cols - 1, c1);
  int64_t hair = 0, all = 0;
  for (int y = r0; y < r1; ++y) {
    const uint8_t* p = labels.ptr<uint8_t>(y);
    for (int x = c0; x <= c1; ++x) ++all, hair += p[x] == kHair;
  }
  return all ? static_cast<double>(hair) / all : 0.0;
}
}  // namespace

std::array<int, 6> MaskAttributes(const cv::Mat& labels) {
  std::array<int, 6> d;
  d.fill(-1);
  if (labels.empty() || labels.type() != CV_8UC1) return d;
  int64_t h[256] = {0};
  PartBox brows, eyes;
  for (int y = 0; y < labels.rows; ++y) {
    const uint8_t* p = labels.ptr<uint8_t>(y);
    for (int x = 0; x < labels.cols; ++x) {
      ++h[p[x]];
      if (p[x] == kLBrow || p[x] == kRBrow) brows.Add(x, y);
      if (p[x] == kLEye || p[x] == kREye) eyes.Add(x, y);
    }
  }
  int64_t face = 0;
  for (int c = kSkin; c <= kLLip; ++c) face += h[c];
  if (face < 0.005 * labels.total()) return d;  // no face to judge
  const double f = static_cast<double>(face);
  d[1] = h[kEyeG] >= 0.02 * f;
  const bool hat = h[kHat] >= 0.05 * f;
  d[5] = hat;
  d[4] = h[kEarR] >= 0.001 * f;
  if (h[kHair] >= 0.15 * f) d[2] = 1;  // much hair
  else if (!hat) d[2] = 0;             // few hair; under a hat the amount is unknown
  if (!brows.empty() && brows.x1 - brows.x0 > 4) {
    const int band = std::max(2, (brows.x1 - brows.x0) / 6);
    d[3] = HairFraction(labels, brows.y0 - band, brows.y0, brows.x0, brows.x1) >= 0.3;
  } else if (!eyes.empty() && eyes.x1 - eyes.x0 > 4) {  // brows hidden: where they would be
    const int span = eyes.x1 - eyes.x0;
    d[3] = HairFraction(labels, eyes.y0 - span / 3, eyes.y0 - span / 12, eyes.x0, eyes.x1) >= 0.3;
  }
  return d;
}

}  // namespace smile
