// The 19 CelebAMask-HQ classes, their left/right mirror, the standard colour
// palette and label-map validation. Depends only on OpenCV core/imgproc (no
// torch) so that the engine can reuse ColorizeLabels / CelebAMaskPaletteBgr.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

#include "core/status.h"

namespace smile::training {

constexpr int kNumClasses = 19;

// CelebAMask-HQ label indices (the order used by SMILE and most face parsers).
enum Label : uint8_t {
  kBackground = 0, kSkin = 1, kNose = 2, kEyeGlasses = 3, kLeftEye = 4, kRightEye = 5,
  kLeftBrow = 6, kRightBrow = 7, kLeftEar = 8, kRightEar = 9, kMouth = 10, kUpperLip = 11,
  kLowerLip = 12, kHair = 13, kHat = 14, kEarring = 15, kNecklace = 16, kNeck = 17, kCloth = 18,
};

// "background", "skin", "nose", "eye_g", "l_eye", ... (CelebAMask-HQ part names; 0 is "background").
const std::array<std::string, kNumClasses>& LabelNames();
// Index of a CelebAMask-HQ part name ("l_eye" -> 4); -1 when unknown.
int LabelFromName(const std::string& name);

// The class a pixel gets after a horizontal flip: l_eye<->r_eye, l_brow<->r_brow,
// l_ear<->r_ear; every other class maps to itself.
uint8_t MirrorLabel(uint8_t label);

// The standard CelebAMask-HQ colour of each class (the dataset's g_color.py list), as BGR.
const std::array<cv::Vec3b, kNumClasses>& CelebAMaskPaletteBgr();

// CV_8UC1 class map -> CV_8UC3 BGR image in the palette; ids outside 0..18 are drawn white.
cv::Mat ColorizeLabels(const cv::Mat& labels);

// Checks a label map: non-empty, CV_8UC1, every id <= 18. The error names the
// first bad id and how many pixels carry it.
Status ValidateLabelMap(const cv::Mat& labels);

// Per-class pixel counts of a CV_8UC1 map (ids > 18 are ignored).
std::array<int64_t, kNumClasses> ClassHistogram(const cv::Mat& labels);

// Bounding box of label pixels, grown point by point (attribute derivation, mask edits).
struct LabelBox {
  int x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1;
  int64_t n = 0;  // pixels added
  void Add(int x, int y) {
    x0 = std::min(x0, x); y0 = std::min(y0, y); x1 = std::max(x1, x); y1 = std::max(y1, y); ++n;
  }
  bool empty() const { return n == 0; }
  int w() const { return x1 - x0 + 1; }
  int h() const { return y1 - y0 + 1; }
  double cx() const { return (x0 + x1) * 0.5; }
  double cy() const { return (y0 + y1) * 0.5; }
};
// The box holding both (pixel counts add up).
LabelBox Union(const LabelBox& a, const LabelBox& b);

}  // namespace smile::training
