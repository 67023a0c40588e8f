#include "engine/stabilizer.h"

#include <algorithm>
#include <cmath>


namespace smile::engine {

cv::Mat TemporalStabilizer::Apply(const cv::Mat& rendered, const Alignment& alignment) {
  CV_Assert(rendered.type() == CV_8UC3);
  const double strength = std::clamp(o_.strength, 0.0, 0.99);
  const bool same_shape = !prev_.empty() && prev_.size() == rendered.size() &&
                          prev_alignment_.quad.size() == 4 && alignment.quad.size() == 4;
  double motion = 0;
  if (same_shape)
    for (int i = 0; i < 4; ++i) {
      const cv::Point2f d = alignment.quad[i] - prev_alignment_.quad[i];
      motion = std::max(motion, static_cast<double>(std::hypot(d.x, d.y)));
    }
  const double side = same_shape ? cv::norm(alignment.quad[1] - alignment.quad[0]) : 0;
  if (strength <= 0 || !same_shape || side <= 0 || motion > o_.reset_motion * side) {
    prev_ = rendered.clone();
    prev_alignment_ = alignment;
    return prev_.clone();
  }
  // Compared in crop coordinates: the crop follows the head (AlignmentFilter) and the render is
  // drawn in it, so a head that moves keeps its texture where it was in the crop.
  const float floor = static_cast<float>(1.0 - strength);
  const float per_level = static_cast<float>((1.0 - floor) / std::max(1e-3, o_.threshold));
  cv::Mat out(rendered.size(), CV_8UC3);
  for (int y = 0; y < rendered.rows; ++y) {
    const cv::Vec3b* n = rendered.ptr<cv::Vec3b>(y);
    const cv::Vec3b* p = prev_.ptr<cv::Vec3b>(y);
    cv::Vec3b* o = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < rendered.cols; ++x) {
      int d = 0;
      for (int c = 0; c < 3; ++c) d = std::max(d, std::abs(int(n[x][c]) - int(p[x][c])));
      const float k = std::min(1.f, floor + per_level * d);
      for (int c = 0; c < 3; ++c) o[x][c] = cv::saturate_cast<uint8_t>(p[x][c] + k * (float(n[x][c]) - p[x][c]));
    }
  }
  prev_ = out.clone();
  prev_alignment_ = alignment;
  return out;
}

}  // namespace smile::engine
