#include "core/image_metrics.h"

#include <cmath>
#include <limits>

#include <opencv2/imgproc.hpp>

namespace smile {

double Psnr(const cv::Mat& a, const cv::Mat& b, const cv::Mat& region) {
  CV_Assert(a.size() == b.size() && a.type() == b.type());
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  diff.convertTo(diff, CV_64F);
  diff = diff.mul(diff);
  cv::Scalar s = region.empty() ? cv::sum(diff) : cv::sum(diff.setTo(0, region == 0));
  double n = static_cast<double>(region.empty() ? a.total() : cv::countNonZero(region)) * a.channels();
  if (n <= 0) return std::numeric_limits<double>::quiet_NaN();
  double mse = (s[0] + s[1] + s[2] + s[3]) / n;
  if (mse <= 0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(255.0 * 255.0 / mse);
}

double Ssim(const cv::Mat& a, const cv::Mat& b, const cv::Mat& region) {
  CV_Assert(a.size() == b.size() && a.type() == b.type());
  auto gray = [](const cv::Mat& m) {
    cv::Mat g, f;
    if (m.channels() == 3) cv::cvtColor(m, g, cv::COLOR_BGR2GRAY);
    else g = m;
    g.convertTo(f, CV_64F);
    return f;
  };
  cv::Mat x = gray(a), y = gray(b);
  const double c1 = std::pow(0.01 * 255, 2), c2 = std::pow(0.03 * 255, 2);
  auto blur = [](const cv::Mat& m) {
    cv::Mat o;
    cv::GaussianBlur(m, o, cv::Size(11, 11), 1.5);
    return o;
  };
  cv::Mat mx = blur(x), my = blur(y);
  cv::Mat sxx = blur(x.mul(x)) - mx.mul(mx), syy = blur(y.mul(y)) - my.mul(my), sxy = blur(x.mul(y)) - mx.mul(my);
  cv::Mat num = (2 * mx.mul(my) + c1).mul(2 * sxy + c2);
  cv::Mat den = (mx.mul(mx) + my.mul(my) + c1).mul(sxx + syy + c2);
  cv::Mat map;
  cv::divide(num, den, map);
  return region.empty() ? cv::mean(map)[0] : cv::mean(map, region)[0];
}

}  // namespace smile
