// Mixed precision for training: forward passes under LibTorch's autocast in bfloat16
// (convolutions, linear layers and matrix products run in bf16; AMX / AVX-512 BF16 CPUs
// and CUDA GPUs run them faster), parameters, optimiser states and losses in fp32. bf16
// keeps fp32's exponent range, so no loss scaling is needed. Backward passes run outside
// the scope (autograd replays each op in the dtype its forward used).
#pragma once

#include <torch/torch.h>

namespace smile::training {

class AutocastScope {
 public:
  // on = false: does nothing (fp32 training).
  AutocastScope(bool on, const torch::Device& device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool on_ = false, cuda_ = false, prev_enabled_ = false;
  at::ScalarType prev_dtype_ = at::kFloat;
};

}  // namespace smile::training
