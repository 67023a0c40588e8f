#include "training/ema.h"

namespace smile::training {

void CopyWeights(const torch::nn::Module& source, torch::nn::Module& target) { AccumulateEma(target, source, 0.0); }

void AccumulateEma(torch::nn::Module& target, const torch::nn::Module& source, double beta) {
  torch::NoGradGuard no_grad;
  auto src = source.named_parameters(true);
  for (auto& p : target.named_parameters(true)) {
    const torch::Tensor* s = src.find(p.key());
    TORCH_CHECK(s != nullptr, "EMA: parameter '", p.key(), "' missing in the source network");
    TORCH_CHECK(s->sizes() == p.value().sizes(), "EMA: parameter '", p.key(), "' has another shape");
    p.value().mul_(beta).add_(*s, 1.0 - beta);
  }
  auto src_buffers = source.named_buffers(true);
  for (auto& b : target.named_buffers(true)) {
    const torch::Tensor* s = src_buffers.find(b.key());
    if (s != nullptr) b.value().copy_(*s);
  }
}

void SetRequiresGrad(torch::nn::Module& m, bool on) {
  for (auto& p : m.parameters()) p.set_requires_grad(on);
}

void ClearGradients(torch::optim::Optimizer& optimizer) {
  for (auto& group : optimizer.param_groups())
    for (auto& p : group.params()) p.mutable_grad() = torch::Tensor();
}

}  // namespace smile::training
