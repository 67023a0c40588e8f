// FaceDetector: dlib's HOG frontal face detector (no model file needed) run on a
// resized copy of the frame, with boxes mapped back to frame coordinates.
// dlib's HOG finds faces of about 80 px and up, so small faces are found by
// up-sampling: the frame is scaled so that a face of `min_face_px` becomes
// detectable, and a region of interest around a known face can be searched at
// its own scale (what the tracker does between full detections).
#pragma once

#include <memory>
#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"

namespace smile::engine {

struct Detection {
  cv::Rect2f box;      // frame pixels (dlib's box convention: roughly brows to chin)
  double score = 0;    // detector confidence (HOG SVM margin)
};

struct DetectorOptions {
  int max_side = 640;         // full-frame search: the frame is shrunk to this longest side first;
  int min_face_px = 50;       // when that finds nothing, it is searched again scaled so a face this small is found
  double threshold = 0.0;     // dlib adjust_threshold; higher = fewer false positives
  double roi_face_px = 110;   // ROI search: the region is scaled so the expected face has this size
};

class FaceDetector {
 public:
  explicit FaceDetector(DetectorOptions o = {});
  ~FaceDetector();
  FaceDetector(FaceDetector&&) noexcept;
  FaceDetector& operator=(FaceDetector&&) noexcept;

  // All faces in a BGR or grayscale frame, best first.
  std::vector<Detection> Detect(const cv::Mat& frame) const;
  // Faces inside `roi` (frame coordinates) when the face there is about `face_size` px wide.
  std::vector<Detection> DetectInRoi(const cv::Mat& frame, const cv::Rect& roi, double face_size) const;
  // The scales of the two full-frame passes (for tests and reports).
  double FullFrameScale(cv::Size frame) const;
  double SmallFaceScale(cv::Size frame) const;
  const DetectorOptions& options() const { return o_; }

 private:
  std::vector<Detection> DetectScaled(const cv::Mat& gray, double scale, cv::Point offset) const;
  DetectorOptions o_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Frame -> 8-bit gray (accepts gray, BGR, BGRA).
cv::Mat ToGray(const cv::Mat& frame);
// Frame -> BGR (accepts gray, BGR, BGRA).
cv::Mat ToBgr(const cv::Mat& frame);
double IoU(const cv::Rect2f& a, const cv::Rect2f& b);

}  // namespace smile::engine
