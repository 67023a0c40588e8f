#include "models/synthesis_fast.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace smile::models {
namespace {

torch::Tensor BlobMask(int64_t n, int64_t classes, int64_t size) {
  // irregular regions: class = f(x, y) with several classes and ragged borders
  auto y = torch::arange(size, torch::kLong).view({size, 1}).expand({size, size});
  auto x = torch::arange(size, torch::kLong).view({1, size}).expand({size, size});
  auto labels = (torch::div(x * 7 + y * 3, size / 3, "floor") + torch::div((x * y) % 5, 4, "floor")) % 6;
  auto remap = torch::tensor({0, 1, 2, 4, 13, 17}, torch::kLong);
  labels = remap.index_select(0, labels.reshape(-1)).view({1, size, size}).expand({n, size, size});
  return OneHotMask(labels.contiguous(), classes);
}

// Non-trivial values for everything that starts at 0 / 1 in a fresh network.
void Perturb(torch::nn::Module& m) {
  torch::NoGradGuard ng;
  for (auto& p : m.named_parameters()) {
    const auto& k = p.key();
    if (k.find("blending_gamma") != std::string::npos || k.find("noise.weight") != std::string::npos ||
        k.find("bias") != std::string::npos)
      p.value().copy_(torch::randn_like(p.value()) * 0.3);
  }
}

void ExpectFastMatchesPlain(const std::string& preset, bool channels_last, double tol,
                            torch::ScalarType dtype = torch::kFloat32, int polyphase = -1,
                            torch::Device device = torch::kCPU) {
  auto cfg = ModelConfig::Preset(preset).value();
  torch::manual_seed(11);
  SynthesisGenerator g(cfg);
  Perturb(*g);
  g->to(device);
  auto mask = BlobMask(2, cfg.num_classes, cfg.image_size).to(device);
  auto style = torch::randn({1, cfg.num_classes, cfg.synth_style_dim}).to(device);
  auto noise = g->MakeNoise(0);
  for (auto& n : noise) n = n.to(device);
  torch::NoGradGuard ng;
  auto plain = g->forward(mask, style.expand({2, -1, -1}), noise);
  FastSynthesisGenerator fast(g, channels_last, dtype, polyphase);
  fast.SetStyle(style);
  auto out = fast.Forward(mask, noise);
  ASSERT_EQ(out.sizes(), plain.sizes());
  EXPECT_EQ(out.device(), plain.device());
  const double err = (out - plain).abs().max().item<double>();
  const double scale = plain.abs().max().item<double>();
  testing::Test::RecordProperty("max_abs_err", std::to_string(err));
  std::printf("%s%s max abs err %.3g (output max %.3g)\n", preset.c_str(), dtype == torch::kBFloat16 ? " bf16" : "", err, scale);
  EXPECT_LT(err, tol * std::max(1.0, scale)) << preset << " max abs err " << err << " (output max " << scale << ")";
  // a different style changes the output, and SetStyle picks it up
  auto style2 = torch::randn_like(style);
  fast.SetStyle(style2);
  auto plain2 = g->forward(mask, style2.expand({2, -1, -1}), noise);
  EXPECT_LT((fast.Forward(mask, noise) - plain2).abs().max().item<double>(), tol * std::max(1.0, scale));
  EXPECT_GT((plain2 - plain).abs().max().item<double>(), 1e-3);
}

TEST(SynthesisFast, TinyMatchesPlainForward) { ExpectFastMatchesPlain("tiny", false, 1e-4); }
TEST(SynthesisFast, TinyChannelsLastMatchesPlainForward) { ExpectFastMatchesPlain("tiny", true, 1e-4); }
TEST(SynthesisFast, TinyPolyphaseMatchesPlainForward) {
  ExpectFastMatchesPlain("tiny", false, 1e-4, torch::kFloat32, 1);
}
TEST(SynthesisFast, SmallMatchesPlainForward) { ExpectFastMatchesPlain("small", false, 1e-4, torch::kFloat32, 1); }

// bf16 is not exact: bounded error (random weights, outputs of order 1).
TEST(SynthesisFast, TinyBf16CloseToPlainForward) { ExpectFastMatchesPlain("tiny", true, 5e-2, torch::kBFloat16); }

// A face-like layout (large one-class regions): the fast path takes gamma from per-class tables
// inside regions and runs the conv only at boundaries. Batch 1, one-hot: sparse; a soft mask or
// sparse off: dense. All must match the plain forward.
torch::Tensor FaceLabels(int64_t size) {
  auto y = torch::arange(size, torch::kLong).view({size, 1}).expand({size, size});
  auto x = torch::arange(size, torch::kLong).view({1, size}).expand({size, size});
  auto labels = torch::zeros({size, size}, torch::kLong);
  auto r2 = (x - size / 2).pow(2) + (y - size / 2).pow(2);
  labels.masked_fill_(r2 < size * size / 9, 1);
  labels.masked_fill_((y < size / 3) & (r2 < size * size / 5), 13);
  labels.masked_fill_(((y - size / 2).abs() < size / 16) & (((x - size / 2).abs() - size / 8).abs() < size / 16), 4);
  labels.masked_fill_(((y - 2 * size / 3).abs() < size / 20) & ((x - size / 2).abs() < size / 8), 11);
  labels.masked_fill_(y > size * 7 / 8, 18);
  return labels.unsqueeze(0).contiguous();
}

void ExpectSparseMatchesPlain(const std::string& preset, bool channels_last, torch::ScalarType dtype, double tol) {
  auto cfg = ModelConfig::Preset(preset).value();
  torch::manual_seed(5);
  SynthesisGenerator g(cfg);
  Perturb(*g);
  auto mask = OneHotMask(FaceLabels(cfg.image_size), cfg.num_classes);
  auto style = torch::randn({1, cfg.num_classes, cfg.synth_style_dim});
  auto noise = g->MakeNoise(3);
  torch::NoGradGuard ng;
  auto plain = g->forward(mask, style, noise);
  const double scale = std::max(1.0, plain.abs().max().item<double>());
  FastSynthesisGenerator sparse(g, channels_last, dtype, 1, true), dense(g, channels_last, dtype, 1, false);
  sparse.SetStyle(style);
  dense.SetStyle(style);
  auto a = sparse.Forward(mask, noise);
  EXPECT_GT(sparse.last_sparse_sites(), 0) << "a face-like mask at " << cfg.image_size << " px should go sparse";
  auto b = dense.Forward(mask, noise);
  EXPECT_EQ(dense.last_sparse_sites(), 0);
  const double err_sparse = (a - plain).abs().max().item<double>(), err_dense = (b - plain).abs().max().item<double>();
  std::printf("%s sparse err %.3g dense err %.3g (output max %.3g)\n", preset.c_str(), err_sparse, err_dense, scale);
  EXPECT_LT(err_sparse, tol * scale);
  EXPECT_LT(err_dense, tol * scale);
  // a mask that is not one-hot cannot use class tables: it falls back to the dense gamma conv
  auto soft = mask * 0.9 + 0.1 / cfg.num_classes;
  auto c = sparse.Forward(soft, noise);
  EXPECT_EQ(sparse.last_sparse_sites(), 0);
  EXPECT_LT((c - dense.Forward(soft, noise)).abs().max().item<double>(), 1e-6 * scale);
}

TEST(SynthesisFast, SmallSparseGammaMatchesPlainForward) {
  ExpectSparseMatchesPlain("small", false, torch::kFloat32, 1e-4);
}
TEST(SynthesisFast, SmallSparseGammaChannelsLastMatchesPlainForward) {
  ExpectSparseMatchesPlain("small", true, torch::kFloat32, 1e-4);
}
TEST(SynthesisFast, SmallSparseGammaBf16CloseToPlainForward) {
  ExpectSparseMatchesPlain("small", true, torch::kBFloat16, 5e-2);
}

// A small generator that reads 7 geometry channels (and a neural texture when texture_channels
// > 0, filled with random values), a face mask with random geometry (coverage 1), and the plain
// forward that the fast path must match.
struct GeometryCase {
  ModelConfig cfg;
  SynthesisGenerator g{nullptr};
  torch::Tensor classes, geometry, mask, style, plain;
  std::vector<torch::Tensor> noise;
  double scale = 1;
};

GeometryCase MakeGeometryCase(int texture_channels, uint64_t seed) {
  GeometryCase c;
  c.cfg = ModelConfig::Preset("small").value();
  c.cfg.synth_geometry_channels = 7;
  c.cfg.synth_texture_channels = texture_channels;
  torch::manual_seed(seed);
  c.g = SynthesisGenerator(c.cfg);
  Perturb(*c.g);
  torch::NoGradGuard ng;
  for (auto& t : c.g->texture) t.copy_(torch::randn_like(t));
  const int64_t s = c.cfg.image_size;
  c.classes = OneHotMask(FaceLabels(s), c.cfg.num_classes);
  c.geometry = torch::rand({1, 7, s, s}) * 2 - 1;
  c.geometry.narrow(1, 6, 1).fill_(1.0);
  c.mask = torch::cat({c.classes, c.geometry}, 1);
  c.style = torch::randn({1, c.cfg.num_classes, c.cfg.synth_style_dim});
  c.noise = c.g->MakeNoise(3);
  c.plain = c.g->forward(c.mask, c.style, c.noise);
  c.scale = std::max(1.0, c.plain.abs().max().item<double>());
  return c;
}

// Geometry channels (continuous, after the classes): the fast path takes its dense gamma conv and
// still matches the plain forward; the style fold reads the class channels only.
TEST(SynthesisFast, GeometryChannelsMatchPlainForward) {
  GeometryCase c = MakeGeometryCase(0, 13);
  torch::NoGradGuard ng;
  for (bool channels_last : {false, true}) {
    FastSynthesisGenerator fast(c.g, channels_last);
    fast.SetStyle(c.style);
    auto out = fast.Forward(c.mask, c.noise);
    EXPECT_EQ(fast.last_sparse_sites(), 0) << "geometry channels must take the dense path";
    EXPECT_LT((out - c.plain).abs().max().item<double>(), 1e-4 * c.scale) << "channels_last " << channels_last;
  }
  // The geometry reaches the output.
  auto other = c.g->forward(torch::cat({c.classes, torch::zeros_like(c.geometry)}, 1), c.style, c.noise);
  EXPECT_GT((other - c.plain).abs().max().item<double>(), 1e-3);
}

// A neural texture (sampled from the geometry before the layers): the fast path samples the same
// texture and matches the plain forward.
TEST(SynthesisFast, NeuralTextureMatchesPlainForward) {
  GeometryCase c = MakeGeometryCase(4, 14);
  torch::NoGradGuard ng;
  FastSynthesisGenerator fast(c.g);
  fast.SetStyle(c.style);
  EXPECT_LT((fast.Forward(c.mask, c.noise) - c.plain).abs().max().item<double>(), 1e-4 * c.scale);
  // The texture reaches the output (and the fast path copied it: later changes to g are not seen).
  for (auto& t : c.g->texture) t.zero_();
  auto flat = c.g->forward(c.mask, c.style, c.noise);
  EXPECT_GT((flat - c.plain).abs().max().item<double>(), 1e-3);
  EXPECT_LT((fast.Forward(c.mask, c.noise) - c.plain).abs().max().item<double>(), 1e-4 * c.scale);
}

TEST(SynthesisFast, NeedsStyleAndNoise) {
  auto cfg = ModelConfig::Preset("tiny").value();
  SynthesisGenerator g(cfg);
  FastSynthesisGenerator fast(g);
  auto mask = BlobMask(1, cfg.num_classes, 32);
  EXPECT_THROW(fast.Forward(mask, g->MakeNoise(0)), std::logic_error);
  fast.SetStyle(torch::zeros({1, cfg.num_classes, cfg.synth_style_dim}));
  EXPECT_THROW(fast.Forward(mask, {}), std::invalid_argument);
  EXPECT_THROW(fast.SetStyle(torch::zeros({2, cfg.num_classes, cfg.synth_style_dim})), std::invalid_argument);
}

// The fast path on a GPU against the plain forward on the same GPU (skipped without one). cuDNN
// runs fp32 convs in TF32 by default, so both sides carry ~1e-3 relative rounding.
#define SKIP_WITHOUT_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA GPU here (this LibTorch build or machine has none)"
TEST(SynthesisFastGpu, SmallMatchesPlainForwardOnCuda) {
  SKIP_WITHOUT_CUDA();
  ExpectFastMatchesPlain("small", false, 1e-2, torch::kFloat32, 1, torch::kCUDA);
  ExpectFastMatchesPlain("small", true, 1e-2, torch::kFloat32, 1, torch::kCUDA);
}
TEST(SynthesisFastGpu, PaperMatchesPlainForwardOnCuda) {
  SKIP_WITHOUT_CUDA();
  ExpectFastMatchesPlain("paper", true, 1e-2, torch::kFloat32, 1, torch::kCUDA);
}
TEST(SynthesisFastGpu, Bf16CloseToPlainForwardOnCuda) {
  SKIP_WITHOUT_CUDA();
  ExpectFastMatchesPlain("small", true, 5e-2, torch::kBFloat16, 1, torch::kCUDA);
}

TEST(SynthesisFastSlow, PaperMatchesPlainForward) { ExpectFastMatchesPlain("paper", true, 1e-4); }

}  // namespace
}  // namespace smile::models
