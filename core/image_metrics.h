// Image quality metrics on 8-bit images (BGR or gray): PSNR and SSIM, optionally
// restricted to a region (CV_8U mask, non-zero = inside).
#pragma once

#include <opencv2/core.hpp>

namespace smile {

// Peak signal-to-noise ratio in dB (peak 255); +inf for identical images.
double Psnr(const cv::Mat& a, const cv::Mat& b, const cv::Mat& region = cv::Mat());
// Mean structural similarity (Gaussian window 11, sigma 1.5, on luminance); 1 for identical images.
// With a region, the SSIM map is averaged inside it.
double Ssim(const cv::Mat& a, const cv::Mat& b, const cv::Mat& region = cv::Mat());

}  // namespace smile
