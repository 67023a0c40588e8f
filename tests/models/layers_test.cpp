#include "models/layers.h"

#include <gtest/gtest.h>

namespace smile::models {
namespace {

TEST(Layers, FirKernelIsNormalisedOuterProduct) {
  auto k = MakeFirKernel({1, 3, 3, 1});
  EXPECT_NEAR(k.sum().item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(k[0][0].item<double>(), 1.0 / 64, 1e-7);
  EXPECT_NEAR(k[1][2].item<double>(), 9.0 / 64, 1e-7);
  EXPECT_NEAR(MakeFirKernel({1, 3, 3, 1}, 4).sum().item<double>(), 4.0, 1e-6);
}

TEST(Layers, UpfirdnUpsampleKeepsConstantsAndDoublesSize) {
  // A constant image stays constant in the interior after 2x up-sampling with kernel*4.
  auto x = torch::full({1, 2, 6, 6}, 3.0);
  Upsample up(DefaultBlurKernel());
  auto y = up->forward(x);
  ASSERT_EQ(y.sizes(), torch::IntArrayRef({1, 2, 12, 12}));
  EXPECT_NEAR(y[0][1][5][6].item<double>(), 3.0, 1e-5);
}

TEST(Layers, UpfirdnMatchesDirectDefinition) {
  // upfirdn2d(up=2, pad=(2,1)) of a single impulse reproduces the (flipped) kernel.
  auto x = torch::zeros({1, 1, 3, 3});
  x[0][0][1][1] = 1.0;
  auto k = torch::arange(16, torch::kFloat32).view({4, 4});
  auto y = Upfirdn2d(x, k, 2, 1, 2, 1);
  ASSERT_EQ(y.sizes(), torch::IntArrayRef({1, 1, 6, 6}));
  // impulse at up-sampled position (2,2), padded by 2 -> (4,4); true convolution: out[i][j] = k[i-1][j-1]
  for (int i = 1; i < 5; ++i)
    for (int j = 1; j < 5; ++j) EXPECT_FLOAT_EQ(y[0][0][i][j].item<float>(), k[i - 1][j - 1].item<float>());
  // down-sampling keeps every second sample
  auto z = Upfirdn2d(torch::arange(16, torch::kFloat32).view({1, 1, 4, 4}), torch::ones({1, 1}), 1, 2, 0, 0);
  EXPECT_FLOAT_EQ(z[0][0][1][1].item<float>(), 10.f);
}

TEST(Layers, EqualLinearScalesAndLrMul) {
  EqualLinear lin(4, 3, true, 0.5, 0.01);
  // weight stored as N(0,1)/lr_mul; effective weight = w * lr_mul / sqrt(in)
  auto x = torch::randn({2, 4});
  auto expect = torch::matmul(x, (lin->weight * 0.01 / 2.0).t()) + 0.5 * 0.01;
  EXPECT_TRUE(torch::allclose(lin->forward(x), expect, 1e-5, 1e-6));
  EqualLinear act(4, 3, true, 0.0, 1.0, true);
  auto pre = torch::matmul(x, (act->weight / 2.0).t());
  EXPECT_TRUE(torch::allclose(act->forward(x), torch::leaky_relu(pre, 0.2) * kSqrt2, 1e-5, 1e-6));
}

TEST(Layers, FusedLeakyReluGain) {
  auto x = torch::tensor({-1.0f, 2.0f}).view({1, 2, 1, 1});
  auto y = FusedLeakyRelu(x, torch::tensor({0.5f, -1.0f}));
  EXPECT_NEAR(y[0][0][0][0].item<double>(), -0.5 * 0.2 * kSqrt2, 1e-6);
  EXPECT_NEAR(y[0][1][0][0].item<double>(), 1.0 * kSqrt2, 1e-6);
}

TEST(Layers, ConvLayerShapesAndParams) {
  auto x = torch::randn({2, 8, 16, 16});
  EXPECT_EQ(ConvLayer(8, 4, 3)->forward(x).sizes(), torch::IntArrayRef({2, 4, 16, 16}));
  EXPECT_EQ(ConvLayer(8, 4, 3, true)->forward(x).sizes(), torch::IntArrayRef({2, 4, 8, 8}));
  EXPECT_EQ(ConvLayer(8, 4, 3, false, true)->forward(x).sizes(), torch::IntArrayRef({2, 4, 32, 32}));
  EXPECT_EQ(ConvLayer(8, 4, 1, true, false, false, false)->forward(x).sizes(), torch::IntArrayRef({2, 4, 8, 8}));
  // activation owns the bias; a plain conv has its own
  EXPECT_EQ(CountParameters(*ConvLayer(8, 4, 3)), 8 * 4 * 9 + 4);
  EXPECT_EQ(CountParameters(*ConvLayer(8, 4, 3, false, false, true, false)), 8 * 4 * 9 + 4);
  EXPECT_EQ(CountParameters(*ConvLayer(8, 4, 1, true, false, false, false)), 8 * 4);
}

TEST(Layers, NoiseInjectionStartsAtZeroWeight) {
  NoiseInjection n;
  auto x = torch::randn({1, 3, 4, 4});
  EXPECT_TRUE(torch::equal(n->forward(x), x));
  n->weight.data().fill_(2.0);
  auto noise = torch::ones({1, 1, 4, 4});
  EXPECT_TRUE(torch::allclose(n->forward(x, noise), x + 2.0));
}

TEST(Layers, ModulatedConvAndToRGB) {
  ModulatedConv2d conv(8, 6, 3, 16, true, false);
  auto x = torch::randn({2, 8, 8, 8});
  auto s = torch::randn({2, 16});
  auto y = conv->forward(x, s);
  EXPECT_EQ(y.sizes(), torch::IntArrayRef({2, 6, 8, 8}));
  // per-sample: batch element 1 alone gives the same result
  auto y1 = conv->forward(x.slice(0, 1, 2), s.slice(0, 1, 2));
  EXPECT_TRUE(torch::allclose(y.slice(0, 1, 2), y1, 1e-4, 1e-5));
  ModulatedConv2d up(8, 6, 3, 16, true, true);
  EXPECT_EQ(up->forward(x, s).sizes(), torch::IntArrayRef({2, 6, 16, 16}));
  ToRGB rgb(6, 16);
  auto skip = torch::randn({2, 3, 8, 8});
  EXPECT_EQ(rgb->forward(up->forward(x, s), s, skip).sizes(), torch::IntArrayRef({2, 3, 16, 16}));
}

TEST(Layers, PixelNormUnitRms) {
  auto y = PixelNorm()->forward(torch::randn({3, 50}) * 7);
  EXPECT_TRUE(torch::allclose(y.pow(2).mean(1), torch::ones({3}), 1e-4, 1e-4));
}

}  // namespace
}  // namespace smile::models
