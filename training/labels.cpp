#include "training/labels.h"

#include <sstream>

namespace smile::training {

const std::array<std::string, kNumClasses>& LabelNames() {
  static const std::array<std::string, kNumClasses> kNames = {
      "background", "skin", "nose", "eye_g", "l_eye", "r_eye", "l_brow", "r_brow", "l_ear", "r_ear",
      "mouth", "u_lip", "l_lip", "hair", "hat", "ear_r", "neck_l", "neck", "cloth"};
  return kNames;
}

int LabelFromName(const std::string& name) {
  const auto& names = LabelNames();
  for (int i = 0; i < kNumClasses; ++i)
    if (names[i] == name) return i;
  return -1;
}

uint8_t MirrorLabel(uint8_t label) {
  switch (label) {
    case kLeftEye: return kRightEye;
    case kRightEye: return kLeftEye;
    case kLeftBrow: return kRightBrow;
    case kRightBrow: return kLeftBrow;
    case kLeftEar: return kRightEar;
    case kRightEar: return kLeftEar;
    default: return label;
  }
}

const std::array<cv::Vec3b, kNumClasses>& CelebAMaskPaletteBgr() {
  // RGB list of CelebAMask-HQ face_parsing/Data_preprocessing/g_color.py, stored as BGR.
  static const std::array<cv::Vec3b, kNumClasses> kPalette = [] {
    const int rgb[kNumClasses][3] = {{0, 0, 0},     {204, 0, 0},     {76, 153, 0},   {204, 204, 0},
                                     {51, 51, 255}, {204, 0, 204},   {0, 255, 255},  {255, 204, 204},
                                     {102, 51, 0},  {255, 0, 0},     {102, 204, 0},  {255, 255, 0},
                                     {0, 0, 153},   {0, 0, 204},     {255, 51, 153}, {0, 204, 204},
                                     {0, 51, 0},    {255, 153, 51},  {0, 204, 0}};
    std::array<cv::Vec3b, kNumClasses> p;
    for (int i = 0; i < kNumClasses; ++i)
      p[i] = cv::Vec3b(static_cast<uint8_t>(rgb[i][2]), static_cast<uint8_t>(rgb[i][1]),
                       static_cast<uint8_t>(rgb[i][0]));
    return p;
  }();
  return kPalette;
}

cv::Mat ColorizeLabels(const cv::Mat& labels) {
  CV_Assert(labels.type() == CV_8UC1);
  cv::Vec3b lut[256];
  for (int i = 0; i < 256; ++i) lut[i] = i < kNumClasses ? CelebAMaskPaletteBgr()[i] : cv::Vec3b(255, 255, 255);
  cv::Mat out(labels.size(), CV_8UC3);
  for (int y = 0; y < labels.rows; ++y) {
    const uint8_t* in = labels.ptr<uint8_t>(y);
    cv::Vec3b* o = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < labels.cols; ++x) o[x] = lut[in[x]];
  }
  return out;
}

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

}  // namespace smile::training
