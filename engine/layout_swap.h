// LayoutRetargeter: head swap with the identity's own face layout (`smile swap --layout identity`).
#pragma once

#include <array>

#include <opencv2/core.hpp>

#include "engine/landmarks.h"

namespace smile::engine {

// Head swap with the identity's own face layout (`smile swap --layout identity`): the identity's
// default mask (its face outline, nose, hair and the places and sizes of its brows, eyes and mouth)
// with the driver's brows, eyes and mouth drawn onto it part by part. Each part (each brow, each
// eye, the mouth with its lips) keeps the driver's shape in the driver's aligned crop, moved from the
// driver's mean position of that part to the identity's and scaled by the identity's size of it
// over the driver's mean size. The driver's means follow slowly (exponential, `mean_seconds`), so
// an expression held for a moment still shows while a face that differs from the identity's in
// its proportions takes the identity's. Measured with the bundled identity on the 8 shared clips of
// other people (first 100 frames, FaceRes): the share of frames closer to the identity than to the
// driver is 0.72-1.00 (with the driver's layout 0.03-1.00, d10 0.03), mouth openness follows the
// driver at r = 0.04-0.95 (driver's layout -0.01..0.98; docs/STATUS.md has the table). Not followed: head turns (yaw: the layout
// stays the identity's frontal one) and, with the bundled identity, blinks (its footage has few, so
// it renders open eyes on a closed-eye mask).
struct LayoutOptions {
  double mean_seconds = 4.0;  // time constant of the driver's part means
};

class LayoutRetargeter {
 public:
  // `labels`: the identity's aligned layout (any side); `landmarks`: its 68 points in those pixels.
  LayoutRetargeter(cv::Mat labels, Landmarks landmarks, LayoutOptions o = {});
  // `driver`: the driver's 68 points in its aligned crop of side `side`, at time t (seconds) ->
  // the identity's layout at that side with the driver's parts redrawn (CV_8U). `moved`, when
  // given, receives the 68 points the parts were drawn from (the identity's, its brows, eyes and
  // mouth replaced by the driver's moved ones), in the layout's pixels.
  cv::Mat Retarget(const Landmarks& driver, int side, double t, Landmarks* moved = nullptr);
  void Reset() { have_mean_ = false; }  // a new face: its means start over
  // The identity's layout points scaled to a crop of `side` (what Retarget moves the parts from).
  Landmarks LandmarksAt(int side) const;

  // Parts moved as a whole: point ranges [first, last) of the 68.
  static constexpr int kNumParts = 5;
  static constexpr int kParts[kNumParts][2] = {{17, 22}, {22, 27}, {36, 42}, {42, 48}, {48, 68}};

 private:
  cv::Mat labels_;
  Landmarks landmarks_;
  LayoutOptions o_;
  bool have_mean_ = false;
  double t_prev_ = 0;
  std::array<cv::Point2d, kNumParts> mean_center_{};
  std::array<double, kNumParts> mean_size_{};
};

}  // namespace smile::engine
