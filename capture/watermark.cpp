#include "capture/watermark.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace smile::capture {
namespace {

struct Layout {
  cv::Rect box;
  cv::Point origin;
  double scale = 1.0;
  int thickness = 1;
};

Layout ComputeLayout(cv::Size size, const WatermarkOptions& o) {
  Layout l;
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  const int target_h = std::max(10, static_cast<int>(std::lround(size.height * o.height_frac)));
  int base = 0;
  cv::Size unit = cv::getTextSize(o.text, font, 1.0, 1, &base);
  l.scale = unit.height > 0 ? double(target_h) / unit.height : 1.0;
  l.thickness = std::max(1, static_cast<int>(std::lround(l.scale * 1.5)));
  cv::Size ts = cv::getTextSize(o.text, font, l.scale, l.thickness, &base);
  // Never wider than the frame minus margins.
  const int margin = std::max(2, target_h / 2);
  if (ts.width + 2 * margin > size.width && ts.width > 0) {
    l.scale *= double(std::max(1, size.width - 2 * margin)) / (ts.width + 2 * margin);
    l.thickness = std::max(1, static_cast<int>(std::lround(l.scale * 1.5)));
    ts = cv::getTextSize(o.text, font, l.scale, l.thickness, &base);
  }
  const int pad = std::max(2, ts.height / 3);
  const int bw = ts.width + 2 * pad, bh = ts.height + base + 2 * pad;
  const bool right = o.corner == Corner::kBottomRight || o.corner == Corner::kTopRight;
  const bool bottom = o.corner == Corner::kBottomRight || o.corner == Corner::kBottomLeft;
  int x = right ? size.width - margin - bw : margin;
  int y = bottom ? size.height - margin - bh : margin;
  l.box = cv::Rect(x, y, bw, bh) & cv::Rect(0, 0, size.width, size.height);
  l.origin = cv::Point(x + pad, y + pad + ts.height);
  return l;
}

}  // namespace

cv::Rect WatermarkRect(cv::Size size, const WatermarkOptions& options) {
  if (size.width <= 0 || size.height <= 0) return cv::Rect();
  return ComputeLayout(size, options).box;
}

void DrawWatermark(cv::Mat& image, const WatermarkOptions& options) {
  if (image.empty() || options.text.empty() || image.depth() != CV_8U) return;
  const Layout l = ComputeLayout(image.size(), options);
  if (l.box.area() <= 0) return;
  cv::Mat roi = image(l.box);
  cv::Mat label = roi.clone();
  const cv::Scalar dark = image.channels() == 1 ? cv::Scalar(0) : cv::Scalar(0, 0, 0, 255);
  const cv::Scalar white = image.channels() == 1 ? cv::Scalar(255) : cv::Scalar(255, 255, 255, 255);
  label.setTo(dark);
  cv::putText(label, options.text, l.origin - l.box.tl(), cv::FONT_HERSHEY_SIMPLEX, l.scale, white, l.thickness,
              cv::LINE_AA);
  const double a = std::clamp(options.opacity, 0.0, 1.0);
  // The box is half as opaque as the text so the picture shows through.
  cv::Mat text_mask;
  cv::Mat gray;
  if (label.channels() == 1) gray = label;
  else cv::cvtColor(label, gray, label.channels() == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
  gray.convertTo(text_mask, CV_32F, 1.0 / 255);
  cv::Mat alpha = 0.5 * a + text_mask * (0.5 * a);  // 0.5a on the box, a on the text
  cv::Mat roi_f, label_f;
  roi.convertTo(roi_f, CV_32F);
  label.convertTo(label_f, CV_32F);
  std::vector<cv::Mat> ach(image.channels(), alpha);
  cv::Mat alpha_c;
  cv::merge(ach, alpha_c);
  cv::Mat out = roi_f.mul(cv::Scalar::all(1.0) - alpha_c) + label_f.mul(alpha_c);
  out.convertTo(roi, image.type());
}

}  // namespace smile::capture
