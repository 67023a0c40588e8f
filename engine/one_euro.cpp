#include "engine/one_euro.h"

#include <cmath>

namespace smile::engine {
namespace {
double Alpha(double cutoff, double dt) {
  const double tau = 1.0 / (2 * M_PI * cutoff);
  return 1.0 / (1.0 + tau / dt);
}
}  // namespace

double OneEuroFilter::Filter(double x, double t) {
  if (!init_ || t <= t_prev_) {
    if (!init_) {
      init_ = true;
      x_prev_ = x;
      dx_prev_ = 0;
      t_prev_ = t;
      return x;
    }
    t = t_prev_ + 1e-3;  // non-increasing time: treat as a tiny step
  }
  const double dt = t - t_prev_;
  const double dx = (x - x_prev_) / dt;
  const double a_d = Alpha(p_.d_cutoff, dt);
  const double dx_hat = a_d * dx + (1 - a_d) * dx_prev_;
  const double cutoff = p_.min_cutoff + p_.beta * std::fabs(dx_hat);
  const double a = Alpha(cutoff, dt);
  const double x_hat = a * x + (1 - a) * x_prev_;
  x_prev_ = x_hat;
  dx_prev_ = dx_hat;
  t_prev_ = t;
  return x_hat;
}

std::vector<cv::Point2f> PointsFilter::Filter(const std::vector<cv::Point2f>& pts, double t, double scale) {
  if (filters_.size() != pts.size() * 2) {
    filters_.assign(pts.size() * 2, OneEuroFilter(p_));
    scale_ = scale > 1e-6 ? scale : 1.0;  // fixed until the next reset, so scale noise does not move points
  }
  const double s = scale_;
  std::vector<cv::Point2f> out(pts.size());
  for (size_t i = 0; i < pts.size(); ++i) {
    out[i].x = static_cast<float>(filters_[2 * i].Filter(pts[i].x / s, t) * s);
    out[i].y = static_cast<float>(filters_[2 * i + 1].Filter(pts[i].y / s, t) * s);
  }
  return out;
}

}  // namespace smile::engine
