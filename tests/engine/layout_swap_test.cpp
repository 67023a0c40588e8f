#include "engine/layout_swap.h"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "core/face_labels.h"
#include "engine/reenact.h"
#include "synth_face.h"

namespace smile::engine {
namespace {

// The identity: the synthetic face's layout (hair, skin oval, parts drawn from its landmarks).
cv::Mat IdentityLayout(const Landmarks& pts) {
  cv::Mat labels(256, 256, CV_8U, cv::Scalar(kBackground));
  cv::ellipse(labels, {128, 100}, {70, 100}, 0, 0, 360, cv::Scalar(kHair), -1);
  cv::ellipse(labels, {128, 120}, {62, 80}, 0, 0, 360, cv::Scalar(kSkin), -1);
  return Reenactor::RedrawParts(labels, pts);
}

// A driver of other proportions: eyes 8 px further apart and 5 px lower, mouth 8 px lower and 20 % wider.
Landmarks Driver(float open = 0) {
  Landmarks p = SynthFace(open);
  for (int i = 36; i < 42; ++i) p[i] += cv::Point2f(-8, 5);
  for (int i = 42; i < 48; ++i) p[i] += cv::Point2f(8, 5);
  for (int i = 48; i < 68; ++i) p[i] = cv::Point2f(128 + (p[i].x - 128) * 1.2f, p[i].y + 8);
  return p;
}

cv::Point2d Centroid(const cv::Mat& labels, std::initializer_list<int> classes) {
  cv::Mat m = cv::Mat::zeros(labels.size(), CV_8U);
  for (int c : classes) m |= labels == c;
  const cv::Moments mo = cv::moments(m, true);
  return mo.m00 > 0 ? cv::Point2d(mo.m10 / mo.m00, mo.m01 / mo.m00) : cv::Point2d(-1, -1);
}

// The parts land where the identity has them, at its size, whatever the driver's proportions;
// everything else is the identity's layout.
TEST(LayoutSwap, PartsTakeTheIdentitysPlacesAndSizes) {
  const Landmarks id_pts = SynthFace();
  const cv::Mat id = IdentityLayout(id_pts);
  LayoutRetargeter r(id, id_pts);
  cv::Mat out;
  for (int f = 0; f < 10; ++f) out = r.Retarget(Driver(), 256, f / 25.0);
  const cv::Mat drv = IdentityLayout(Driver());
  for (auto classes : {std::initializer_list<int>{kLEye}, {kREye}, {kULip, kLLip, kMouth}}) {
    const cv::Point2d o = Centroid(out, classes), i = Centroid(id, classes), d = Centroid(drv, classes);
    EXPECT_LT(cv::norm(o - i), 1.5) << "class " << *classes.begin();
    EXPECT_GT(cv::norm(d - i), 5.0);  // the driver's parts are elsewhere
  }
  const int lips_id = cv::countNonZero(id == kULip) + cv::countNonZero(id == kLLip);
  const int lips_out = cv::countNonZero(out == kULip) + cv::countNonZero(out == kLLip);
  EXPECT_NEAR(lips_out, lips_id, 0.1 * lips_id);  // the identity's mouth size, not the driver's 20 % wider one
  // Hair and background are the identity's, pixel for pixel.
  EXPECT_EQ(cv::countNonZero((out == kHair) != (id == kHair)), 0);
  EXPECT_EQ(cv::countNonZero((out == kBackground) != (id == kBackground)), 0);
  // Another side: the same layout scaled.
  const cv::Mat small = r.Retarget(Driver(), 128, 0.5);
  EXPECT_EQ(small.size(), cv::Size(128, 128));
  EXPECT_LT(cv::norm(Centroid(small, {kLEye}) * 2 - Centroid(id, {kLEye})), 3.0);
}

// The driver's expression shows: an open mouth opens the identity's mouth, in place, and stays
// open while held (the means move the part, never its shape); closing it closes it again.
TEST(LayoutSwap, TheDriversExpressionShows) {
  const Landmarks id_pts = SynthFace();
  LayoutRetargeter r(IdentityLayout(id_pts), id_pts);
  double t = 0;
  cv::Mat out;
  for (int f = 0; f < 10; ++f, t += 0.04) out = r.Retarget(Driver(), 256, t);
  EXPECT_EQ(cv::countNonZero(out == kMouth), 0) << "a closed mouth has no interior";
  const cv::Point2d lower_closed = Centroid(out, {kLLip});
  out = r.Retarget(Driver(14), 256, t += 0.04);
  EXPECT_GT(cv::countNonZero(out == kMouth), 100) << "the open mouth shows";
  EXPECT_GT(Centroid(out, {kLLip}).y, lower_closed.y + 3);
  // Held for 10 s (2.5 time constants): still open.
  for (int f = 0; f < 250; ++f, t += 0.04) out = r.Retarget(Driver(14), 256, t);
  EXPECT_GT(cv::countNonZero(out == kMouth), 100);
  EXPECT_LT(cv::norm(Centroid(out, {kULip, kLLip, kMouth}) - Centroid(IdentityLayout(id_pts), {kULip, kLLip})), 3.0);
  for (int f = 0; f < 5; ++f, t += 0.04) out = r.Retarget(Driver(), 256, t);
  EXPECT_LT(cv::countNonZero(out == kMouth), 20);
  // Without 68 driver points the identity's layout is returned as it is.
  const cv::Mat plain = r.Retarget(Landmarks(), 256, t);
  EXPECT_EQ(cv::countNonZero(plain != IdentityLayout(id_pts)), 0);
}

}  // namespace
}  // namespace smile::engine
