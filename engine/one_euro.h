// One-Euro filter (Casiez et al. 2012): an adaptive low-pass whose cutoff rises
// with speed, so still signals are still and fast motion has little lag.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

namespace smile::engine {

struct OneEuroParams {
  double min_cutoff = 1.0;  // Hz; lower = smoother when still
  double beta = 0.5;        // cutoff increase per unit of speed (units/s)
  double d_cutoff = 1.0;    // Hz; cutoff of the speed estimate
};

class OneEuroFilter {
 public:
  explicit OneEuroFilter(OneEuroParams p = {}) : p_(p) {}
  // Filters one sample taken at time t (seconds, increasing).
  double Filter(double x, double t);
  void Reset() { init_ = false; }

 private:
  OneEuroParams p_;
  bool init_ = false;
  double x_prev_ = 0, dx_prev_ = 0, t_prev_ = 0;
};

// One filter per coordinate of a point set. Coordinates are filtered in units of
// `scale` (e.g. the inter-ocular distance, taken at the first call after a reset), so one
// parameter set fits any face size.
class PointsFilter {
 public:
  explicit PointsFilter(OneEuroParams p = {}) : p_(p) {}
  std::vector<cv::Point2f> Filter(const std::vector<cv::Point2f>& pts, double t, double scale);
  void Reset() { filters_.clear(); }

 private:
  OneEuroParams p_;
  std::vector<OneEuroFilter> filters_;
  double scale_ = 1.0;
};

}  // namespace smile::engine
