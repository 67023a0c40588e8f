#include "engine/alignment.h"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "engine/labels.h"
#include "engine/one_euro.h"

namespace smile::engine {
namespace {

// 68 points: only the eyes (36-47) and mouth corners (48, 54) matter for the alignment.
Landmarks FaceAt(cv::Point2f c, float iod, float angle_deg) {
  Landmarks p(68, c);
  const float a = angle_deg * static_cast<float>(M_PI) / 180.f;
  auto rot = [&](cv::Point2f d) {
    return c + cv::Point2f(d.x * std::cos(a) - d.y * std::sin(a), d.x * std::sin(a) + d.y * std::cos(a));
  };
  for (int i = 36; i < 42; ++i) p[i] = rot({-iod / 2, 0});
  for (int i = 42; i < 48; ++i) p[i] = rot({iod / 2, 0});
  p[48] = rot({-iod / 2.5f, iod});
  p[54] = rot({iod / 2.5f, iod});
  return p;
}

TEST(Alignment, FfhqGeometryAndExactInverse) {
  const Landmarks p = FaceAt({300, 200}, 60, 20);
  const Alignment a = ComputeAlignment(p, AlignOptions{256});
  auto q = TransformPoints(p, a.to_aligned);
  // Upright: both eyes on one row, symmetric about the centre, ~1/4 of the side apart.
  EXPECT_NEAR(q[36].y, q[42].y, 1e-3);
  EXPECT_NEAR(q[36].x + q[42].x, 256, 1e-3);
  EXPECT_NEAR(q[42].x - q[36].x, 64, 1.0);
  EXPECT_LT(q[36].y, 128);
  auto back = TransformPoints(q, a.to_frame);
  for (int i : {36, 42, 48, 54}) EXPECT_NEAR(cv::norm(back[i] - p[i]), 0.0, 1e-3);
  // The bigger scale zooms out.
  const Alignment wide = ComputeAlignment(p, AlignOptions{256, 1.5});
  auto qw = TransformPoints(p, wide.to_aligned);
  EXPECT_NEAR((qw[42].x - qw[36].x) * 1.5, q[42].x - q[36].x, 1e-2);
}

// FaceAt with a nose tip and base, the mouth corners `open` inter-ocular units lower (a smile / open mouth
// moves them; eyes and nose stay), and `shift` added to every point.
Landmarks VideoFace(float open, cv::Point2f shift = {0, 0}, float angle_deg = 10) {
  const cv::Point2f c(300, 200);
  const float iod = 60, a = angle_deg * static_cast<float>(M_PI) / 180.f;
  Landmarks p = FaceAt(c, iod, angle_deg);
  auto rot = [&](cv::Point2f d) {
    return c + cv::Point2f(d.x * std::cos(a) - d.y * std::sin(a), d.x * std::sin(a) + d.y * std::cos(a));
  };
  p[30] = rot({0, 0.55f * iod});  // nose tip
  p[33] = rot({0, 0.65f * iod});  // nose base
  p[48] = rot({-iod / 2.5f, iod * (1 + open)});
  p[54] = rot({iod / 2.5f, iod * (1 + open)});
  for (auto& q : p) q += shift;
  return p;
}

double HalfSide(const Alignment& a) { return cv::norm(a.quad[3] - a.quad[0]) / 2; }
cv::Point2d Centre(const Alignment& a) { return (cv::Point2d(a.quad[0]) + cv::Point2d(a.quad[2])) * 0.5; }

TEST(AlignmentFilter, FirstFrameIsTheFfhqSquare) {
  AlignmentFilter f;
  const Landmarks p = VideoFace(0.1f);
  const Alignment raw = ComputeAlignment(p, AlignOptions{256});
  const Alignment a = f.Filter(p, AlignOptions{256}, 0.0);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(a.to_aligned(i, j), raw.to_aligned(i, j), 1e-9);
}

TEST(AlignmentFilter, OpeningTheMouthDoesNotRescaleTheCrop) {
  // A still head opens its mouth by 0.5 inter-ocular within 0.4 s and holds it 1 s: the FFHQ
  // square grows by a third; the video square must stay within 2 % and keep its centre.
  AlignmentFilter f;
  const AlignOptions o{256};
  const Alignment first = f.Filter(VideoFace(0), o, 0.0);
  double worst_scale = 0, worst_shift = 0, raw_scale = 0;
  for (int k = 1; k <= 35; ++k) {
    const float open = 0.5f * std::min(1.f, k / 10.f);
    const Landmarks p = VideoFace(open);
    const Alignment a = f.Filter(p, o, k / 25.0);
    worst_scale = std::max(worst_scale, std::abs(HalfSide(a) / HalfSide(first) - 1));
    worst_shift = std::max(worst_shift, cv::norm(Centre(a) - Centre(first)) / HalfSide(first));
    raw_scale = std::max(raw_scale, std::abs(HalfSide(ComputeAlignment(p, o)) / HalfSide(first) - 1));
  }
  EXPECT_GT(raw_scale, 0.25);
  EXPECT_LT(worst_scale, 0.02);
  EXPECT_LT(worst_shift, 0.02);
  // Held open for a long time, the crop drifts back to what the recipe gives for this face.
  Alignment late;
  for (int k = 36; k <= 36 + 25 * 30; ++k) late = f.Filter(VideoFace(0.5f), o, k / 25.0);
  EXPECT_NEAR(HalfSide(late) / HalfSide(ComputeAlignment(VideoFace(0.5f), o)), 1.0, 0.02);
}

TEST(AlignmentFilter, NoiseIsReducedAndMotionIsFollowed) {
  const AlignOptions o{256};
  cv::RNG rng(7);
  auto noisy = [&](cv::Point2f shift) {
    Landmarks p = VideoFace(0, shift);
    for (auto& q : p) q += cv::Point2f(static_cast<float>(rng.gaussian(0.7)), static_cast<float>(rng.gaussian(0.7)));
    return p;
  };
  // Still head, landmarks with 0.7 px noise: frame-to-frame steps of the crop centre.
  AlignmentFilter f;
  cv::Point2d prev_raw, prev_f;
  double step_raw = 0, step_f = 0;
  for (int k = 0; k < 100; ++k) {
    const Landmarks p = noisy({0, 0});
    const cv::Point2d r = Centre(ComputeAlignment(p, o)), c = Centre(f.Filter(p, o, k / 25.0));
    if (k > 0) step_raw += cv::norm(r - prev_raw), step_f += cv::norm(c - prev_f);
    prev_raw = r, prev_f = c;
  }
  EXPECT_LT(step_f, step_raw / 3);
  // The head then moves 150 px/s to the right for a second: the crop keeps up (lag under 10 % of
  // its half-side) and settles on the raw square once the head stops.
  double lag = 0;
  cv::Point2f at(0, 0);
  for (int k = 100; k < 150; ++k) {
    if (k < 125) at.x += 6;
    const Landmarks p = noisy(at);
    const Alignment a = f.Filter(p, o, k / 25.0);
    if (k < 125) lag = std::max(lag, cv::norm(Centre(a) - Centre(ComputeAlignment(VideoFace(0, at), o))) / HalfSide(a));
    if (k == 149) EXPECT_LT(cv::norm(Centre(a) - Centre(ComputeAlignment(VideoFace(0, at), o))), 2.0);
  }
  EXPECT_LT(lag, 0.1);
}

TEST(Alignment, PasteBackRestoresTheFaceRegion) {
  cv::Mat frame(400, 600, CV_8UC3);
  cv::randu(frame, 0, 255);
  cv::GaussianBlur(frame, frame, cv::Size(9, 9), 3);
  const Landmarks p = FaceAt({300, 200}, 50, -10);
  const Alignment a = ComputeAlignment(p, AlignOptions{256});
  cv::Mat aligned = WarpToAligned(frame, a);
  cv::Mat target(frame.size(), CV_8UC3, cv::Scalar(0, 0, 0));
  PasteBack(aligned, a, target);
  // Around the eyes (well inside the crop) the frame comes back; far outside nothing changed.
  const cv::Rect inner(270, 170, 60, 60);
  EXPECT_LT(cv::norm(target(inner), frame(inner), cv::NORM_L1) / inner.area() / 3, 3.0);
  EXPECT_EQ(cv::norm(target(cv::Rect(0, 0, 20, 20)), cv::NORM_L1), 0.0);
  // Labels go back with nearest-neighbour and background outside the crop.
  cv::Mat labels(256, 256, CV_8U, cv::Scalar(kSkin));
  cv::Mat fl = WarpToFrame(labels, a, frame.size(), cv::INTER_NEAREST, cv::Scalar(kBackground));
  EXPECT_EQ(fl.at<uint8_t>(200, 300), kSkin);
  EXPECT_EQ(fl.at<uint8_t>(5, 5), kBackground);
  cv::Mat fm = FeatherMask(64);
  EXPECT_FLOAT_EQ(fm.at<float>(32, 32), 1.0f);
  EXPECT_LT(fm.at<float>(0, 0), 0.05f);
}

TEST(OneEuro, StillStaysStillAndStepsAreFollowed) {
  OneEuroFilter f(OneEuroParams{1.0, 0.5, 1.0});
  for (int i = 0; i < 10; ++i) EXPECT_DOUBLE_EQ(f.Filter(5.0, i / 30.0), 5.0);
  double y = 0;
  for (int i = 10; i < 40; ++i) y = f.Filter(10.0, i / 30.0);
  EXPECT_NEAR(y, 10.0, 0.05);
  // Jitter is reduced.
  OneEuroFilter g;
  double raw = 0, out = 0, prev_raw = 0, prev_out = 0;
  for (int i = 0; i < 60; ++i) {
    const double x = (i % 2) ? 0.5 : -0.5, o = g.Filter(x, i / 30.0);
    if (i) raw += std::fabs(x - prev_raw), out += std::fabs(o - prev_out);
    prev_raw = x, prev_out = o;
  }
  EXPECT_LT(out, 0.5 * raw);
  PointsFilter pf;
  auto r = pf.Filter({{1, 2}, {3, 4}}, 0.0, 10.0);
  EXPECT_FLOAT_EQ(r[1].y, 4.0f);
}

TEST(Labels, NamesColoursAndMirror) {
  EXPECT_STREQ(LabelName(kLEye), "l_eye");
  EXPECT_EQ(LabelFromName("cloth"), kCloth);
  EXPECT_EQ(LabelFromName("nope"), -1);
  EXPECT_EQ(MirrorLabel(kLEye), kREye);
  EXPECT_EQ(MirrorLabel(kREar), kLEar);
  EXPECT_EQ(MirrorLabel(kHair), kHair);
  cv::Mat l(2, 2, CV_8U, cv::Scalar(kHair));
  EXPECT_EQ(ColorizeLabels(l).at<cv::Vec3b>(0, 0), LabelColor(kHair));
  cv::Mat img(2, 2, CV_8U, cv::Scalar(0));
  EXPECT_EQ(OverlayLabels(img, l).type(), CV_8UC3);
}

}  // namespace
}  // namespace smile::engine
