#include "engine/mask_smoother.h"

#include <random>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "engine/metrics.h"

namespace smile::engine {
namespace {

// A "face": skin disc with hair above, an eye; image-evidence classes get noisy
// probabilities every frame, like a parser on a still face.
ParseResult NoisyFrame(std::mt19937& rng, bool eye_open) {
  const cv::Size s(64, 64);
  std::vector<cv::Mat> p(kNumLabels);
  for (auto& m : p) m = cv::Mat::zeros(s, CV_32F);
  cv::circle(p[kSkin], cv::Point(32, 36), 20, cv::Scalar(1), -1);
  p[kHair](cv::Rect(8, 4, 48, 14)).setTo(1);
  p[kBackground] = 1 - cv::min(p[kSkin] + p[kHair], 1.0);
  cv::Mat noise(s, CV_32F);
  for (int c : {kBackground, kSkin, kHair}) {
    cv::randn(noise, 0, 0.35);
    p[c] = cv::max(p[c] + noise, 0.01);
  }
  if (eye_open) {
    p[kLEye](cv::Rect(36, 30, 8, 4)).setTo(1.0);
    for (int c : {kBackground, kSkin, kHair}) p[c](cv::Rect(36, 30, 8, 4)).setTo(0.0);
  }
  cv::Mat sum = cv::Mat::zeros(s, CV_32F);
  for (auto& m : p) sum += m;
  for (auto& m : p) cv::divide(m, sum, m);
  ParseResult r;
  r.probs = p;
  r.labels = ArgmaxLabels(p);
  return r;
}

TEST(MaskSmoother, CutsFlickerOnAStillFaceAndFollowsABlinkAtOnce) {
  std::mt19937 rng(1);
  cv::theRNG().state = 7;
  MaskSmoother sm;
  double raw_f = 0, smooth_f = 0;
  cv::Mat prev_raw, prev_smooth;
  std::vector<double> raw_eye, smooth_eye;
  for (int i = 0; i < 30; ++i) {
    const bool open = !(i >= 12 && i < 16);  // a blink
    ParseResult raw = NoisyFrame(rng, open);
    ParseResult s = sm.Update(raw, 0);
    if (i > 0) {
      raw_f += LabelFlicker(prev_raw, raw.labels);
      smooth_f += LabelFlicker(prev_smooth, s.labels);
    }
    prev_raw = raw.labels;
    prev_smooth = s.labels;
    raw_eye.push_back(static_cast<double>(CountLabels(raw.labels, {kLEye})));
    smooth_eye.push_back(static_cast<double>(CountLabels(s.labels, {kLEye})));
    EXPECT_EQ(smooth_eye.back(), raw_eye.back()) << "landmark classes are not delayed, frame " << i;
  }
  std::printf("flicker raw %.4f smoothed %.4f\n", raw_f / 29, smooth_f / 29);
  EXPECT_LT(smooth_f, 0.5 * raw_f);
  EXPECT_EQ(EstimateLag(raw_eye, smooth_eye), 0);
}

TEST(MaskSmoother, RestartsForANewTrackAndAcceptsLabelsOnly) {
  MaskSmoother sm;
  ParseResult a;
  a.labels = cv::Mat(8, 8, CV_8U, cv::Scalar(kSkin));
  ParseResult b;
  b.labels = cv::Mat(8, 8, CV_8U, cv::Scalar(kHair));
  EXPECT_EQ(sm.Update(a, 1).labels.at<uint8_t>(0, 0), kSkin);
  EXPECT_EQ(sm.Update(b, 1).labels.at<uint8_t>(0, 0), kSkin) << "one frame of hair is not enough";
  EXPECT_EQ(sm.Update(b, 2).labels.at<uint8_t>(0, 0), kHair) << "a new track starts fresh";
  ParseResult c;
  c.labels = cv::Mat(16, 16, CV_8U, cv::Scalar(kNeck));
  EXPECT_EQ(sm.Update(c, 2).labels.at<uint8_t>(0, 0), kNeck) << "a size change restarts";
}

}  // namespace
}  // namespace smile::engine
