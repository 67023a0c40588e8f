#include "engine/metrics.h"

#include <gtest/gtest.h>

namespace smile::engine {
namespace {

TEST(Metrics, IoUAndMeansOnKnownMaps) {
  cv::Mat truth(10, 10, CV_8U, cv::Scalar(kBackground)), pred;
  truth(cv::Rect(0, 0, 5, 10)).setTo(kSkin);   // 50 skin
  pred = truth.clone();
  pred(cv::Rect(4, 0, 2, 10)).setTo(kHair);    // 10 skin px -> hair, 10 bg -> hair
  ConfusionMatrix m;
  m.Add(truth, pred);
  EXPECT_NEAR(m.IoU(kSkin), 40.0 / 50.0, 1e-9);
  EXPECT_NEAR(m.IoU(kBackground), 40.0 / 50.0, 1e-9);
  EXPECT_NEAR(m.IoU(kHair), 0.0, 1e-9);
  EXPECT_EQ(m.IoU(kNose), -1.0) << "absent everywhere";
  EXPECT_NEAR(m.MeanIoUTruthClasses(), 0.8, 1e-9);
  EXPECT_NEAR(m.MeanIoUAnyClasses(), 1.6 / 3, 1e-9);
  EXPECT_NEAR(m.PixelAccuracy(), 0.8, 1e-9);
  EXPECT_NE(m.Report().find("hair"), std::string::npos);
}

TEST(Metrics, FlickerCountsChangedFacePixels) {
  cv::Mat a(4, 4, CV_8U, cv::Scalar(kBackground)), b;
  a(cv::Rect(0, 0, 2, 4)).setTo(kSkin);  // 8 face px
  b = a.clone();
  EXPECT_EQ(LabelFlicker(a, b), 0.0);
  b.at<uint8_t>(0, 0) = kHair;
  b.at<uint8_t>(0, 3) = kHair;  // a new face pixel that changed
  EXPECT_NEAR(LabelFlicker(a, b), 2.0 / 9.0, 1e-9);
  cv::Mat region(4, 4, CV_8U, cv::Scalar(255));
  EXPECT_NEAR(LabelFlicker(a, b, region), 2.0 / 16.0, 1e-9);
}

TEST(Metrics, LagOfADelayedSeries) {
  std::vector<double> ref(40), del(40);
  for (int i = 0; i < 40; ++i) ref[i] = (i / 5) % 2 ? 100 : 0;  // blinks
  for (int i = 0; i < 40; ++i) del[i] = ref[std::max(0, i - 2)];
  EXPECT_EQ(EstimateLag(ref, ref), 0);
  EXPECT_EQ(EstimateLag(ref, del), 2);
  cv::Mat l(3, 3, CV_8U, cv::Scalar(kMouth));
  EXPECT_EQ(CountLabels(l, {kMouth, kULip}), 9);
}

}  // namespace
}  // namespace smile::engine
