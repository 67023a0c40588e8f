// Segmentation scores over label tensors (no engine dependency): mean IoU over the
// classes present in the truth, as the engine's parser metrics report it.
#pragma once

#include <torch/torch.h>

namespace smile::training {

// pred, truth: (N,H,W) or (H,W) integer class maps of the same shape. Pooled over the batch.
double MeanIoUPresent(const torch::Tensor& pred, const torch::Tensor& truth, int num_classes);

}  // namespace smile::training
