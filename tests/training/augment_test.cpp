#include "training/augment.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "tests/training/test_util.h"
#include "training/labels.h"

namespace smile::training {
namespace {

// Mean x of the pixels of one class (-1 if absent).
double MeanX(const cv::Mat& labels, int c) {
  cv::Moments m = cv::moments(labels == c, true);
  return m.m00 > 0 ? m.m10 / m.m00 : -1;
}

TEST(Augment, FlipSwapsLeftRightLabels) {
  cv::Mat labels = testing::SyntheticLabels(64);
  cv::Mat f = FlipLabels(labels);
  // l_eye was on the image's right; after the flip the subject's left eye is again on the right.
  EXPECT_GT(MeanX(labels, kLeftEye), 32);
  EXPECT_GT(MeanX(f, kLeftEye), 32);
  EXPECT_LT(MeanX(f, kRightEye), 32);
  // Pixel rule: f(y, x) = mirror(labels(y, W-1-x)).
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x)
      ASSERT_EQ(f.at<uint8_t>(y, x), MirrorLabel(labels.at<uint8_t>(y, 63 - x))) << y << "," << x;
  auto h = ClassHistogram(labels), hf = ClassHistogram(f);
  EXPECT_EQ(h[kLeftEye], hf[kRightEye]);
  EXPECT_EQ(h[kLeftBrow], hf[kRightBrow]);
  EXPECT_EQ(h[kLeftEar], hf[kRightEar]);
  EXPECT_EQ(h[kSkin], hf[kSkin]);
}

TEST(Augment, FlipTwiceIsIdentity) {
  cv::Mat labels = testing::SyntheticLabels(50);
  EXPECT_EQ(cv::countNonZero(FlipLabels(FlipLabels(labels)) != labels), 0);
  cv::Mat img = testing::SyntheticImage(labels);
  cv::Mat back = FlipImage(FlipImage(img));
  EXPECT_EQ(cv::norm(back, img, cv::NORM_INF), 0.0);
}

TEST(AugmentMedia, FlipOnRealLabelMapsSwapsEyesBrowsEars) {
  if (!testing::HaveCelebAMask()) GTEST_SKIP() << "no real media at " << testing::CelebAMaskDir();
  for (int id : {0, 1}) {
    cv::Mat labels = cv::imread(testing::CelebAMaskDir() + "/" + std::to_string(id) + ".png", cv::IMREAD_UNCHANGED);
    ASSERT_EQ(labels.type(), CV_8UC1);
    cv::Mat f = FlipLabels(labels);
    EXPECT_EQ(cv::countNonZero(FlipLabels(f) != labels), 0);
    for (int c : {kLeftEye, kLeftBrow}) {
      // Subject's left is on the image's right, before and after the flip.
      EXPECT_GT(MeanX(labels, c), labels.cols / 2.0) << LabelNames()[c];
      EXPECT_GT(MeanX(f, c), labels.cols / 2.0) << LabelNames()[c];
      EXPECT_LT(MeanX(f, MirrorLabel(static_cast<uint8_t>(c))), labels.cols / 2.0);
    }
  }
}

TEST(Augment, ParamsAreDeterministicAndBounded) {
  AugmentOptions o;
  o.max_scale = 0.1;
  o.max_rotation_deg = 10;
  o.max_translation = 0.05;
  int flips = 0;
  for (uint64_t seed = 0; seed < 400; ++seed) {
    AugmentParams a = DrawAugmentParams(o, seed), b = DrawAugmentParams(o, seed);
    EXPECT_EQ(a.ToString(), b.ToString());
    EXPECT_GE(a.scale, 0.9);
    EXPECT_LE(a.scale, 1.1);
    EXPECT_LE(std::abs(a.rotation_deg), 10.0);
    EXPECT_LE(std::abs(a.tx), 0.05);
    EXPECT_LE(std::abs(a.ty), 0.05);
    flips += a.flip;
  }
  EXPECT_GT(flips, 150);
  EXPECT_LT(flips, 250);
  EXPECT_NE(DrawAugmentParams(o, 1).ToString(), DrawAugmentParams(o, 2).ToString());
  o.enabled = false;
  AugmentParams off = DrawAugmentParams(o, 7);
  EXPECT_FALSE(off.flip);
  EXPECT_FALSE(off.HasAffine());
}

TEST(Augment, ApplyResizesKeepsClassesAndPairing) {
  cv::Mat labels = testing::SyntheticLabels(256);
  cv::Mat image = testing::SyntheticImage(labels);
  // A label map at half the image size (as CelebAMask-HQ: 512 labels for 1024 photos).
  cv::Mat half;
  cv::resize(labels, half, cv::Size(128, 128), 0, 0, cv::INTER_NEAREST);
  AugmentParams p;
  p.scale = 1.05;
  p.rotation_deg = 4;
  p.tx = 0.02;
  p.ty = -0.01;
  cv::Mat oi, ol;
  ApplyAugment(image, half, p, 64, &oi, &ol);
  ASSERT_EQ(oi.size(), cv::Size(64, 64));
  ASSERT_EQ(ol.size(), cv::Size(64, 64));
  ASSERT_EQ(oi.type(), CV_8UC3);
  EXPECT_TRUE(ValidateLabelMap(ol).ok());
  // Pairing: away from class borders, each pixel's colour is its class's palette colour.
  cv::Mat colours = ColorizeLabels(ol);
  int agree = 0, total = 0;
  for (int y = 2; y < 62; ++y)
    for (int x = 2; x < 62; ++x) {
      uint8_t c = ol.at<uint8_t>(y, x);
      bool interior = true;
      for (int dy = -2; dy <= 2 && interior; ++dy)
        for (int dx = -2; dx <= 2; ++dx) interior &= ol.at<uint8_t>(y + dy, x + dx) == c;
      if (!interior) continue;
      ++total;
      agree += cv::norm(oi.at<cv::Vec3b>(y, x), colours.at<cv::Vec3b>(y, x), cv::NORM_INF) < 40;
    }
  ASSERT_GT(total, 1000);
  EXPECT_GT(agree, total * 0.97) << agree << "/" << total;
  // Flip + affine: still valid, and left/right swapped.
  p.flip = true;
  ApplyAugment(image, half, p, 64, &oi, &ol);
  EXPECT_LT(MeanX(ol, kRightEye), 32);
  EXPECT_GT(MeanX(ol, kLeftEye), 32);
}

TEST(Augment, NonSquareInputsAreCentreCropped) {
  cv::Mat labels(40, 80, CV_8UC1, cv::Scalar(kBackground));
  labels.colRange(20, 60).setTo(kSkin);
  cv::Mat image = ColorizeLabels(labels);
  cv::Mat oi, ol;
  ApplyAugment(image, labels, AugmentParams(), 32, &oi, &ol);
  EXPECT_EQ(cv::countNonZero(ol == kSkin), 32 * 32);
}

}  // namespace
}  // namespace smile::training
