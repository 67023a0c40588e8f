#include "engine/face_parser.h"

#include <cstdio>
#include <filesystem>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/face_analyzer.h"
#include "engine/metrics.h"
#include "celebamask_score.h"

namespace smile::engine {
namespace {

std::string Media(const std::string& rel) { return std::string(SMILE_MEDIA_DIR) + "/" + rel; }

// A plausible frontal 68-point face in a 256 px aligned frame (eyes 64 px apart).
Landmarks SyntheticFace() {
  Landmarks p(68);
  for (int i = 0; i <= 16; ++i) {  // jaw: half ellipse from ear to ear
    const double t = M_PI * i / 16.0;
    p[i] = cv::Point2f(128 - 70 * std::cos(t), 122 + 85 * std::sin(t));
  }
  for (int i = 0; i < 5; ++i) {
    p[17 + i] = cv::Point2f(72 + 12 * i, 100 - 4 * std::sin(M_PI * i / 4));
    p[22 + i] = cv::Point2f(136 + 12 * i, 100 - 4 * std::sin(M_PI * i / 4));
  }
  for (int i = 0; i < 4; ++i) p[27 + i] = cv::Point2f(128, 115 + 10 * i);
  for (int i = 0; i < 5; ++i) p[31 + i] = cv::Point2f(116 + 6 * i, 160 + (i == 2 ? 3 : 0));
  auto eye = [&](int a, float cx) {
    const float xs[6] = {-14, -6, 6, 14, 6, -6}, ys[6] = {0, -5, -5, 0, 5, 5};
    for (int k = 0; k < 6; ++k) p[a + k] = cv::Point2f(cx + xs[k], 122 + ys[k]);
  };
  eye(36, 96);
  eye(42, 160);
  for (int k = 0; k < 12; ++k) {  // outer lips
    const double t = M_PI * k / 6.0;
    p[48 + k] = cv::Point2f(128 - 24 * std::cos(t), 190 - 10 * std::sin(t));
  }
  for (int k = 0; k < 8; ++k) {  // inner lips, slightly open
    const double t = M_PI * k / 4.0;
    p[60 + k] = cv::Point2f(128 - 16 * std::cos(t), 190 - 3 * std::sin(t));
  }
  return p;
}

TEST(GeometricParser, PartsFromLandmarksLandOnTheSubjectsSides) {
  const Landmarks p = SyntheticFace();
  auto parts = GeometricParser::PartMasks(cv::Size(256, 256), p);
  auto center_x = [](const cv::Mat& m) { return cv::moments(m).m10 / std::max(1e-6, cv::moments(m).m00); };
  // Subject's left eye = image right (points 42-47).
  EXPECT_GT(center_x(parts[kLEye]), 128);
  EXPECT_LT(center_x(parts[kREye]), 128);
  EXPECT_GT(center_x(parts[kLBrow]), 128);
  EXPECT_LT(center_x(parts[kRBrow]), 128);
  EXPECT_GT(cv::sum(parts[kMouth])[0], 20) << "open mouth has an interior";
  EXPECT_GT(cv::sum(parts[kNose])[0], 300);
}

TEST(GeometricParser, ParsesASyntheticFaceAndRejectsBadInput) {
  // Skin-coloured oval on a blue background with dark hair on top.
  cv::Mat img(256, 256, CV_8UC3, cv::Scalar(200, 120, 60));
  cv::ellipse(img, cv::Point(128, 95), cv::Size(95, 85), 0, 180, 360, cv::Scalar(30, 30, 40), -1);
  cv::ellipse(img, cv::Point(128, 135), cv::Size(72, 95), 0, 0, 360, cv::Scalar(120, 150, 210), -1);
  cv::rectangle(img, cv::Rect(95, 210, 66, 46), cv::Scalar(110, 140, 200), -1);
  GeometricParser parser;
  auto r = parser.Parse(img, SyntheticFace());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->labels.type(), CV_8U);
  ASSERT_EQ(r->probs.size(), size_t(kNumLabels));
  EXPECT_EQ(r->labels.at<uint8_t>(150, 80), kSkin);
  EXPECT_EQ(r->labels.at<uint8_t>(122, 160), kLEye);
  EXPECT_EQ(r->labels.at<uint8_t>(20, 128), kHair);
  EXPECT_EQ(r->labels.at<uint8_t>(200, 10), kBackground);
  cv::Mat sum = cv::Mat::zeros(256, 256, CV_32F);
  for (const auto& p : r->probs)
    if (!p.empty()) sum += p;  // empty = a class never produced
  EXPECT_TRUE(r->probs[kHat].empty());
  double lo, hi;
  cv::minMaxLoc(sum, &lo, &hi);
  EXPECT_NEAR(lo, 1.0, 1e-3);
  EXPECT_NEAR(hi, 1.0, 1e-3);
  cv::Mat gray;
  cv::cvtColor(img, gray, cv::COLOR_BGR2GRAY);
  EXPECT_TRUE(parser.Parse(gray, SyntheticFace()).ok()) << "grayscale input";
  EXPECT_FALSE(r->has_eyeglasses);
  // Dark frames around the eyes and over the bridge: eyeglasses, with the eyes kept on top.
  cv::Mat glasses = img.clone();
  for (int cx : {96, 160}) cv::rectangle(glasses, cv::Rect(cx - 24, 106, 48, 34), cv::Scalar(20, 20, 20), 3);
  cv::line(glasses, cv::Point(118, 114), cv::Point(138, 114), cv::Scalar(20, 20, 20), 3);
  auto g = parser.Parse(glasses, SyntheticFace());
  ASSERT_TRUE(g.ok());
  std::printf("eyeglasses score plain %.2f, with frames %.2f\n", GeometricParser::EyeglassesScore(img, SyntheticFace()),
              GeometricParser::EyeglassesScore(glasses, SyntheticFace()));
  EXPECT_TRUE(g->has_eyeglasses);
  EXPECT_GT(CountLabels(g->labels, {kEyeG}), 500);
  EXPECT_EQ(g->labels.at<uint8_t>(122, 160), kLEye);
  EXPECT_FALSE(parser.Parse(cv::Mat(), SyntheticFace()).ok());
  EXPECT_FALSE(parser.Parse(img, Landmarks(5)).ok());
}

// Parses a CelebA-HQ photo through the whole still-image path and compares with its
// CelebAMask-HQ label map (512 px).
TEST(GeometricParserMedia, BeatsTheCrudeBaselineOnCelebAMask) {
  if (!std::filesystem::exists(Media("celebamask/0.jpg"))) GTEST_SKIP() << "no shared media at " << SMILE_MEDIA_DIR;
  AnalyzerOptions o;
  o.align.size = 256;
  o.align.scale = std::getenv("SMILE_ALIGN_SCALE") ? std::atof(std::getenv("SMILE_ALIGN_SCALE")) : 1.0;
  o.smooth = false;
  auto analyzer = FaceAnalyzer::Create(o);
  ASSERT_TRUE(analyzer.ok()) << analyzer.status().ToString();
  ConfusionMatrix total;
  ASSERT_NO_FATAL_FAILURE(ScoreOnCelebAMask(*analyzer, &total, [](int i, const cv::Mat& img, const cv::Mat& truth,
                                                                   const cv::Mat& labels) {
    ConfusionMatrix one;
    one.Add(truth, labels);
    std::printf("image %d: mean IoU %.3f\n", i, one.MeanIoUTruthClasses());
    if (const char* dir = std::getenv("SMILE_DEBUG_DIR")) {
      cv::Mat small, row;
      cv::resize(img, small, truth.size());
      cv::hconcat(std::vector<cv::Mat>{small, ColorizeLabels(labels), ColorizeLabels(truth)}, row);
      cv::resize(row, row, cv::Size(), 0.5, 0.5);
      cv::imwrite(std::string(dir) + "/cmp" + std::to_string(i) + ".png", row);
    }
  }));
  std::printf("%s", total.Report().c_str());
  EXPECT_GT(total.MeanIoUTruthClasses(), 0.55) << "the crude landmark + GrabCut baseline reached 0.48";
  EXPECT_FALSE(analyzer->ParseStill(cv::Mat(300, 300, CV_8UC3, cv::Scalar(1, 2, 3))).ok()) << "no face";
}

}  // namespace
}  // namespace smile::engine

namespace smile::engine {
namespace {
// The eyeglasses evidence of the 32 CelebA-HQ photos (one wears thin rimless glasses):
// glasses must not be drawn on faces without them (few false positives).
TEST(GeometricParserSlow, EyeglassesAreRarelyDrawnOnCelebAHQ) {
  if (!std::filesystem::exists(Media("celebahq"))) GTEST_SKIP() << "no shared media at " << SMILE_MEDIA_DIR;
  AnalyzerOptions o;
  o.smooth = false;
  auto analyzer = FaceAnalyzer::Create(o);
  ASSERT_TRUE(analyzer.ok());
  int with_glasses = 0, faces = 0;
  for (const auto& e : std::filesystem::directory_iterator(Media("celebahq"))) {
    const cv::Mat img = cv::imread(e.path().string());
    analyzer->Reset();
    auto r = analyzer->Process(img, 0);
    ASSERT_TRUE(r.ok());
    if (!r->found) {
      std::printf("%s no face\n", e.path().filename().c_str());
      continue;
    }
    ++faces;
    with_glasses += r->parse.has_eyeglasses;
    std::printf("%s eyeglasses score %.2f%s\n", e.path().filename().c_str(),
                GeometricParser::EyeglassesScore(r->aligned, r->aligned_landmarks), r->parse.has_eyeglasses ? " GLASSES" : "");
  }
  EXPECT_GE(faces, 30);
  EXPECT_LE(with_glasses, 2);
}
}  // namespace
}  // namespace smile::engine

namespace smile::engine {
namespace {
// lp_d8 wears dark-rimmed glasses (and tilts the head: found by the laxer detector pass).
TEST(GeometricParserMedia, FindsDarkRimmedEyeglasses) {
  if (!std::filesystem::exists(Media("faces/lp_d8.jpg"))) GTEST_SKIP() << "no shared media at " << SMILE_MEDIA_DIR;
  auto analyzer = FaceAnalyzer::Create(AnalyzerOptions{});
  ASSERT_TRUE(analyzer.ok());
  auto r = analyzer->Process(cv::imread(Media("faces/lp_d8.jpg")), 0);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->found);
  EXPECT_TRUE(r->parse.has_eyeglasses);
  EXPECT_GT(CountLabels(r->parse.labels, {kEyeG}), 300);
  EXPECT_GT(CountLabels(r->parse.labels, {kLEye}), 20) << "eyes stay on top of the glasses";
}
}  // namespace
}  // namespace smile::engine
