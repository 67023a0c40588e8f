// FFHQ-style face alignment (Karras et al., the FFHQ dataset script): an oriented
// square centred a little below the eyes, about 4 inter-ocular distances wide,
// which keeps hair, a hat and the neck in view. Aligned images are `size` x `size`.
#pragma once

#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/landmarks.h"
#include "engine/one_euro.h"

namespace smile::engine {

struct AlignOptions {
  int size = 256;          // output side (e.g. 128, 256, 512)
  double scale = 1.0;      // >1 zooms out (more margin), <1 zooms in
  double shift_y = 0.0;    // extra downward shift of the centre, in crop widths (more neck)
};

struct Alignment {
  cv::Matx23d to_aligned;   // frame -> aligned
  cv::Matx23d to_frame;     // aligned -> frame (exact inverse)
  int size = 0;
  std::vector<cv::Point2f> quad;  // crop corners in the frame: top-left, bottom-left, bottom-right, top-right
};

// The alignment of a face from its 68 landmarks (frame pixels).
Alignment ComputeAlignment(const Landmarks& pts, const AlignOptions& o = {});
// The alignment of the square with centre `c` and half-side vector `x` (pointing along the
// crop's x axis; its y axis is x turned 90 degrees clockwise in image coordinates).
Alignment AlignmentFromSquare(cv::Point2d c, cv::Point2d x, int size);

// The FFHQ square of a face in VIDEO: temporally filtered and rigid to expressions.
// Per frame, the FFHQ recipe sizes and places the square by the larger of two landmark
// distances, one of them eyes -> mouth corners, so opening the mouth or smiling rescales the
// crop (d18, a still head: the crop grew and shrank by 20 % within half a second) and the
// rendered head's texture, anchored to the crop, swims in the frame. Here the eyes -> mouth
// length is replaced by eye corners -> nose base times that ratio (the nose base moves with
// neither the mouth nor, unlike the nose tip, with nodding and turning), the ratio itself
// following only slowly (time constant ~8 s); the mouth still gives the direction. Then
// One-Euro filters on the centre (in half-sides of the first crop), log half-side and angle
// take out the landmarks' frame-to-frame noise; real motion raises their cutoff. The first
// frame after a reset is exactly ComputeAlignment's square.
class AlignmentFilter {
 public:
  explicit AlignmentFilter(OneEuroParams p = {1.0, 8.0, 1.0}, double ratio_cutoff_hz = 0.02)
      : p_(p), ratio_cutoff_(ratio_cutoff_hz) {}
  Alignment Filter(const Landmarks& pts, const AlignOptions& o, double t);
  void Reset() { init_ = false; }

 private:
  OneEuroParams p_;
  double ratio_cutoff_;
  bool init_ = false;
  double unit_ = 1, angle_prev_ = 0;
  OneEuroFilter ratio_, cx_, cy_, log_half_, angle_;
};

// Warps the frame into the aligned square (bilinear, border replicated).
cv::Mat WarpToAligned(const cv::Mat& frame, const Alignment& a, int interpolation = cv::INTER_LINEAR);
// Maps points frame -> aligned and back.
std::vector<cv::Point2f> TransformPoints(const std::vector<cv::Point2f>& pts, const cv::Matx23d& m);
// Warps an aligned image (any type, e.g. labels with INTER_NEAREST) back into a frame of `frame_size`;
// pixels outside the crop get `border`.
cv::Mat WarpToFrame(const cv::Mat& aligned, const Alignment& a, cv::Size frame_size,
                    int interpolation = cv::INTER_LINEAR, const cv::Scalar& border = cv::Scalar());
// Feathered weight (CV_32F, 0..1) of the aligned square: 1 inside, falling to 0 over `feather`
// (fraction of the side) at the edges. Optionally restricted by an aligned-frame mask (CV_8U).
cv::Mat FeatherMask(int size, double feather = 0.06, const cv::Mat& region = cv::Mat());
// Pastes an aligned BGR image back into `frame` (in place) with a feathered mask
// (the given aligned-frame weight, or FeatherMask(size) when empty).
void PasteBack(const cv::Mat& aligned, const Alignment& a, cv::Mat& frame, const cv::Mat& weight = cv::Mat());

}  // namespace smile::engine
