// GAN losses and regularisers of the SMILE training recipes (StyleGAN2 for synthesis,
// StarGANv2 for manipulation). Each is a small function over tensors.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace smile::training {

// Non-saturating generator loss: softplus(-D(fake)).mean().
torch::Tensor GeneratorNonSaturatingLoss(const torch::Tensor& fake_logits);
// Logistic discriminator loss: softplus(-D(real)).mean() + softplus(D(fake)).mean().
torch::Tensor DiscriminatorLogisticLoss(const torch::Tensor& real_logits, const torch::Tensor& fake_logits);
// R1 penalty: mean over the batch of sum(grad_x D(x)^2); `real` must require grad and
// `real_logits` must come from it. Callers scale it (StyleGAN2: gamma/2 * every; StarGANv2: 0.5 * w).
torch::Tensor R1Penalty(const torch::Tensor& real_logits, const torch::Tensor& real);

// Path-length regulariser state and step (StyleGAN2): returns the penalty and updates the
// running mean of path lengths (decay 0.01). `styles` must require grad and produce `images`.
struct PathLengthState {
  double mean_path_length = 0.0;
};
torch::Tensor PathLengthPenalty(const torch::Tensor& images, const torch::Tensor& styles, PathLengthState* state);

// Feature matching (pix2pixHD): mean over layers of L1(fake_feature, real_feature.detach()).
torch::Tensor FeatureMatchingLoss(const std::vector<torch::Tensor>& fake_features,
                                  const std::vector<torch::Tensor>& real_features);

// StarGANv2 diversity term: mean |a - b| (maximised by the generator).
torch::Tensor DiversityLoss(const torch::Tensor& a, const torch::Tensor& b);

// Cross-entropy of mask logits (N,C,H,W) against class indices (N,H,W) (cycle loss, parser loss).
torch::Tensor MaskCrossEntropy(const torch::Tensor& logits, const torch::Tensor& labels);
// Soft Dice loss over classes present in the batch (parser training).
torch::Tensor MaskDiceLoss(const torch::Tensor& logits, const torch::Tensor& labels, int num_classes);

}  // namespace smile::training
