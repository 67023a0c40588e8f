#include "engine/iris_mask.h"

#include <cmath>

#include <opencv2/imgproc.hpp>

#include "core/face_labels.h"

namespace smile::engine {

namespace {
cv::Point2f Apply(const cv::Matx23d& m, cv::Point2f p) {
  return {static_cast<float>(m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2)),
          static_cast<float>(m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2))};
}
double ScaleOf(const cv::Matx23d& m) { return std::sqrt(std::abs(m(0, 0) * m(1, 1) - m(0, 1) * m(1, 0))); }
bool Finite(const IrisDiscs& d) {
  for (int e = 0; e < 2; ++e)
    if (!std::isfinite(d.center[e].x) || !std::isfinite(d.center[e].y) || !(d.radius[e] > 0) ||
        !std::isfinite(d.radius[e]))
      return false;
  return true;
}
}  // namespace

IrisDiscs IrisDiscsOf(const std::array<EyeIris, 2>& eyes, const cv::Matx23d& to_crop, int side) {
  IrisDiscs d;
  const double scale = ScaleOf(to_crop);
  for (int e = 0; e < 2; ++e) {
    const auto& iris = eyes[e].iris;
    if (iris.size() < 5) return IrisDiscs{};
    const cv::Point2f c = iris[0];
    double r = 0;
    for (int k = 1; k < 5; ++k) r += cv::norm(iris[k] - c);
    d.center[e] = Apply(to_crop, c);
    d.radius[e] = static_cast<float>(r / 4 * scale);
  }
  d.side = side;
  d.valid = Finite(d);
  return d;
}

IrisDiscs TransformIris(const IrisDiscs& discs, const cv::Matx23d& m, int side) {
  if (!discs.valid) return IrisDiscs{};
  IrisDiscs d = discs;
  const double scale = ScaleOf(m);
  for (int e = 0; e < 2; ++e) {
    d.center[e] = Apply(m, discs.center[e]);
    d.radius[e] = static_cast<float>(discs.radius[e] * scale);
  }
  d.side = side;
  d.valid = Finite(d);
  return d;
}

IrisDiscs TransferIris(const IrisDiscs& discs, const std::vector<cv::Point2f>& from,
                       const std::vector<cv::Point2f>& to, int side) {
  if (!discs.valid || from.size() != 68 || to.size() != 68) return IrisDiscs{};
  IrisDiscs d = discs;
  const int corners[2][2] = {{36, 39}, {42, 45}};
  for (int e = 0; e < 2; ++e) {
    // The similarity taking from's corner pair onto to's, as complex numbers: z -> m (z - fa) + ta.
    const cv::Point2d fa = from[corners[e][0]], fb = from[corners[e][1]];
    const cv::Point2d ta = to[corners[e][0]], tb = to[corners[e][1]];
    const cv::Point2d f = fb - fa, t = tb - ta;
    const double n = f.dot(f);
    if (n < 1e-9) return IrisDiscs{};
    const double mr = (t.x * f.x + t.y * f.y) / n, mi = (t.y * f.x - t.x * f.y) / n;
    const cv::Point2d z = cv::Point2d(discs.center[e]) - fa;
    d.center[e] = cv::Point2f(static_cast<float>(mr * z.x - mi * z.y + ta.x), static_cast<float>(mi * z.x + mr * z.y + ta.y));
    d.radius[e] = static_cast<float>(discs.radius[e] * std::hypot(mr, mi));
  }
  d.side = side;
  d.valid = Finite(d);
  return d;
}

void PaintIris(cv::Mat& labels, const IrisDiscs& discs) {
  CV_Assert(labels.type() == CV_8UC1);
  if (!discs.valid || discs.side <= 0 || labels.empty()) return;
  const double k = static_cast<double>(labels.cols) / discs.side;
  for (int e = 0; e < 2; ++e) {
    const double cx = discs.center[e].x * k, cy = discs.center[e].y * k, r = discs.radius[e] * k;
    // Pixel centres inside the disc (x + 0.5 in continuous coordinates).
    const int x0 = std::max(0, static_cast<int>(std::floor(cx - r))), x1 = std::min(labels.cols - 1, static_cast<int>(std::ceil(cx + r)));
    const int y0 = std::max(0, static_cast<int>(std::floor(cy - r))), y1 = std::min(labels.rows - 1, static_cast<int>(std::ceil(cy + r)));
    for (int y = y0; y <= y1; ++y) {
      uint8_t* l = labels.ptr<uint8_t>(y);
      for (int x = x0; x <= x1; ++x) {
        const double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
        if (dx * dx + dy * dy <= r * r && (l[x] == kLEye || l[x] == kREye)) l[x] = kIris;
      }
    }
  }
}

void PaintDefaultIris(cv::Mat& labels) {
  CV_Assert(labels.type() == CV_8UC1);
  IrisDiscs d;
  d.side = labels.cols;
  int found = 0;
  for (int e = 0; e < 2; ++e) {
    const int cls = e == 0 ? kREye : kLEye;
    const cv::Mat eye = labels == cls;
    const cv::Moments m = cv::moments(eye, true);
    if (m.m00 < 1) {
      d.center[e] = cv::Point2f(-1e4f, -1e4f);  // off the mask: paints nothing
      d.radius[e] = 1;
      continue;
    }
    const cv::Rect box = cv::boundingRect(eye);
    d.center[e] = cv::Point2f(static_cast<float>(m.m10 / m.m00), static_cast<float>(m.m01 / m.m00));
    d.radius[e] = std::max(1.0f, 0.22f * box.width);
    ++found;
  }
  d.valid = found > 0;
  PaintIris(labels, d);
}

}  // namespace smile::engine
