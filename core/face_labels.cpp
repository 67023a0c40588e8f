#include "core/face_labels.h"

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
  return label >= 0 && label < kNumLabels ? kNames[label] : "invalid";
}

int LabelFromName(const std::string& name) {
  for (int i = 0; i < kNumLabels; ++i)
    if (name == kNames[i]) return i;
  return -1;
}

cv::Vec3b LabelColor(int label) {
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
  return (label >= kSkin && label <= kEarR) || (include_neck && label == kNeck);
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

}  // namespace smile
