#include "engine/iris_mask.h"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "core/face_labels.h"

namespace smile::engine {
namespace {

// A 64 px mask: skin, an r_eye ellipse on the image's left, an l_eye one on the right.
cv::Mat TwoEyes() {
  cv::Mat l(64, 64, CV_8U, cv::Scalar(kSkin));
  cv::ellipse(l, cv::Point(20, 30), cv::Size(8, 4), 0, 0, 360, cv::Scalar(kREye), cv::FILLED);
  cv::ellipse(l, cv::Point(44, 30), cv::Size(8, 4), 0, 0, 360, cv::Scalar(kLEye), cv::FILLED);
  return l;
}

IrisDiscs Discs(cv::Point2f a, cv::Point2f b, float r, int side) {
  IrisDiscs d;
  d.valid = true;
  d.center = {a, b};
  d.radius = {r, r};
  d.side = side;
  return d;
}

TEST(IrisMask, PaintsOnlyInsideTheEyes) {
  cv::Mat l = TwoEyes();
  const cv::Mat eyes = (l == kLEye) | (l == kREye);
  // The left disc reaches past its eye (radius 6 > the ellipse's half height 4).
  PaintIris(l, Discs({22, 30}, {44, 30}, 6, 64));
  const cv::Mat iris = l == kIris;
  EXPECT_GT(cv::countNonZero(iris(cv::Rect(0, 0, 32, 64))), 30);
  EXPECT_GT(cv::countNonZero(iris(cv::Rect(32, 0, 32, 64))), 30);
  EXPECT_EQ(cv::countNonZero(iris & ~eyes), 0) << "iris painted outside the eye classes";
  // Pixels of the disc far from its centre stay eye: the disc, not the whole eye.
  EXPECT_EQ(l.at<uint8_t>(30, 13), kREye);
  EXPECT_EQ(l.at<uint8_t>(30, 22), kIris);
  EXPECT_EQ(cv::countNonZero(l == kSkin), cv::countNonZero(TwoEyes() == kSkin));
}

TEST(IrisMask, ScalesFromItsSideAndSkipsInvalid) {
  cv::Mat small = TwoEyes(), big;
  cv::resize(small, big, cv::Size(128, 128), 0, 0, cv::INTER_NEAREST);
  PaintIris(small, Discs({20, 30}, {44, 30}, 3, 64));
  PaintIris(big, Discs({20, 30}, {44, 30}, 3, 64));
  const double n_small = cv::countNonZero(small == kIris), n_big = cv::countNonZero(big == kIris);
  EXPECT_NEAR(n_big / n_small, 4.0, 0.8);  // twice the side, four times the area
  EXPECT_EQ(big.at<uint8_t>(61, 88), kIris);  // (44, 30) at 128 px
  cv::Mat untouched = TwoEyes();
  IrisDiscs invalid = Discs({20, 30}, {44, 30}, 3, 64);
  invalid.valid = false;
  PaintIris(untouched, invalid);
  IrisDiscs no_side = Discs({20, 30}, {44, 30}, 3, 0);
  PaintIris(untouched, no_side);
  EXPECT_EQ(cv::countNonZero(untouched == kIris), 0);
}

// Without a measured iris: a disc in the middle of each eye, inside it, about 0.22 eye widths.
TEST(IrisMask, DefaultIrisLooksAheadInsideEachEye) {
  cv::Mat l = TwoEyes();
  const cv::Mat eyes = (l == kLEye) | (l == kREye);
  PaintDefaultIris(l);
  const cv::Mat iris = l == kIris;
  EXPECT_EQ(cv::countNonZero(iris & ~eyes), 0);
  for (int x0 : {0, 32}) {
    const cv::Mat half = iris(cv::Rect(x0, 0, 32, 64));
    const cv::Moments m = cv::moments(half, true);
    ASSERT_GT(m.m00, 10) << "no iris in the eye at x " << x0;
    EXPECT_NEAR(m.m10 / m.m00 + x0, x0 == 0 ? 20 : 44, 1.0);  // centred on its eye
    EXPECT_NEAR(m.m01 / m.m00, 30, 1.0);
    EXPECT_LT(m.m00, 0.5 * cv::countNonZero(eyes(cv::Rect(x0, 0, 32, 64))));
  }
  // One eye hidden (its class absent): only the other gets an iris; no eyes: nothing.
  cv::Mat one = TwoEyes();
  one.setTo(kSkin, one == kLEye);
  PaintDefaultIris(one);
  EXPECT_GT(cv::countNonZero((one == kIris)(cv::Rect(0, 0, 32, 64))), 0);
  EXPECT_EQ(cv::countNonZero((one == kIris)(cv::Rect(32, 0, 32, 64))), 0);
  cv::Mat none(64, 64, CV_8U, cv::Scalar(kSkin));
  PaintDefaultIris(none);
  EXPECT_EQ(cv::countNonZero(none == kIris), 0);
}

std::vector<cv::Point2f> EyeCorners(cv::Point2f r0, cv::Point2f r1, cv::Point2f l0, cv::Point2f l1) {
  std::vector<cv::Point2f> p(68, cv::Point2f(0, 0));
  p[36] = r0, p[39] = r1, p[42] = l0, p[45] = l1;
  return p;
}

TEST(IrisMask, TransferKeepsThePlaceOnTheEye) {
  const auto from = EyeCorners({10, 30}, {30, 30}, {34, 30}, {54, 30});
  // Iris a quarter eye width towards the outer... image-right corner of each eye, and a bit down.
  const IrisDiscs d = Discs({25, 31}, {49, 31}, 3, 64);
  // Same corners: unchanged.
  IrisDiscs same = TransferIris(d, from, from, 64);
  ASSERT_TRUE(same.valid);
  EXPECT_NEAR(same.center[0].x, 25, 1e-4);
  EXPECT_NEAR(same.center[1].y, 31, 1e-4);
  EXPECT_NEAR(same.radius[0], 3, 1e-4);
  // Eyes moved and scaled by 2 (another layout at 128 px): the iris keeps its relative place.
  const auto to = EyeCorners({40, 70}, {80, 70}, {90, 70}, {130, 70});
  IrisDiscs moved = TransferIris(d, from, to, 128);
  ASSERT_TRUE(moved.valid);
  EXPECT_EQ(moved.side, 128);
  EXPECT_NEAR(moved.center[0].x, 70, 1e-3);  // 3/4 of the way from 40 to 80
  EXPECT_NEAR(moved.center[0].y, 72, 1e-3);
  EXPECT_NEAR(moved.center[1].x, 120, 1e-3);
  EXPECT_NEAR(moved.radius[1], 6, 1e-3);
  // A rotated eye line rotates the offset with it.
  const auto rot = EyeCorners({10, 10}, {10, 30}, {10, 40}, {10, 60});
  IrisDiscs r = TransferIris(d, from, rot, 64);
  EXPECT_NEAR(r.center[0].x, 9, 1e-3);
  EXPECT_NEAR(r.center[0].y, 25, 1e-3);
  // Degenerate input: invalid.
  EXPECT_FALSE(TransferIris(d, std::vector<cv::Point2f>(5), to, 64).valid);
  EXPECT_FALSE(TransferIris(d, std::vector<cv::Point2f>(68, cv::Point2f(1, 1)), to, 64).valid);
}

TEST(IrisMask, DiscsFromTheModelsPointsAndTransforms) {
  std::array<EyeIris, 2> eyes;
  eyes[0].iris = {{100, 100}, {104, 100}, {100, 104}, {96, 100}, {100, 96}};
  eyes[1].iris = {{200, 100}, {202, 100}, {200, 102}, {198, 100}, {200, 98}};
  // Frame -> crop: scale 0.5, shift (-20, -10).
  const cv::Matx23d m(0.5, 0, -20, 0, 0.5, -10);
  IrisDiscs d = IrisDiscsOf(eyes, m, 128);
  ASSERT_TRUE(d.valid);
  EXPECT_NEAR(d.center[0].x, 30, 1e-4);
  EXPECT_NEAR(d.center[1].x, 80, 1e-4);
  EXPECT_NEAR(d.center[1].y, 40, 1e-4);
  EXPECT_NEAR(d.radius[0], 2, 1e-4);
  EXPECT_NEAR(d.radius[1], 1, 1e-4);
  IrisDiscs t = TransformIris(d, cv::Matx23d(0, -2, 100, 2, 0, 0), 256);  // rotate 90 degrees, scale 2
  EXPECT_NEAR(t.center[0].x, 20, 1e-4);
  EXPECT_NEAR(t.center[0].y, 60, 1e-4);
  EXPECT_NEAR(t.radius[0], 4, 1e-4);
  EXPECT_EQ(t.side, 256);
  eyes[1].iris.clear();
  EXPECT_FALSE(IrisDiscsOf(eyes, m, 128).valid);
}

}  // namespace
}  // namespace smile::engine
