#include "training/losses.h"

#include <cmath>

namespace smile::training {

namespace F = torch::nn::functional;

torch::Tensor GeneratorNonSaturatingLoss(const torch::Tensor& fake_logits) {
  return F::softplus(-fake_logits).mean();
}

torch::Tensor DiscriminatorLogisticLoss(const torch::Tensor& real_logits, const torch::Tensor& fake_logits) {
  return F::softplus(-real_logits).mean() + F::softplus(fake_logits).mean();
}

torch::Tensor R1Penalty(const torch::Tensor& real_logits, const torch::Tensor& real) {
  auto grads = torch::autograd::grad({real_logits.sum()}, {real}, /*grad_outputs=*/{}, /*retain_graph=*/true,
                                     /*create_graph=*/true);
  return grads[0].pow(2).reshape({grads[0].size(0), -1}).sum(1).mean();
}

torch::Tensor PathLengthPenalty(const torch::Tensor& images, const torch::Tensor& styles, PathLengthState* state) {
  const double pixels = static_cast<double>(images.size(2) * images.size(3));
  auto noise = torch::randn_like(images) / std::sqrt(pixels);
  auto grads = torch::autograd::grad({(images * noise).sum()}, {styles}, {}, /*retain_graph=*/true,
                                     /*create_graph=*/true);
  auto g = grads[0].reshape({grads[0].size(0), -1});
  auto lengths = g.pow(2).sum(1).sqrt();
  const double decay = 0.01;
  double mean = state->mean_path_length + decay * (lengths.mean().item<double>() - state->mean_path_length);
  state->mean_path_length = mean;
  return (lengths - mean).pow(2).mean();
}

torch::Tensor FeatureMatchingLoss(const std::vector<torch::Tensor>& fake_features,
                                  const std::vector<torch::Tensor>& real_features) {
  TORCH_CHECK(fake_features.size() == real_features.size() && !fake_features.empty(),
              "feature matching needs the same non-zero number of layers");
  torch::Tensor loss = torch::zeros({}, fake_features[0].options());
  for (size_t i = 0; i < fake_features.size(); ++i)
    loss = loss + F::l1_loss(fake_features[i], real_features[i].detach());
  return loss / static_cast<double>(fake_features.size());
}

torch::Tensor DiversityLoss(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().mean(); }

torch::Tensor MaskCrossEntropy(const torch::Tensor& logits, const torch::Tensor& labels) {
  return F::cross_entropy(logits, labels.to(torch::kLong));
}

torch::Tensor MaskDiceLoss(const torch::Tensor& logits, const torch::Tensor& labels, int num_classes) {
  auto probs = torch::softmax(logits, 1);
  auto one_hot = F::one_hot(labels.to(torch::kLong), num_classes).permute({0, 3, 1, 2}).to(probs.dtype());
  auto inter = (probs * one_hot).sum({0, 2, 3});
  auto total = probs.sum({0, 2, 3}) + one_hot.sum({0, 2, 3});
  auto present = (one_hot.sum({0, 2, 3}) > 0).to(probs.dtype());
  auto dice = (2 * inter + 1.0) / (total + 1.0);
  return ((1 - dice) * present).sum() / present.sum().clamp_min(1);
}

}  // namespace smile::training
