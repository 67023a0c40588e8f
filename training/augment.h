// Paired augmentation of (image, label map): horizontal flip that swaps the
// left/right classes, a small random affine (scale / rotate / translate;
// linear for RGB, nearest for labels), resize to the training size.
// Deterministic: the parameters are a pure function of a seed.
#pragma once

#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

namespace smile::training {

struct AugmentOptions {
  int size = 128;                 // output is size x size
  bool enabled = true;            // false: only crop + resize
  double flip_probability = 0.5;
  double max_scale = 0.05;        // scale drawn in [1 - s, 1 + s]
  double max_rotation_deg = 5.0;  // rotation drawn in [-r, r]
  double max_translation = 0.03;  // shift drawn in [-t, t] x size, per axis
};

struct AugmentParams {
  bool flip = false;
  double scale = 1.0, rotation_deg = 0.0, tx = 0.0, ty = 0.0;  // tx, ty as fractions of the size
  bool HasAffine() const { return scale != 1.0 || rotation_deg != 0.0 || tx != 0.0 || ty != 0.0; }
  std::string ToString() const;
};

AugmentParams DrawAugmentParams(const AugmentOptions& options, uint64_t seed);

// Mirror left-right and swap l_eye<->r_eye, l_brow<->r_brow, l_ear<->r_ear.
cv::Mat FlipLabels(const cv::Mat& labels);
cv::Mat FlipImage(const cv::Mat& image);

// Centre-crops both to a square (same relative region), resizes to `size`
// (image: area/linear, labels: nearest), flips, then warps by the affine
// (border replicated in both so that pixels and labels stay paired).
void ApplyAugment(const cv::Mat& image, const cv::Mat& labels, const AugmentParams& params, int size,
                  cv::Mat* out_image, cv::Mat* out_labels);

}  // namespace smile::training
