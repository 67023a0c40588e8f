#include "engine/eval_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include "core/face_labels.h"
#include "core/image_metrics.h"
#include "engine/metrics.h"

namespace smile::engine {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kDeg = 180.0 / CV_PI;
}  // namespace

double Rmse(const cv::Mat& a, const cv::Mat& b, const cv::Mat& region) {
  CV_Assert(a.size() == b.size() && a.type() == b.type());
  cv::Mat fa, fb;
  a.convertTo(fa, CV_64F);
  b.convertTo(fb, CV_64F);
  cv::Mat d = fa - fb;
  d = d.mul(d);
  const int ch = a.channels();
  double total = 0;
  int64_t n = 0;
  if (region.empty()) {
    cv::Scalar s = cv::sum(d);
    for (int c = 0; c < ch; ++c) total += s[c];
    n = static_cast<int64_t>(a.total()) * ch;
  } else {
    cv::Scalar s = cv::sum(d.setTo(0, region == 0));
    for (int c = 0; c < ch; ++c) total += s[c];
    n = static_cast<int64_t>(cv::countNonZero(region)) * ch;
  }
  return n > 0 ? std::sqrt(total / n) : kNaN;
}

ImageErrors CompareImages(const cv::Mat& a, const cv::Mat& b, const cv::Mat& region) {
  return {Psnr(a, b, region), Ssim(a, b, region), Rmse(a, b, region)};
}

FeatureStats ComputeFeatureStats(const cv::Mat& features) {
  CV_Assert(features.dims == 2 && features.rows >= 2);
  cv::Mat f;
  features.convertTo(f, CV_64F);
  FeatureStats s;
  s.count = f.rows;
  cv::calcCovarMatrix(f, s.cov, s.mean, cv::COVAR_NORMAL | cv::COVAR_ROWS | cv::COVAR_SCALE, CV_64F);
  s.cov *= static_cast<double>(f.rows) / (f.rows - 1);  // unbiased, as numpy.cov
  return s;
}

cv::Mat SymmetricSqrt(const cv::Mat& m) {
  cv::Mat sym = (m + m.t()) * 0.5;
  cv::Mat values, vectors;
  cv::eigen(sym, values, vectors);  // rows of `vectors` are eigenvectors
  cv::Mat root = cv::Mat::zeros(values.rows, 1, CV_64F);
  for (int i = 0; i < values.rows; ++i) root.at<double>(i) = std::sqrt(std::max(0.0, values.at<double>(i)));
  return vectors.t() * cv::Mat::diag(root) * vectors;
}

double FrechetDistance(const FeatureStats& a, const FeatureStats& b) {
  CV_Assert(a.mean.size() == b.mean.size() && a.cov.size() == b.cov.size());
  cv::Mat diff = a.mean - b.mean;
  const double mean_term = diff.dot(diff);
  cv::Mat s1 = SymmetricSqrt(a.cov);
  cv::Mat inner = SymmetricSqrt(s1 * b.cov * s1);
  const double fd = mean_term + cv::trace(a.cov)[0] + cv::trace(b.cov)[0] - 2 * cv::trace(inner)[0];
  return std::max(0.0, fd);
}

// ---- head pose ----
// A generic face (the 14-point rigid model widely used with dlib's 68 landmarks for
// head pose), converted to camera axes: x to the image right, y down, z away from the camera.
const std::vector<cv::Point3d>& GenericFace3d() {
  static const std::vector<cv::Point3d> pts = [] {
    const double m[14][3] = {
        {6.825897, 6.760612, 4.402142},   {1.330353, 7.122144, 6.903745},   {-1.330353, 7.122144, 6.903745},
        {-6.825897, 6.760612, 4.402142},  {5.311432, 5.485328, 3.987654},   {1.789930, 5.393625, 4.413414},
        {-1.789930, 5.393625, 4.413414},  {-5.311432, 5.485328, 3.987654},  {2.005628, 1.409845, 6.165652},
        {-2.005628, 1.409845, 6.165652},  {2.774015, -2.080775, 5.048531},  {-2.774015, -2.080775, 5.048531},
        {0.000000, -3.116408, 6.097667},  {0.000000, -7.415691, 4.070434}};
    std::vector<cv::Point3d> v;
    for (const auto& p : m) v.emplace_back(-p[0], -p[1], -p[2]);
    return v;
  }();
  return pts;
}

const std::vector<int>& GenericFaceLandmarkIds() {
  // brow corners (17 21 22 26), eye corners (36 39 42 45), nostrils (31 35), mouth corners
  // (48 54), lower lip centre (57), chin (8).
  static const std::vector<int> ids = {17, 21, 22, 26, 36, 39, 42, 45, 31, 35, 48, 54, 57, 8};
  return ids;
}

cv::Matx33d RotationFromEuler(double yaw, double pitch, double roll) {
  const double y = yaw / kDeg, p = pitch / kDeg, r = roll / kDeg;
  cv::Matx33d rx(1, 0, 0, 0, std::cos(p), -std::sin(p), 0, std::sin(p), std::cos(p));
  cv::Matx33d ry(std::cos(y), 0, std::sin(y), 0, 1, 0, -std::sin(y), 0, std::cos(y));
  cv::Matx33d rz(std::cos(r), -std::sin(r), 0, std::sin(r), std::cos(r), 0, 0, 0, 1);
  return rz * ry * rx;
}

HeadPose EulerFromRotation(const cv::Matx33d& r) {
  HeadPose h;
  h.ok = true;
  h.yaw = std::asin(std::clamp(-r(2, 0), -1.0, 1.0)) * kDeg;
  h.pitch = std::atan2(r(2, 1), r(2, 2)) * kDeg;
  h.roll = std::atan2(r(1, 0), r(0, 0)) * kDeg;
  return h;
}

HeadPose EstimateHeadPose(const Landmarks& pts, cv::Size image_size) {
  if (pts.size() != 68) return {};
  std::vector<cv::Point2d> image;
  for (int id : GenericFaceLandmarkIds()) image.emplace_back(pts[id].x, pts[id].y);
  const double f = std::max(image_size.width, image_size.height);
  cv::Matx33d k(f, 0, image_size.width / 2.0, 0, f, image_size.height / 2.0, 0, 0, 1);
  // Start from a frontal face at the distance that gives the observed brow-corner span (13.65 units).
  const double span = std::max(1.0, cv::norm(image[0] - image[3]));
  cv::Point2d centre(0, 0);
  for (const auto& p : image) centre += p;
  centre *= 1.0 / image.size();
  const double z = f * 13.65 / span;
  cv::Mat rvec = cv::Mat::zeros(3, 1, CV_64F);
  cv::Mat tvec = (cv::Mat_<double>(3, 1) << (centre.x - k(0, 2)) * z / f, (centre.y - k(1, 2)) * z / f, z);
  if (!cv::solvePnP(GenericFace3d(), image, k, cv::noArray(), rvec, tvec, true, cv::SOLVEPNP_ITERATIVE)) return {};
  cv::Mat rm;
  cv::Rodrigues(rvec, rm);
  return EulerFromRotation(cv::Matx33d(rm));
}

PoseError ComparePoses(const HeadPose& a, const HeadPose& b) {
  auto d = [](double x, double y) {
    double v = std::fabs(x - y);
    return v > 180 ? 360 - v : v;
  };
  return {d(a.yaw, b.yaw), d(a.pitch, b.pitch), d(a.roll, b.roll)};
}

double LandmarkError(const Landmarks& reference, const Landmarks& other, int from, int to) {
  if (reference.size() != 68 || other.size() != 68 || from < 0 || to > 67 || from > to) return -1;
  const double iod = InterOcular(reference);
  if (iod <= 1e-6) return -1;
  double total = 0;
  for (int i = from; i <= to; ++i) total += cv::norm(reference[i] - other[i]);
  return total / (to - from + 1) / iod;
}

double MaskMeanIoU(const cv::Mat& a, const cv::Mat& b) {
  ConfusionMatrix m;
  m.Add(a, b);
  return m.MeanIoUAnyClasses();
}

double RegionFlicker(const cv::Mat& previous, const cv::Mat& current, const cv::Mat& region) {
  CV_Assert(previous.size() == current.size() && previous.type() == current.type());
  cv::Mat d;
  cv::absdiff(previous, current, d);
  cv::Scalar s = region.empty() ? cv::mean(d) : cv::mean(d, region);
  if (!region.empty() && cv::countNonZero(region) == 0) return kNaN;
  double t = 0;
  for (int c = 0; c < d.channels(); ++c) t += s[c];
  return t / d.channels();
}

cv::Mat DenseFlow(const cv::Mat& from, const cv::Mat& to) {
  cv::Mat g0, g1;
  if (from.channels() == 3) cv::cvtColor(from, g0, cv::COLOR_BGR2GRAY); else g0 = from;
  if (to.channels() == 3) cv::cvtColor(to, g1, cv::COLOR_BGR2GRAY); else g1 = to;
  cv::Mat flow;
  auto dis = cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_MEDIUM);
  dis->calc(g0, g1, flow);
  return flow;
}

double WarpingError(const cv::Mat& driver_previous, const cv::Mat& driver_current, const cv::Mat& output_previous,
                    const cv::Mat& output_current, const cv::Mat& region, const WarpOptions& o) {
  CV_Assert(driver_previous.size() == driver_current.size() && output_previous.size() == output_current.size() &&
            driver_current.size() == output_current.size());
  return WarpingErrorFromFlow(DenseFlow(driver_current, driver_previous), DenseFlow(driver_previous, driver_current),
                              output_previous, output_current, region, o);
}

double WarpingErrorFromFlow(const cv::Mat& back, const cv::Mat& fwd, const cv::Mat& output_previous,
                           const cv::Mat& output_current, const cv::Mat& region, const WarpOptions& o) {
  CV_Assert(back.size() == output_current.size() && fwd.size() == back.size() &&
            output_previous.size() == output_current.size());
  const int w = back.cols, h = back.rows;
  cv::Mat map(h, w, CV_32FC2);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      auto f = back.at<cv::Vec2f>(y, x);
      map.at<cv::Vec2f>(y, x) = cv::Vec2f(x + f[0], y + f[1]);
    }
  cv::Mat warped, fwd_at;
  cv::remap(output_previous, warped, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  cv::remap(fwd, fwd_at, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  cv::Mat a, b;
  warped.convertTo(a, CV_64F, 1 / 255.0);
  output_current.convertTo(b, CV_64F, 1 / 255.0);
  const int ch = a.channels();
  double total = 0;
  int64_t n = 0;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      if (!region.empty() && region.at<uchar>(y, x) == 0) continue;
      auto m = map.at<cv::Vec2f>(y, x);
      if (m[0] < 0 || m[1] < 0 || m[0] > w - 1 || m[1] > h - 1) continue;
      auto fb = back.at<cv::Vec2f>(y, x);
      auto ff = fwd_at.at<cv::Vec2f>(y, x);
      const double mismatch = std::hypot(fb[0] + ff[0], fb[1] + ff[1]);
      if (mismatch > o.occlusion_threshold + 0.05 * (cv::norm(fb) + cv::norm(ff))) continue;
      const double* pa = a.ptr<double>(y) + x * ch;
      const double* pb = b.ptr<double>(y) + x * ch;
      for (int c = 0; c < ch; ++c) total += (pa[c] - pb[c]) * (pa[c] - pb[c]);
      n += ch;
    }
  return n > 0 ? total / n : -1;
}

double SeriesMean(const std::vector<double>& v) {
  double t = 0;
  int n = 0;
  for (double x : v)
    if (std::isfinite(x)) t += x, ++n;
  return n ? t / n : kNaN;
}

double SeriesStd(const std::vector<double>& v) {
  const double m = SeriesMean(v);
  double t = 0;
  int n = 0;
  for (double x : v)
    if (std::isfinite(x)) t += (x - m) * (x - m), ++n;
  return n ? std::sqrt(t / n) : kNaN;
}

}  // namespace smile::engine
