// FFHQ-style face alignment (Karras et al., the FFHQ dataset script): an oriented
// square centred a little below the eyes, about 4 inter-ocular distances wide,
// which keeps hair, a hat and the neck in view. Aligned images are `size` x `size`.
#pragma once

#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/landmarks.h"

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
