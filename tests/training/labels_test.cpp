#include "training/labels.h"

#include <gtest/gtest.h>

namespace smile::training {
namespace {

TEST(Labels, NamesFollowCelebAMaskHQOrder) {
  EXPECT_EQ(LabelNames()[0], "background");
  EXPECT_EQ(LabelNames()[4], "l_eye");
  EXPECT_EQ(LabelNames()[15], "ear_r");
  EXPECT_EQ(LabelNames()[18], "cloth");
  EXPECT_EQ(LabelFromName("hair"), kHair);
  EXPECT_EQ(LabelFromName("neck_l"), kNecklace);
  EXPECT_EQ(LabelFromName("beard"), -1);
}

TEST(Labels, MirrorSwapsOnlyLeftRightPairs) {
  EXPECT_EQ(MirrorLabel(kLeftEye), kRightEye);
  EXPECT_EQ(MirrorLabel(kRightEye), kLeftEye);
  EXPECT_EQ(MirrorLabel(kLeftBrow), kRightBrow);
  EXPECT_EQ(MirrorLabel(kRightBrow), kLeftBrow);
  EXPECT_EQ(MirrorLabel(kLeftEar), kRightEar);
  EXPECT_EQ(MirrorLabel(kRightEar), kLeftEar);
  for (int c = 0; c < 256; ++c) {
    EXPECT_EQ(MirrorLabel(MirrorLabel(static_cast<uint8_t>(c))), c);
    if (c < 4 || c > 9) {
      EXPECT_EQ(MirrorLabel(static_cast<uint8_t>(c)), c);
    }
  }
}

TEST(Labels, PaletteIsTheOfficialOneInBgr) {
  const auto& p = CelebAMaskPaletteBgr();
  EXPECT_EQ(p[0], cv::Vec3b(0, 0, 0));
  EXPECT_EQ(p[1], cv::Vec3b(0, 0, 204));      // skin RGB (204,0,0)
  EXPECT_EQ(p[4], cv::Vec3b(255, 51, 51));    // l_eye RGB (51,51,255)
  EXPECT_EQ(p[13], cv::Vec3b(204, 0, 0));     // hair RGB (0,0,204)
  EXPECT_EQ(p[18], cv::Vec3b(0, 204, 0));     // cloth
  // All 19 colours are distinct.
  for (int a = 0; a < kNumClasses; ++a)
    for (int b = a + 1; b < kNumClasses; ++b) EXPECT_NE(p[a], p[b]) << a << " " << b;
}

TEST(Labels, ColorizeUsesPaletteAndMarksBadIds) {
  cv::Mat m = (cv::Mat_<uint8_t>(1, 3) << 0, 13, 200);
  cv::Mat c = ColorizeLabels(m);
  ASSERT_EQ(c.type(), CV_8UC3);
  EXPECT_EQ(c.at<cv::Vec3b>(0, 0), CelebAMaskPaletteBgr()[0]);
  EXPECT_EQ(c.at<cv::Vec3b>(0, 1), CelebAMaskPaletteBgr()[13]);
  EXPECT_EQ(c.at<cv::Vec3b>(0, 2), cv::Vec3b(255, 255, 255));
}

TEST(Labels, ValidateRejectsOutOfRangeIdsAndWrongTypes) {
  cv::Mat ok(8, 8, CV_8UC1, cv::Scalar(18));
  EXPECT_TRUE(ValidateLabelMap(ok).ok());
  cv::Mat bad = ok.clone();
  bad.at<uint8_t>(3, 3) = 19;
  bad.at<uint8_t>(3, 4) = 19;
  Status s = ValidateLabelMap(bad);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("class id 19"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("2 pixels"), std::string::npos) << s.message();
  EXPECT_FALSE(ValidateLabelMap(cv::Mat()).ok());
  EXPECT_FALSE(ValidateLabelMap(cv::Mat(4, 4, CV_8UC3, cv::Scalar(1, 1, 1))).ok());
  EXPECT_FALSE(ValidateLabelMap(cv::Mat(4, 4, CV_16UC1, cv::Scalar(1))).ok());
}

TEST(Labels, HistogramCountsClasses) {
  cv::Mat m(4, 4, CV_8UC1, cv::Scalar(1));
  m.at<uint8_t>(0, 0) = 13;
  m.at<uint8_t>(0, 1) = 99;
  auto h = ClassHistogram(m);
  EXPECT_EQ(h[1], 14);
  EXPECT_EQ(h[13], 1);
}

}  // namespace
}  // namespace smile::training
