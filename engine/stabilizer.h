// TemporalStabilizer: damps frame-to-frame texture flicker of a rendered head.
//
// The synthesis network answers every small change of the mask (a lid or lip contour moving
// by a pixel, a crop shifting by a fraction of one) with a slightly different texture, so a
// still head "boils" in the output even where the driver's pixels do not change. Each frame,
// the previous (already stabilised) render is blended with the new one per pixel, in crop
// coordinates (the crop follows the head, engine::AlignmentFilter, and the head is drawn in
// it, so a moving head keeps its texture in the crop): out = prev + k * (new - prev), gain
//   k = min(1, floor + (1 - floor) * |new - prev| / threshold)     (largest channel difference)
// so small differences (texture boiling) are damped and large ones (an opening mouth, a
// blink, a turn) pass through at once. floor = 1 - strength. After a jump of the crop larger
// than `reset_motion` (fraction of its side), or on Reset(), the new render passes unchanged.
// No torch here: used by engine::Session's compose stage (which runs frames in order).
#pragma once

#include <opencv2/core.hpp>

#include "engine/alignment.h"

namespace smile::engine {

struct StabilizerOptions {
  double strength = 0.6;      // 0 = off (every render passes unchanged), < 1
  double threshold = 24;      // 0-255 levels at which a difference passes in full
  double reset_motion = 0.1;  // crop corner motion (fraction of the side) that restarts the filter
};

class TemporalStabilizer {
 public:
  explicit TemporalStabilizer(StabilizerOptions o = {}) : o_(o) {}
  // `rendered`: BGR CV_8UC3 aligned crop of this frame; `alignment`: that crop's alignment.
  // Returns the stabilised crop (a new image; `rendered` is not modified).
  cv::Mat Apply(const cv::Mat& rendered, const Alignment& alignment);
  void Reset() { prev_.release(); }
  void set_strength(double strength) { o_.strength = strength; }
  const StabilizerOptions& options() const { return o_; }

 private:
  StabilizerOptions o_;
  cv::Mat prev_;  // previous output (CV_8UC3)
  Alignment prev_alignment_;
};

}  // namespace smile::engine
