// Weight helpers of the trainers: exponential moving average of a network's weights (the EMA
// generator used for sampling and checkpoints: ema = beta * ema + (1 - beta) * current, buffers
// copied), weight copies, gradient switches.
#pragma once

#include <torch/torch.h>

namespace smile::training {

// Copies every parameter and buffer of `source` into `target` (same architecture).
void CopyWeights(const torch::nn::Module& source, torch::nn::Module& target);
// target = beta * target + (1 - beta) * source for parameters; buffers are copied.
void AccumulateEma(torch::nn::Module& target, const torch::nn::Module& source, double beta);
// Turns gradients of all of `m`'s parameters on or off.
void SetRequiresGrad(torch::nn::Module& m, bool on);
// Drops the optimiser's parameters' gradients (undefined, not zero: PyTorch >= 2.0's
// zero_grad(set_to_none=True)). Adam then skips parameters a step did not use instead of moving
// them by momentum alone, so a resumed run, whose fresh parameters have no gradient yet, steps
// exactly like an uninterrupted one.
void ClearGradients(torch::optim::Optimizer& optimizer);

}  // namespace smile::training
