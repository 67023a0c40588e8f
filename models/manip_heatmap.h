// Landmark heatmaps for the manipulation generator's high-pass skips.
// The official code renders the 98 WFLW heatmaps of a FAN network and keeps
// (misc/wing.py preprocess): channel 0 = central chin, eyebrows, nose, eyes,
// lips; channel 1 = the same without chin, lips and eyebrows. This project has
// dlib's 68-point model instead, so these heatmaps are an approximation built
// from 68 points: Gaussian splats (summed, clamped to [0,1]) over
//   channel 0: jaw 4..12, brows 17..26, nose 27..35, eyes 36..47, mouth 48..67
//   channel 1: nose 27..35, eyes 36..47.
#pragma once

#include <array>
#include <vector>

#include <torch/torch.h>

namespace smile::models {

// points: 68 (x, y) pixel coordinates in a size x size crop. sigma_px <= 0
// picks size / 64 (about one FAN heatmap cell). Returns (1, 2, size, size).
torch::Tensor LandmarkHeatmap68(const std::vector<std::array<float, 2>>& points, int size, double sigma_px = 0);

}  // namespace smile::models
