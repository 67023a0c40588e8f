#include "training/losses.h"

#include <gtest/gtest.h>

#include "training/ema.h"

namespace smile::training {
namespace {

TEST(Losses, NonSaturatingAndLogisticMatchFormulas) {
  auto fake = torch::tensor({0.0f, 2.0f});
  auto real = torch::tensor({1.0f, -1.0f});
  auto sp = [](double x) { return std::log1p(std::exp(x)); };
  EXPECT_NEAR(GeneratorNonSaturatingLoss(fake).item<double>(), (sp(0) + sp(-2)) / 2, 1e-6);
  EXPECT_NEAR(DiscriminatorLogisticLoss(real, fake).item<double>(), (sp(-1) + sp(1)) / 2 + (sp(0) + sp(2)) / 2,
              1e-6);
}

TEST(Losses, R1OfALinearCriticIsTheSquaredWeightNorm) {
  // D(x) = sum(w * x) -> grad = w -> penalty = |w|^2 for every sample.
  auto x = torch::randn({3, 2, 4, 4}).requires_grad_(true);
  auto w = torch::full({1, 2, 4, 4}, 0.5f);
  auto logits = (x * w).sum({1, 2, 3});
  EXPECT_NEAR(R1Penalty(logits, x).item<double>(), 0.25 * 32, 1e-5);
}

TEST(Losses, PathLengthTracksMeanAndPenalisesSpread) {
  torch::manual_seed(0);
  auto styles = torch::randn({4, 8}).requires_grad_(true);
  auto proj = torch::randn({8, 3 * 16 * 16});
  auto images = torch::tanh(torch::matmul(styles, proj)).reshape({4, 3, 16, 16});
  PathLengthState state;
  auto p = PathLengthPenalty(images, styles, &state);
  EXPECT_GT(state.mean_path_length, 0.0);
  EXPECT_GE(p.item<double>(), 0.0);
  p.backward();  // differentiable
}

TEST(Losses, FeatureMatchingAndDiversity) {
  std::vector<torch::Tensor> a = {torch::ones({2, 3}), torch::zeros({2, 2})};
  std::vector<torch::Tensor> b = {torch::zeros({2, 3}), torch::zeros({2, 2})};
  EXPECT_NEAR(FeatureMatchingLoss(a, b).item<double>(), 0.5, 1e-6);
  EXPECT_NEAR(DiversityLoss(torch::ones({4}), torch::zeros({4})).item<double>(), 1.0, 1e-6);
}

TEST(Losses, MaskCrossEntropyAndDiceAreSmallForPerfectLogits) {
  auto labels = torch::randint(0, 19, {2, 8, 8}, torch::kLong);
  auto logits = torch::nn::functional::one_hot(labels, 19).permute({0, 3, 1, 2}).to(torch::kFloat) * 20.0;
  EXPECT_LT(MaskCrossEntropy(logits, labels).item<double>(), 1e-6);
  EXPECT_LT(MaskDiceLoss(logits, labels, 19).item<double>(), 1e-3);
  auto wrong = torch::zeros_like(logits);
  EXPECT_NEAR(MaskCrossEntropy(wrong, labels).item<double>(), std::log(19.0), 1e-5);
}

TEST(Ema, AccumulatesTowardsSourceAndCopiesBuffers) {
  torch::nn::Linear a(4, 4), b(4, 4);
  CopyWeights(*a, *b);
  EXPECT_TRUE(torch::equal(a->weight, b->weight));
  torch::NoGradGuard ng;
  a->weight.fill_(1.0);
  b->weight.fill_(0.0);
  AccumulateEma(*b, *a, 0.9);
  EXPECT_NEAR(b->weight.mean().item<double>(), 0.1, 1e-6);
}

}  // namespace
}  // namespace smile::training
