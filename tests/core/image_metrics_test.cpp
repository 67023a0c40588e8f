#include "core/image_metrics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace smile {
namespace {

TEST(ImageMetrics, IdenticalImagesArePerfect) {
  cv::Mat a(32, 32, CV_8UC3);
  cv::randu(a, 0, 255);
  EXPECT_TRUE(std::isinf(Psnr(a, a)));
  EXPECT_NEAR(Ssim(a, a), 1.0, 1e-9);
}

TEST(ImageMetrics, PsnrOfAKnownError) {
  cv::Mat a(16, 16, CV_8UC1, cv::Scalar(100)), b(16, 16, CV_8UC1, cv::Scalar(110));
  EXPECT_NEAR(Psnr(a, b), 10 * std::log10(255.0 * 255.0 / 100.0), 1e-9);  // mse 100
}

TEST(ImageMetrics, RegionRestrictsTheMeasure) {
  cv::Mat a(16, 16, CV_8UC3, cv::Scalar(50, 50, 50)), b = a.clone();
  b(cv::Rect(0, 0, 8, 16)).setTo(cv::Scalar(0, 0, 0));  // left half wrong
  cv::Mat right(16, 16, CV_8UC1, cv::Scalar(0));
  right(cv::Rect(8, 0, 8, 16)).setTo(255);
  EXPECT_TRUE(std::isinf(Psnr(a, b, right)));
  EXPECT_LT(Psnr(a, b), 20.0);
  cv::Mat noisy = a.clone();
  cv::randn(noisy, 50, 20);
  EXPECT_LT(Ssim(a, noisy), 0.9);
}

}  // namespace
}  // namespace smile
