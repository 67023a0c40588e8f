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
#include "engine/reenact.h"

namespace smile::engine {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
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

void ClassErrors::Add(const cv::Mat& a, const cv::Mat& b, const cv::Mat& labels) {
  CV_Assert(a.size() == b.size() && a.type() == b.type() && a.depth() == CV_8U && labels.type() == CV_8UC1 &&
            labels.size() == a.size());
  channels = a.channels();
  if (sse.size() < 256) sse.resize(256, 0.0), pixels.resize(256, 0.0);
  for (int y = 0; y < a.rows; ++y) {
    const uint8_t* pa = a.ptr<uint8_t>(y);
    const uint8_t* pb = b.ptr<uint8_t>(y);
    const uint8_t* pl = labels.ptr<uint8_t>(y);
    for (int x = 0; x < a.cols; ++x) {
      double e = 0;
      for (int c = 0; c < channels; ++c) {
        const double d = static_cast<double>(pa[x * channels + c]) - pb[x * channels + c];
        e += d * d;
      }
      sse[pl[x]] += e;
      pixels[pl[x]] += 1;
    }
  }
}

cv::Mat NearClassEdges(const cv::Mat& labels, int radius, uint8_t fill) {
  CV_Assert(labels.type() == CV_8UC1 && radius >= 1);
  cv::Mat hi, lo, out = labels.clone();
  const cv::Mat k = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(2 * radius + 1, 2 * radius + 1));
  // The image border is no edge: replicate it.
  cv::dilate(labels, hi, k, cv::Point(-1, -1), 1, cv::BORDER_REPLICATE);
  cv::erode(labels, lo, k, cv::Point(-1, -1), 1, cv::BORDER_REPLICATE);
  out.setTo(fill, hi == lo);
  return out;
}

double ClassErrors::Sse(const std::vector<int>& classes) const {
  double t = 0;
  for (int c : classes)
    if (c >= 0 && c < static_cast<int>(sse.size())) t += sse[c];
  return t;
}

double ClassErrors::Pixels(const std::vector<int>& classes) const {
  double t = 0;
  for (int c : classes)
    if (c >= 0 && c < static_cast<int>(pixels.size())) t += pixels[c];
  return t;
}

namespace {
double PsnrOfMse(double mse) { return mse > 0 ? 10.0 * std::log10(255.0 * 255.0 / mse) : kInf; }
}  // namespace

double ClassErrors::Psnr(const std::vector<int>& classes) const {
  const double n = Pixels(classes) * channels;
  return n > 0 ? PsnrOfMse(Sse(classes) / n) : kNaN;
}

double ClassErrors::PsnrWithout(const std::vector<int>& classes, const std::vector<int>& group) const {
  const double n = Pixels(classes) * channels;
  if (n <= 0) return kNaN;
  double kept = 0;
  for (int c : classes)
    if (std::find(group.begin(), group.end(), c) == group.end()) kept += Sse({c});
  return PsnrOfMse(kept / n);
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

std::vector<bool> StillFrames(const std::vector<double>& motion, double threshold, int min_run) {
  std::vector<bool> still(motion.size(), false);
  size_t start = 0;
  for (size_t i = 0; i <= motion.size(); ++i) {
    const bool ok = i < motion.size() && std::isfinite(motion[i]) && motion[i] <= threshold;
    if (ok) continue;
    if (i - start >= static_cast<size_t>(std::max(1, min_run)))
      for (size_t k = start; k < i; ++k) still[k] = true;
    start = i + 1;
  }
  return still;
}

double MeanFlowMagnitude(const cv::Mat& flow, const cv::Mat& region) {
  CV_Assert(flow.type() == CV_32FC2 && (region.empty() || region.size() == flow.size()));
  double sum = 0;
  int64_t n = 0;
  for (int y = 0; y < flow.rows; ++y) {
    const auto* f = flow.ptr<cv::Vec2f>(y);
    const uint8_t* m = region.empty() ? nullptr : region.ptr<uint8_t>(y);
    for (int x = 0; x < flow.cols; ++x) {
      if (m && !m[x]) continue;
      sum += std::hypot(f[x][0], f[x][1]);
      ++n;
    }
  }
  return n ? sum / static_cast<double>(n) : kNaN;
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

namespace {
// The rigid points the reenactor uses for head pose (eye corners, nose).
const std::vector<int> kRigidPoints = {36, 39, 42, 45, 27, 28, 29, 30, 31, 33, 35};
}  // namespace

std::vector<cv::Point2d> ExpressionMotion(const Landmarks& reference, const Landmarks& current) {
  if (reference.size() != 68 || current.size() != 68) return {};
  const double iod = InterOcular(reference);
  if (iod <= 1e-6) return {};
  // current -> reference frame: the inverse of the similarity reference -> current.
  const cv::Matx23d m = Reenactor::Similarity(reference, current, kRigidPoints);
  const double a = m(0, 0), b = m(1, 0), det = a * a + b * b;
  if (det < 1e-12) return {};
  // Reference face's upright axes: the eye line (subject's right eye -> left eye) is +x.
  const cv::Point2f eye = LeftEyeCenter(reference) - RightEyeCenter(reference);
  const double th = std::atan2(eye.y, eye.x), c = std::cos(th), s = std::sin(th);
  std::vector<cv::Point2d> out;
  for (int i = 0; i < 68; ++i) {
    if (!Reenactor::IsExpressionPoint(i)) continue;
    const double x = current[i].x - m(0, 2), y = current[i].y - m(1, 2);
    // Inverse of [a -b; b a]: [a b; -b a] / det.
    const double ux = (a * x + b * y) / det, uy = (-b * x + a * y) / det;
    const double dx = ux - reference[i].x, dy = uy - reference[i].y;
    out.emplace_back((c * dx + s * dy) / iod, (-s * dx + c * dy) / iod);
  }
  return out;
}

double ExpressionTransferError(const std::vector<cv::Point2d>& driver, const std::vector<cv::Point2d>& output) {
  if (driver.empty() || driver.size() != output.size()) return kNaN;
  double t = 0;
  for (size_t i = 0; i < driver.size(); ++i) t += cv::norm(driver[i] - output[i]);
  return t / driver.size();
}

double ExpressionMagnitude(const std::vector<cv::Point2d>& motion) {
  if (motion.empty()) return kNaN;
  double t = 0;
  for (const auto& p : motion) t += cv::norm(p);
  return t / motion.size();
}

RigidMotion RigidMotionBetween(const Landmarks& reference, const Landmarks& current) {
  if (reference.size() != 68 || current.size() != 68) return {};
  const cv::Matx23d m = Reenactor::Similarity(reference, current, kRigidPoints);
  RigidMotion r;
  r.scale = std::hypot(m(0, 0), m(1, 0));
  if (r.scale < 1e-9) return {};
  r.angle = std::atan2(m(1, 0), m(0, 0)) * kDeg;
  r.ok = true;
  return r;
}

double PearsonCorrelation(const std::vector<double>& a, const std::vector<double>& b) {
  double sa = 0, sb = 0;
  int n = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    if (std::isfinite(a[i]) && std::isfinite(b[i])) sa += a[i], sb += b[i], ++n;
  if (n < 3) return kNaN;
  const double ma = sa / n, mb = sb / n;
  double cab = 0, caa = 0, cbb = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    if (std::isfinite(a[i]) && std::isfinite(b[i])) {
      cab += (a[i] - ma) * (b[i] - mb);
      caa += (a[i] - ma) * (a[i] - ma);
      cbb += (b[i] - mb) * (b[i] - mb);
    }
  if (caa <= 1e-300 || cbb <= 1e-300) return kNaN;
  return cab / std::sqrt(caa * cbb);
}

void TrackContinuity::Add(bool face, bool detector_confirmed, int id) {
  ++frames;
  if (!face) {
    if (gap_ == 0 && found > 0) ++gaps;
    longest_gap = std::max(longest_gap, ++gap_);
    return;
  }
  gap_ = 0;
  ++found;
  if (detector_confirmed) ++detected;
  if (id >= 0 && last_id_ >= 0 && id != last_id_) ++id_changes;
  if (id >= 0) last_id_ = id;
}

double TrackContinuity::found_rate() const { return frames ? double(found) / frames : kNaN; }
double TrackContinuity::detected_rate() const { return frames ? double(detected) / frames : kNaN; }

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
