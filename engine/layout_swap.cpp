#include "engine/layout_swap.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "engine/reenact.h"

namespace smile::engine {

namespace {
// A part's centre and size (RMS distance of its points from the centre).
std::pair<cv::Point2d, double> PartFrame(const Landmarks& p, int first, int last) {
  cv::Point2d c(0, 0);
  for (int i = first; i < last; ++i) c += cv::Point2d(p[i]);
  c /= static_cast<double>(last - first);
  double q = 0;
  for (int i = first; i < last; ++i) q += std::pow(cv::norm(cv::Point2d(p[i]) - c), 2);
  return {c, std::sqrt(q / (last - first))};
}
}  // namespace

LayoutRetargeter::LayoutRetargeter(cv::Mat labels, Landmarks landmarks, LayoutOptions o)
    : labels_(std::move(labels)), landmarks_(std::move(landmarks)), o_(o) {}

Landmarks LayoutRetargeter::LandmarksAt(int side) const {
  Landmarks out = landmarks_;
  const float k = static_cast<float>(static_cast<double>(side) / labels_.cols);
  for (auto& p : out) p *= k;
  return out;
}

cv::Mat LayoutRetargeter::Retarget(const Landmarks& driver, int side, double t, Landmarks* moved) {
  cv::Mat labels;
  cv::resize(labels_, labels, cv::Size(side, side), 0, 0, cv::INTER_NEAREST);
  if (driver.size() != 68 || landmarks_.size() != 68) return labels;
  const double k = static_cast<double>(side) / labels_.cols;  // identity pixels -> this side
  // The driver's part means: the first frame, then an exponential average over mean_seconds.
  const double a = have_mean_ ? 1.0 - std::exp(-std::max(0.0, t - t_prev_) / std::max(1e-3, o_.mean_seconds)) : 1.0;
  have_mean_ = true;
  t_prev_ = t;
  Landmarks out = LandmarksAt(side);
  for (int p = 0; p < kNumParts; ++p) {
    const auto [c, size] = PartFrame(driver, kParts[p][0], kParts[p][1]);
    mean_center_[p] += a * (c - mean_center_[p]);
    mean_size_[p] += a * (size - mean_size_[p]);
    auto [ci, size_i] = PartFrame(landmarks_, kParts[p][0], kParts[p][1]);
    ci *= k, size_i *= k;
    const double s = mean_size_[p] > 1e-6 ? size_i / mean_size_[p] : 1.0;
    for (int i = kParts[p][0]; i < kParts[p][1]; ++i) {
      const cv::Point2d q = (cv::Point2d(driver[i]) - mean_center_[p]) * s + ci;
      out[i] = cv::Point2f(static_cast<float>(q.x), static_cast<float>(q.y));
    }
  }
  if (moved) *moved = out;
  return Reenactor::RedrawParts(labels, out);
}

}  // namespace smile::engine
