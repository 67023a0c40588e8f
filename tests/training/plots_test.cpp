#include "training/plots.h"

#include <gtest/gtest.h>

#include <cmath>

#include <opencv2/imgcodecs.hpp>

#include "tests/training/test_util.h"
#include "training/labels.h"

namespace smile::training {
namespace {

using testing::TempDir;

TEST(Plots, SmoothingAndTicks) {
  auto s = SmoothSeries({1, 1, 1, 10}, 0.5);
  EXPECT_DOUBLE_EQ(s[0], 1.0);  // bias-corrected: starts at the first value
  EXPECT_DOUBLE_EQ(s[2], 1.0);
  EXPECT_GT(s[3], 1.0);
  EXPECT_LT(s[3], 10.0);
  auto raw = SmoothSeries({3, 4}, 0.0);
  EXPECT_DOUBLE_EQ(raw[1], 4.0);
  auto t = NiceTicks(0, 1, 5);
  ASSERT_EQ(t.size(), 6u);
  EXPECT_DOUBLE_EQ(t[1], 0.2);
  auto t2 = NiceTicks(13, 987, 5);
  EXPECT_DOUBLE_EQ(t2[0], 200);
}

TEST(Plots, LossCurvePngIsWrittenWithOneColourPerLoss) {
  TempDir dir;
  std::string log_path = (dir.path() / "l.jsonl").string();
  {
    auto log = LossLog::Open(log_path);
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 200; ++i)
      ASSERT_TRUE((*log)->Add(i, {{"d_adv", 1.0 + 0.3 * std::sin(i * 0.3)}, {"g_adv", 3.0 * std::exp(-i / 50.0)}}).ok());
  }
  std::string png = (dir.path() / "curves.png").string();
  PlotOptions o;
  o.width = 640;
  o.height = 360;
  ASSERT_TRUE(SaveLossCurvePng(log_path, png, o).ok());
  cv::Mat img = cv::imread(png);
  ASSERT_FALSE(img.empty());
  EXPECT_EQ(img.size(), cv::Size(640, 360));
  // Both series' colours (tab10 blue and orange) are drawn.
  auto count = [&](cv::Vec3b c) {
    int n = 0;
    for (int y = 0; y < img.rows; ++y)
      for (int x = 0; x < img.cols; ++x) n += cv::norm(img.at<cv::Vec3b>(y, x), c, cv::NORM_INF) < 20;
    return n;
  };
  EXPECT_GT(count({180, 119, 31}), 200);
  EXPECT_GT(count({14, 127, 255}), 200);
  // Log scale and an empty plot also render.
  o.log_y = true;
  auto records = ReadLossLog(log_path);
  EXPECT_EQ(DrawLossCurves(*records, o).size(), cv::Size(640, 360));
  EXPECT_EQ(DrawLossCurves({}, o).size(), cv::Size(640, 360));
  EXPECT_FALSE(SaveLossCurvePng((dir.path() / "missing.jsonl").string(), png).ok());
}

TEST(Plots, ImageGridPlacesPhotosAndColourisedMasks) {
  TempDir dir;
  cv::Mat labels = testing::SyntheticLabels(64);
  cv::Mat photo(32, 32, CV_8UC3, cv::Scalar(10, 200, 30));
  GridOptions o;
  o.cell = 64;
  o.pad = 2;
  cv::Mat grid = MakeImageGrid({{photo, labels}, {labels}}, o);
  EXPECT_EQ(grid.size(), cv::Size(2 * 66 + 2, 2 * 66 + 2));
  EXPECT_EQ(grid.at<cv::Vec3b>(2 + 10, 2 + 10), cv::Vec3b(10, 200, 30));
  // Second cell: the colourised mask (background black at the corner, skin in the middle).
  EXPECT_EQ(grid.at<cv::Vec3b>(2 + 1, 68 + 1), CelebAMaskPaletteBgr()[labels.at<uint8_t>(1, 1)]);
  EXPECT_EQ(grid.at<cv::Vec3b>(2 + 32, 68 + 32), CelebAMaskPaletteBgr()[labels.at<uint8_t>(32, 32)]);
  EXPECT_EQ(grid.at<cv::Vec3b>(68 + 20, 68 + 20), cv::Vec3b(255, 255, 255));  // missing cell stays blank
  std::string path = (dir.path() / "grid.png").string();
  o.row_titles = {"real", "mask"};
  o.column_titles = {"a", "b"};
  ASSERT_TRUE(SaveImageGrid(path, {{photo, labels}, {labels, photo}}, o).ok());
  cv::Mat back = cv::imread(path);
  EXPECT_EQ(back.size(), cv::Size(110 + 2 * 66 + 2, 22 + 2 * 66 + 2));
  EXPECT_FALSE(SaveImageGrid(path, {}, o).ok());
}

}  // namespace
}  // namespace smile::training
