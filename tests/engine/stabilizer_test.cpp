#include "engine/stabilizer.h"

#include <cmath>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

namespace smile::engine {
namespace {

// A 64 px "render": smooth gradient plus a disc.
cv::Mat Base() {
  cv::Mat m(64, 64, CV_8UC3);
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) m.at<cv::Vec3b>(y, x) = cv::Vec3b(60 + x, 90 + y, 140);
  cv::circle(m, {32, 32}, 12, cv::Scalar(30, 50, 200), cv::FILLED);
  return m;
}

// Uniform noise of +-amp levels (the texture "boiling" of a still head).
cv::Mat Noisy(const cv::Mat& base, int amp, uint64_t seed) {
  cv::RNG rng(seed);
  cv::Mat noise(base.size(), CV_16SC3);
  rng.fill(noise, cv::RNG::UNIFORM, -amp, amp + 1);
  cv::Mat b16, out;
  base.convertTo(b16, CV_16SC3);
  cv::Mat sum = b16 + noise;
  sum.convertTo(out, CV_8UC3);
  return out;
}

double MeanAbsDiff(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat d;
  cv::absdiff(a, b, d);
  const cv::Scalar m = cv::mean(d);
  return (m[0] + m[1] + m[2]) / 3;
}

Alignment Crop(double cx, double cy) { return AlignmentFromSquare({cx, cy}, {50, 0}, 64); }

TEST(TemporalStabilizer, OffPassesEveryRenderUnchanged) {
  StabilizerOptions o;
  o.strength = 0;
  TemporalStabilizer st(o);
  for (int i = 0; i < 5; ++i) {
    const cv::Mat in = Noisy(Base(), 6, i);
    EXPECT_EQ(cv::countNonZero(cv::Mat(st.Apply(in, Crop(100, 100)) != in).reshape(1)), 0) << i;
  }
}

// A still head whose render boils by +-4 levels: frame-to-frame change of the output falls to
// well under half of the input's, and the output stays near the clean render (no drift).
TEST(TemporalStabilizer, DampsSmallFrameToFrameChanges) {
  TemporalStabilizer st;  // defaults: strength 0.6, threshold 24
  const cv::Mat base = Base();
  cv::Mat prev_in, prev_out;
  double in_change = 0, out_change = 0, out_error = 0;
  const int n = 40;
  for (int i = 0; i < n; ++i) {
    const cv::Mat in = Noisy(base, 4, 100 + i);
    const cv::Mat out = st.Apply(in, Crop(100, 100));
    if (i > 0) {
      in_change += MeanAbsDiff(in, prev_in);
      out_change += MeanAbsDiff(out, prev_out);
      out_error += MeanAbsDiff(out, base);
    }
    prev_in = in;
    prev_out = out;
  }
  std::printf("frame-to-frame change: input %.2f, stabilised %.2f levels; stabilised vs clean %.2f\n",
              in_change / (n - 1), out_change / (n - 1), out_error / (n - 1));
  EXPECT_LT(out_change, 0.5 * in_change);
  EXPECT_LT(out_error / (n - 1), 2.5);  // input vs clean: 2.2 on average
}

// Large changes (an opening mouth, a blink) pass on the frame they happen; a jump of the crop
// (another face, a lost track) or Reset() restarts from the new render.
TEST(TemporalStabilizer, LargeChangesAndCropJumpsPassAtOnce) {
  TemporalStabilizer st;
  const cv::Mat base = Base();
  st.Apply(base, Crop(100, 100));
  cv::Mat changed = base.clone();
  changed(cv::Rect(20, 40, 24, 12)).setTo(cv::Scalar(20, 20, 20));  // "mouth" opens: > 100 levels
  cv::Mat out = st.Apply(changed, Crop(100, 100));
  EXPECT_EQ(cv::countNonZero(cv::Mat(out != changed).reshape(1)), 0);
  // Small change: damped to the floor (1 - 0.6) plus the threshold's share.
  cv::Mat brighter = changed + cv::Scalar(6, 6, 6);
  out = st.Apply(brighter, Crop(100, 100));
  const double moved = MeanAbsDiff(out, changed);
  EXPECT_GT(moved, 6 * 0.4 - 0.6);
  EXPECT_LT(moved, 6 * (0.4 + 0.6 * 6 / 24.0) + 0.6);
  // The crop jumps by 20 % of its side: the new render passes unchanged.
  const cv::Mat other = Noisy(base, 4, 7);
  out = st.Apply(other, Crop(120, 100));
  EXPECT_EQ(cv::countNonZero(cv::Mat(out != other).reshape(1)), 0);
  // Slow motion of the crop (2 % of its side) keeps filtering in crop coordinates.
  const cv::Mat other2 = Noisy(base, 4, 8);
  out = st.Apply(other2, Crop(122, 100));
  EXPECT_GT(cv::countNonZero(cv::Mat(out != other2).reshape(1)), 0);
  st.Reset();
  out = st.Apply(other, Crop(122, 100));
  EXPECT_EQ(cv::countNonZero(cv::Mat(out != other).reshape(1)), 0);
}

}  // namespace
}  // namespace smile::engine
