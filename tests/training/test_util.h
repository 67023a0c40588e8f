// Helpers shared by the training tests: temp folders and tiny datasets built
// from the real media (or drawn synthetically for the fast tests).
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "tests/temp_path.h"
#include "training/labels.h"

namespace smile::training::testing {

namespace fs = std::filesystem;

class TempDir : public smile::testing::ScopedTempDir {
 public:
  TempDir() : ScopedTempDir("smile_train") {}
};

inline std::string MediaDir() { return SMILE_MEDIA_DIR; }
inline std::string CelebAMaskDir() { return MediaDir() + "/celebamask"; }
inline bool HaveCelebAMask() { return fs::is_regular_file(CelebAMaskDir() + "/0.png"); }

// A synthetic face-like label map: skin ellipse, eyes/brows on the subject's sides
// (l_* on the image's right), nose, lips, hair on top.
inline cv::Mat SyntheticLabels(int size) {
  cv::Mat m(size, size, CV_8UC1, cv::Scalar(kBackground));
  double s = size / 64.0;
  auto P = [&](double x, double y) { return cv::Point(static_cast<int>(x * s), static_cast<int>(y * s)); };
  cv::rectangle(m, P(0, 52), P(64, 64), cv::Scalar(kCloth), cv::FILLED);
  cv::rectangle(m, P(24, 44), P(40, 56), cv::Scalar(kNeck), cv::FILLED);
  cv::ellipse(m, P(32, 30), cv::Size(static_cast<int>(18 * s), static_cast<int>(22 * s)), 0, 0, 360,
              cv::Scalar(kSkin), cv::FILLED);
  cv::rectangle(m, P(14, 4), P(50, 12), cv::Scalar(kHair), cv::FILLED);
  cv::rectangle(m, P(20, 20), P(28, 22), cv::Scalar(kRightBrow), cv::FILLED);
  cv::rectangle(m, P(36, 20), P(44, 22), cv::Scalar(kLeftBrow), cv::FILLED);
  cv::rectangle(m, P(21, 25), P(27, 28), cv::Scalar(kRightEye), cv::FILLED);
  cv::rectangle(m, P(37, 25), P(43, 28), cv::Scalar(kLeftEye), cv::FILLED);
  cv::rectangle(m, P(30, 28), P(34, 36), cv::Scalar(kNose), cv::FILLED);
  cv::rectangle(m, P(26, 40), P(38, 42), cv::Scalar(kUpperLip), cv::FILLED);
  cv::rectangle(m, P(26, 42), P(38, 44), cv::Scalar(kLowerLip), cv::FILLED);
  cv::rectangle(m, P(12, 26), P(14, 34), cv::Scalar(kRightEar), cv::FILLED);
  cv::rectangle(m, P(50, 26), P(52, 34), cv::Scalar(kLeftEar), cv::FILLED);
  return m;
}

// A photo-like image whose colours follow the labels (so the pairing is checkable).
inline cv::Mat SyntheticImage(const cv::Mat& labels) {
  cv::Mat img = ColorizeLabels(labels);
  cv::GaussianBlur(img, img, cv::Size(3, 3), 0);
  return img;
}

inline void WriteBytes(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

// Splits a class map into CelebAMask-HQ per-part binary PNGs (0/255) for sample `id`.
inline void WriteParts(const fs::path& root, int id, const cv::Mat& labels) {
  char name[32];
  fs::path dir = root / "CelebAMask-HQ-mask-anno" / std::to_string(id / 2000);
  fs::create_directories(dir);
  for (int c = 1; c < kNumClasses; ++c) {
    cv::Mat part = (labels == c);
    if (cv::countNonZero(part) == 0) continue;
    std::snprintf(name, sizeof(name), "%05d_%s.png", id, LabelNames()[c].c_str());
    cv::imwrite((dir / name).string(), part);
  }
}

}  // namespace smile::training::testing
