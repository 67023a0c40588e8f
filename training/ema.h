// Exponential moving average of a network's weights (the EMA generator used for
// sampling and checkpoints): ema = beta * ema + (1 - beta) * current, buffers copied.
#pragma once

#include <torch/torch.h>

namespace smile::training {

// Copies every parameter and buffer of `source` into `target` (same architecture).
void CopyWeights(const torch::nn::Module& source, torch::nn::Module& target);
// target = beta * target + (1 - beta) * source for parameters; buffers are copied.
void AccumulateEma(torch::nn::Module& target, const torch::nn::Module& source, double beta);

}  // namespace smile::training
