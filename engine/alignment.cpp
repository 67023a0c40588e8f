#include "engine/alignment.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace smile::engine {

namespace {

// The FFHQ square's centre and half-side vector from the eye centres and the eyes -> mouth vector.
void FfhqSquare(cv::Point2d eye_l, cv::Point2d eye_r, cv::Point2d eye_to_mouth, const AlignOptions& o, cv::Point2d* c,
                cv::Point2d* half) {
  const cv::Point2d eye_avg = (eye_l + eye_r) * 0.5;
  const cv::Point2d eye_to_eye = eye_r - eye_l;
  cv::Point2d x = eye_to_eye - cv::Point2d(-eye_to_mouth.y, eye_to_mouth.x);
  x *= 1.0 / std::max(1e-6, std::hypot(x.x, x.y));
  x *= std::max(std::hypot(eye_to_eye.x, eye_to_eye.y) * 2.0, std::hypot(eye_to_mouth.x, eye_to_mouth.y) * 1.8);
  x *= o.scale;
  const cv::Point2d y(-x.y, x.x);
  *c = eye_avg + eye_to_mouth * 0.1 + y * (2.0 * o.shift_y);
  *half = x;
}

cv::Point2d MouthAvg(const Landmarks& pts) { return (cv::Point2d(pts[48]) + cv::Point2d(pts[54])) * 0.5; }

}  // namespace

Alignment ComputeAlignment(const Landmarks& pts, const AlignOptions& o) {
  CV_Assert(pts.size() == 68);
  // The FFHQ recipe, with dlib's point numbering.
  const cv::Point2d eye_l = Mean(pts, 36, 41), eye_r = Mean(pts, 42, 47);  // image-left, image-right
  cv::Point2d c, x;
  FfhqSquare(eye_l, eye_r, MouthAvg(pts) - (eye_l + eye_r) * 0.5, o, &c, &x);
  return AlignmentFromSquare(c, x, o.size);
}

Alignment AlignmentFromSquare(cv::Point2d c, cv::Point2d x, int size) {
  const cv::Point2d y(-x.y, x.x);
  Alignment a;
  a.size = size;
  const cv::Point2d tl = c - x - y, bl = c - x + y, br = c + x + y, tr = c + x - y;
  a.quad = {cv::Point2f(tl), cv::Point2f(bl), cv::Point2f(br), cv::Point2f(tr)};
  const cv::Point2f src[3] = {cv::Point2f(tl), cv::Point2f(bl), cv::Point2f(br)};
  const float n = static_cast<float>(size);
  const cv::Point2f dst[3] = {cv::Point2f(0, 0), cv::Point2f(0, n), cv::Point2f(n, n)};
  cv::Mat m = cv::getAffineTransform(src, dst), inv;
  cv::invertAffineTransform(m, inv);
  a.to_aligned = cv::Matx23d(m);
  a.to_frame = cv::Matx23d(inv);
  return a;
}

Alignment AlignmentFilter::Filter(const Landmarks& pts, const AlignOptions& o, double t) {
  CV_Assert(pts.size() == 68);
  const cv::Point2d eye_l = Mean(pts, 36, 41), eye_r = Mean(pts, 42, 47);
  const cv::Point2d eye_to_mouth = MouthAvg(pts) - (eye_l + eye_r) * 0.5;
  // Eye corners (not lids, which move when blinking) -> nose base (subnasale, near the face's plane, so
  // nodding shortens it about as it shortens eyes -> mouth): a length expressions leave alone.
  const cv::Point2d corners = (cv::Point2d(pts[36]) + cv::Point2d(pts[39]) + cv::Point2d(pts[42]) + cv::Point2d(pts[45])) * 0.25;
  const double nose = std::max(1e-6, cv::norm(cv::Point2d(pts[33]) - corners));
  const double mouth = std::max(1e-6, cv::norm(eye_to_mouth));
  const bool first = !init_;
  if (first) {
    init_ = true;
    ratio_ = OneEuroFilter({ratio_cutoff_, 0.0, 1.0});
    for (auto* f : {&cx_, &cy_, &log_half_, &angle_}) *f = OneEuroFilter(p_);
  }
  const double ratio = ratio_.Filter(mouth / nose, t);
  cv::Point2d c, x;
  FfhqSquare(eye_l, eye_r, eye_to_mouth * (ratio * nose / mouth), o, &c, &x);
  const double half = std::max(1e-6, std::hypot(x.x, x.y));
  double angle = std::atan2(x.y, x.x);
  if (first) {
    unit_ = half;
  } else {  // unwrap, so a turn through +-180 degrees does not swing the filter round
    while (angle - angle_prev_ > M_PI) angle -= 2 * M_PI;
    while (angle - angle_prev_ < -M_PI) angle += 2 * M_PI;
  }
  angle_prev_ = angle;
  const double fcx = cx_.Filter(c.x / unit_, t) * unit_, fcy = cy_.Filter(c.y / unit_, t) * unit_;
  const double fhalf = std::exp(log_half_.Filter(std::log(half), t));
  const double fangle = angle_.Filter(angle, t);
  return AlignmentFromSquare({fcx, fcy}, {fhalf * std::cos(fangle), fhalf * std::sin(fangle)}, o.size);
}

cv::Mat WarpToAligned(const cv::Mat& frame, const Alignment& a, int interpolation) {
  cv::Mat out;
  cv::warpAffine(frame, out, cv::Mat(a.to_aligned), cv::Size(a.size, a.size), interpolation,
                 cv::BORDER_REPLICATE);
  return out;
}

std::vector<cv::Point2f> TransformPoints(const std::vector<cv::Point2f>& pts, const cv::Matx23d& m) {
  std::vector<cv::Point2f> out(pts.size());
  for (size_t i = 0; i < pts.size(); ++i) {
    out[i].x = static_cast<float>(m(0, 0) * pts[i].x + m(0, 1) * pts[i].y + m(0, 2));
    out[i].y = static_cast<float>(m(1, 0) * pts[i].x + m(1, 1) * pts[i].y + m(1, 2));
  }
  return out;
}

cv::Mat WarpToFrame(const cv::Mat& aligned, const Alignment& a, cv::Size frame_size, int interpolation,
                    const cv::Scalar& border) {
  cv::Mat out;
  cv::warpAffine(aligned, out, cv::Mat(a.to_frame), frame_size, interpolation, cv::BORDER_CONSTANT, border);
  return out;
}

cv::Mat FeatherMask(int size, double feather, const cv::Mat& region) {
  const int f = std::max(1, static_cast<int>(std::lround(feather * size)));
  cv::Mat m(size, size, CV_32F, cv::Scalar(0));
  if (region.empty()) {
    m(cv::Rect(f, f, std::max(1, size - 2 * f), std::max(1, size - 2 * f))).setTo(1.0f);
  } else {
    cv::Mat r;
    region.convertTo(r, CV_32F, region.depth() == CV_8U ? 1.0 / 255 : 1.0);
    if (r.size() != m.size()) cv::resize(r, r, m.size());
    cv::Mat border(size, size, CV_32F, cv::Scalar(0));
    border(cv::Rect(f, f, std::max(1, size - 2 * f), std::max(1, size - 2 * f))).setTo(1.0f);
    m = r.mul(border);
  }
  const int k = 2 * f + 1;
  cv::GaussianBlur(m, m, cv::Size(k, k), f / 2.0);
  return m;
}

void PasteBack(const cv::Mat& aligned, const Alignment& a, cv::Mat& frame, const cv::Mat& weight) {
  CV_Assert(aligned.type() == CV_8UC3 && frame.type() == CV_8UC3);
  const cv::Mat w = weight.empty() ? FeatherMask(aligned.rows) : weight;
  // Only touch the bounding box of the crop in the frame.
  cv::Rect box = cv::boundingRect(a.quad) & cv::Rect(0, 0, frame.cols, frame.rows);
  if (box.empty()) return;
  cv::Matx23d m = a.to_frame;
  m(0, 2) -= box.x;
  m(1, 2) -= box.y;
  cv::Mat img, wf;
  cv::warpAffine(aligned, img, cv::Mat(m), box.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  cv::warpAffine(w, wf, cv::Mat(m), box.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0));
  cv::Mat roi = frame(box);
  for (int y = 0; y < box.height; ++y) {
    const float* pw = wf.ptr<float>(y);
    const cv::Vec3b* pi = img.ptr<cv::Vec3b>(y);
    cv::Vec3b* po = roi.ptr<cv::Vec3b>(y);
    for (int x = 0; x < box.width; ++x) {
      const float t = pw[x];
      if (t <= 0) continue;
      for (int k = 0; k < 3; ++k) po[x][k] = cv::saturate_cast<uint8_t>(t * pi[x][k] + (1 - t) * po[x][k]);
    }
  }
}

}  // namespace smile::engine
