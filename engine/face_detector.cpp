#include "engine/face_detector.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv.h>
#include <opencv2/imgproc.hpp>

namespace smile::engine {

struct FaceDetector::Impl {
  // dlib's detector object is not safe for concurrent calls; each FaceDetector owns one.
  // Building the detector parses its embedded model (~0.5 s): do it once, copy after.
  static const dlib::frontal_face_detector& Prototype() {
    static const dlib::frontal_face_detector proto = dlib::get_frontal_face_detector();
    return proto;
  }
  mutable dlib::frontal_face_detector det = Prototype();
  mutable std::mutex mu;
};

FaceDetector::FaceDetector(DetectorOptions o) : o_(o), impl_(std::make_unique<Impl>()) {}
FaceDetector::~FaceDetector() = default;
FaceDetector::FaceDetector(FaceDetector&&) noexcept = default;
FaceDetector& FaceDetector::operator=(FaceDetector&&) noexcept = default;

cv::Mat ToGray(const cv::Mat& frame) {
  cv::Mat g;
  if (frame.channels() == 1) g = frame;
  else if (frame.channels() == 4) cv::cvtColor(frame, g, cv::COLOR_BGRA2GRAY);
  else cv::cvtColor(frame, g, cv::COLOR_BGR2GRAY);
  if (g.depth() != CV_8U) g.convertTo(g, CV_8U);
  return g;
}

cv::Mat ToBgr(const cv::Mat& frame) {
  cv::Mat c;
  if (frame.channels() == 3) c = frame;
  else if (frame.channels() == 4) cv::cvtColor(frame, c, cv::COLOR_BGRA2BGR);
  else cv::cvtColor(frame, c, cv::COLOR_GRAY2BGR);
  if (c.depth() != CV_8U) c.convertTo(c, CV_8U);
  return c;
}

double IoU(const cv::Rect2f& a, const cv::Rect2f& b) {
  const float inter = (a & b).area();
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0;
}

double FaceDetector::FullFrameScale(cv::Size frame) const {
  const int side = std::max(frame.width, frame.height);
  return side > o_.max_side ? double(o_.max_side) / side : 1.0;
}

double FaceDetector::SmallFaceScale(cv::Size frame) const {
  // dlib's HOG window is 80x80: a face of min_face_px must reach ~80 px.
  return 80.0 / std::max(1, o_.min_face_px);
}

std::vector<Detection> FaceDetector::DetectScaled(const cv::Mat& gray, double scale, cv::Point offset) const {
  cv::Mat img;
  if (std::fabs(scale - 1.0) < 1e-3) img = gray;
  else cv::resize(gray, img, cv::Size(), scale, scale, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  if (!img.isContinuous()) img = img.clone();
  if (img.cols < 40 || img.rows < 40) return {};
  dlib::cv_image<unsigned char> dimg(img);
  std::vector<dlib::rect_detection> dets;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->det(dimg, dets, o_.threshold);
  }
  std::vector<Detection> out;
  for (const auto& d : dets) {
    Detection r;
    r.box = cv::Rect2f(d.rect.left() / scale + offset.x, d.rect.top() / scale + offset.y,
                       (d.rect.width()) / scale, (d.rect.height()) / scale);
    r.score = d.detection_confidence;
    out.push_back(r);
  }
  std::sort(out.begin(), out.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
  return out;
}

std::vector<Detection> FaceDetector::Detect(const cv::Mat& frame) const {
  if (frame.empty()) return {};
  const cv::Mat gray = ToGray(frame);
  const double s1 = FullFrameScale(gray.size());
  auto dets = DetectScaled(gray, s1, cv::Point(0, 0));
  const double s2 = SmallFaceScale(gray.size());
  if (dets.empty() && s2 > s1 * 1.25) dets = DetectScaled(gray, s2, cv::Point(0, 0));  // small faces
  return dets;
}

std::vector<Detection> FaceDetector::DetectInRoi(const cv::Mat& frame, const cv::Rect& roi_in,
                                                 double face_size) const {
  if (frame.empty()) return {};
  const cv::Rect roi = roi_in & cv::Rect(0, 0, frame.cols, frame.rows);
  if (roi.width < 16 || roi.height < 16) return {};
  const cv::Mat gray = ToGray(frame(roi));
  const double scale = std::clamp(o_.roi_face_px / std::max(1.0, face_size), 0.1, 4.0);
  return DetectScaled(gray, scale, roi.tl());
}

}  // namespace smile::engine
