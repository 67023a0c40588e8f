// MaskSmoother: temporal smoothing of per-class probabilities in the aligned frame.
// Aligning every frame already removes head motion, so the previous state is
// reused in place (no optical flow). Classes drawn from landmarks (eyes, brows,
// nose, lips, mouth interior, eyeglasses) follow the current frame (alpha 1 by
// default), so a blink or an opening mouth shows at once; classes from image
// evidence (skin, hair, neck, cloth, ears, background, hat, ...) are averaged
// exponentially, and a label changes only when the new class beats the old one
// by a margin (hysteresis). Optionally the background's state is motion-compensated
// with the alignment change between frames (off by default: it did not lower flicker
// on the shared clips). The state restarts for a new track.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

#include "engine/face_parser.h"

namespace smile::engine {

struct SmootherOptions {
  double alpha_evidence = 0.15;  // weight of the new frame, image-evidence classes
  double alpha_parts = 1.0;     // weight of the new frame, landmark-driven classes
  double hysteresis = 0.3;      // margin a new label needs over the previous one
  bool compensate_background = false;  // move the background state with the scene (see Update)
};

bool IsLandmarkClass(int label);

class MaskSmoother {
 public:
  explicit MaskSmoother(SmootherOptions o = {}) : o_(o) {}
  // Smooths this frame's result of track `track_id` (uses one-hot labels when there are no probabilities).
  // `prev_to_cur`, when given, maps the previous aligned frame to this one through the video frame
  // (the head's motion against the scene): the background state is moved with it, since the
  // background does not follow the face.
  ParseResult Update(const ParseResult& current, int track_id, const cv::Matx23d* prev_to_cur = nullptr);
  void Reset();
  const SmootherOptions& options() const { return o_; }

 private:
  SmootherOptions o_;
  int track_id_ = -1;
  std::vector<cv::Mat> state_;
  cv::Mat labels_;
};

}  // namespace smile::engine
