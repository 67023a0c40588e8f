#include "models/synthesis.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

namespace smile::models {
namespace {

ModelConfig Cfg(const std::string& name) {
  auto c = ModelConfig::Preset(name);
  EXPECT_TRUE(c.ok());
  return c.value();
}

// A random but plausible one-hot mask: vertical bands of a few classes.
torch::Tensor BandMask(int64_t n, int64_t classes, int64_t size, std::vector<int64_t> used = {0, 1, 2, 4, 13}) {
  auto labels = torch::zeros({n, size, size}, torch::kLong);
  for (int64_t x = 0; x < size; ++x) labels.select(2, x).fill_(used[(x * used.size()) / size]);
  return OneHotMask(labels, classes);
}

TEST(SynthesisParams, PaperGeneratorMatchesOfficialCount) {
  // Official Generator(size=256, input_seg=64): image path = everything but the mapping
  // (`style`) and the encoder; 29,860,142 parameters (SMILE_SPEC: 29.86 M).
  SynthesisGenerator g(Cfg("paper"));
  EXPECT_EQ(CountParameters(*g), 29860142);
  SynthesisGenerator g128(Cfg("paper128"));
  EXPECT_EQ(CountParameters(*g128), 28080486);  // 28.08 M
}

TEST(SynthesisParams, PaperMappingAndEncoder) {
  EXPECT_EQ(CountParameters(*SynthesisMapping(Cfg("paper"))), 8 * (1216 * 1216 + 1216));  // 11.84 M
  EXPECT_EQ(CountParameters(*SynthesisStyleEncoder(Cfg("paper"))), 535936);                // 0.54 M
  SynthesisNetwork net(Cfg("paper"));
  EXPECT_EQ(CountParameters(*net), 29860142 + 8 * (1216 * 1216 + 1216) + 535936);
}

TEST(SynthesisParams, LastResolutionIsSpadeOnly) {
  SynthesisGenerator g(Cfg("paper"));
  ASSERT_EQ(g->resolutions.back(), 256);
  EXPECT_TRUE(g->convs.back()->conv->only_spade);
  EXPECT_TRUE(g->to_rgbs.back()->conv->only_spade);
  EXPECT_FALSE(g->convs[g->convs.size() - 3]->conv->only_spade);
  EXPECT_FALSE(g->to_rgb1->conv->only_spade);
  EXPECT_EQ(g->NumNoises(), 11);
  EXPECT_EQ(g->MaskInputSize(), 64);
}

TEST(Synthesis, TinyForwardShapesAndDeterminism) {
  auto cfg = Cfg("tiny");
  torch::manual_seed(1);
  SynthesisGenerator g(cfg);
  SynthesisMapping map(cfg);
  auto mask = BandMask(2, cfg.num_classes, 48);  // any input size: resized like the reference
  auto style = map->Sample(2);
  ASSERT_EQ(style.sizes(), torch::IntArrayRef({2, cfg.num_classes, cfg.synth_style_dim}));
  auto noise = g->MakeNoise(0);
  ASSERT_EQ(static_cast<int>(noise.size()), g->NumNoises());
  auto a = g->forward(mask, style, noise);
  EXPECT_EQ(a.sizes(), torch::IntArrayRef({2, 3, 32, 32}));
  EXPECT_TRUE(torch::isfinite(a).all().item<bool>());
  auto b = g->forward(mask, style, g->MakeNoise(0));
  EXPECT_TRUE(torch::equal(a, b));
  // the same seed builds the same network
  torch::manual_seed(1);
  SynthesisGenerator g2(cfg);
  EXPECT_TRUE(torch::equal(g2->forward(mask, style, noise), a));
  // per-sample independence: sample 1 alone gives the same image
  auto one = g->forward(mask.slice(0, 1, 2), style.slice(0, 1, 2), noise);
  EXPECT_TRUE(torch::allclose(one, a.slice(0, 1, 2), 1e-4, 1e-5));
}

TEST(Synthesis, StyleAndMaskBothMatter) {
  auto cfg = Cfg("tiny");
  torch::manual_seed(2);
  SynthesisGenerator g(cfg);
  // give the noise and blending weights non-trivial values
  for (auto& p : g->named_parameters()) if (p.key().find("blending_gamma") != std::string::npos) p.value().data().fill_(0.3);
  auto noise = g->MakeNoise(0);
  auto mask = BandMask(1, cfg.num_classes, 32);
  auto s1 = torch::randn({1, cfg.num_classes, cfg.synth_style_dim});
  auto s2 = s1.clone();
  s2[0][13] += 1.0;  // change the hair style: only classes present matter
  auto base = g->forward(mask, s1, noise);
  EXPECT_GT((g->forward(mask, s2, noise) - base).abs().max().item<double>(), 1e-4);
  auto s3 = s1.clone();
  s3[0][18] += 5.0;  // cloth is absent from the mask -> no effect
  EXPECT_LT((g->forward(mask, s3, noise) - base).abs().max().item<double>(), 1e-6);
  auto mask2 = BandMask(1, cfg.num_classes, 32, {0, 1, 13});
  EXPECT_GT((g->forward(mask2, s1, noise) - base).abs().max().item<double>(), 1e-4);
}

// Geometry channels after the classes: the generator reads them (mask encoder and SPADE), the
// style codes do not (a class absent from the mask stays without effect whatever the geometry).
TEST(Synthesis, GeometryChannelsConditionButCarryNoStyle) {
  auto cfg = Cfg("tiny");
  cfg.synth_geometry_channels = 3;
  torch::manual_seed(4);
  SynthesisGenerator g(cfg);
  for (auto& p : g->named_parameters()) if (p.key().find("blending_gamma") != std::string::npos) p.value().data().fill_(0.3);
  auto noise = g->MakeNoise(0);
  auto classes = BandMask(1, cfg.num_classes, 32);
  auto geo = torch::rand({1, 3, 32, 32});
  auto s1 = torch::randn({1, cfg.num_classes, cfg.synth_style_dim});
  auto base = g->forward(torch::cat({classes, geo}, 1), s1, noise);
  EXPECT_EQ(base.sizes(), torch::IntArrayRef({1, 3, 32, 32}));
  EXPECT_GT((g->forward(torch::cat({classes, geo * 0.5}, 1), s1, noise) - base).abs().max().item<double>(), 1e-4);
  auto s3 = s1.clone();
  s3[0][18] += 5.0;  // cloth is absent from the classes -> no effect, geometry or not
  EXPECT_LT((g->forward(torch::cat({classes, geo}, 1), s3, noise) - base).abs().max().item<double>(), 1e-6);
  // The classes alone are the wrong input for this configuration: a clear error.
  EXPECT_THROW(g->forward(classes, s1, noise), std::invalid_argument);
}

// The neural texture: each pyramid level sampled bilinearly at the canonical (x, y) of geometry
// channels 0-1, summed over levels, times coverage (the last geometry channel); it learns through
// the renders' gradients and starts at zero.
TEST(Synthesis, NeuralTextureIsSampledAtCanonicalPositionsAndLearns) {
  auto cfg = Cfg("tiny");
  cfg.synth_geometry_channels = 3;
  cfg.synth_texture_channels = 2;
  torch::manual_seed(5);
  SynthesisGenerator g(cfg);
  ASSERT_EQ(g->texture.size(), 2u);  // 32 and 16
  EXPECT_EQ(g->texture[0].sizes(), torch::IntArrayRef({1, 2, 32, 32}));
  EXPECT_EQ(g->texture[1].sizes(), torch::IntArrayRef({1, 2, 16, 16}));
  EXPECT_EQ(g->texture[0].abs().max().item<double>(), 0.0);
  {
    torch::NoGradGuard ng;
    for (auto& t : g->texture) t.copy_(torch::randn_like(t));
  }
  // At texel centres of the finest level (32 px over [-1, 1]: x = (2i + 1) / 32 - 1) the sample is
  // exactly that texel of the summed pyramid: level 0 plus level 1 up-sampled bilinearly.
  const int64_t c = cfg.num_classes;
  auto classes = BandMask(1, c, 4);
  auto geo = torch::zeros({1, 3, 4, 4});
  const int xi[4] = {0, 5, 17, 31}, yi[4] = {3, 8, 20, 30};
  for (int r = 0; r < 4; ++r)
    for (int q = 0; q < 4; ++q) {
      geo[0][0][r][q] = (2.0 * xi[q] + 1) / 32 - 1;
      geo[0][1][r][q] = (2.0 * yi[r] + 1) / 32 - 1;
      geo[0][2][r][q] = (r + q) % 3 == 0 ? 0.0 : 1.0;  // coverage
    }
  auto out = WithNeuralTexture(g->texture, torch::cat({classes, geo}, 1), c, 3);
  ASSERT_EQ(out.sizes(), torch::IntArrayRef({1, c + 5, 4, 4}));
  EXPECT_TRUE(torch::equal(out.narrow(1, 0, c + 3), torch::cat({classes, geo}, 1)));
  for (int r = 0; r < 4; ++r)
    for (int q = 0; q < 4; ++q) {
      // Level 1 (16 px) up-sampled to 32 with align_corners false: texel i of 32 sits at
      // (i + 0.5) / 2 - 0.5 in level 1's texels, blended with its neighbours, clamped at the border.
      const double fx = (xi[q] + 0.5) / 2 - 0.5, fy = (yi[r] + 0.5) / 2 - 0.5;
      auto clampi = [](int v) { return std::min(15, std::max(0, v)); };
      const int x0 = static_cast<int>(std::floor(fx)), y0 = static_cast<int>(std::floor(fy));
      const double ax = fx - x0, ay = fy - y0;
      const double cov = geo[0][2][r][q].item<double>();
      for (int ch = 0; ch < 2; ++ch) {
        auto t1 = g->texture[1][0][ch];
        const double l1 = (1 - ay) * ((1 - ax) * t1[clampi(y0)][clampi(x0)].item<double>() +
                                      ax * t1[clampi(y0)][clampi(x0 + 1)].item<double>()) +
                          ay * ((1 - ax) * t1[clampi(y0 + 1)][clampi(x0)].item<double>() +
                                ax * t1[clampi(y0 + 1)][clampi(x0 + 1)].item<double>());
        const double want = cov * (g->texture[0][0][ch][yi[r]][xi[q]].item<double>() + l1);
        EXPECT_NEAR(out[0][c + 3 + ch][r][q].item<double>(), want, 1e-5) << r << "," << q << " ch " << ch;
      }
    }
  // The generator takes the classes and geometry only (it appends the texture itself), and a
  // loss on its render reaches the texture.
  auto mask = torch::cat({BandMask(1, c, 32), torch::rand({1, 2, 32, 32}) * 2 - 1, torch::ones({1, 1, 32, 32})}, 1);
  auto style = torch::randn({1, c, cfg.synth_style_dim});
  auto render = g->forward(mask, style, g->MakeNoise(0));
  EXPECT_EQ(render.sizes(), torch::IntArrayRef({1, 3, 32, 32}));
  render.square().mean().backward();
  for (auto& t : g->texture) EXPECT_GT(t.grad().abs().sum().item<double>(), 0.0);
  // Off the mesh (coverage 0) the texture has no effect.
  auto off = mask.clone();
  off.narrow(1, c + 2, 1).zero_();
  torch::NoGradGuard ng;
  auto a = g->forward(off, style, g->MakeNoise(0));
  for (auto& t : g->texture) t.mul_(3.0);
  EXPECT_LT((g->forward(off, style, g->MakeNoise(0)) - a).abs().max().item<double>(), 1e-6);
  EXPECT_GT((g->forward(mask, style, g->MakeNoise(0)) - render.detach()).abs().max().item<double>(), 1e-4);
}

// The split first SPADE conv (data channels, then texture channels that carry gradients) gives the
// one conv over their concatenation, forward and backward: the plain path is the reference.
TEST(Synthesis, SplitSpadeConvMatchesTheConcatenatedConv) {
  torch::manual_seed(6);
  SpadeGamma spade(16, 7 + 3, 8);
  auto mask = torch::rand({2, 7, 12, 12});
  auto texture = torch::randn({2, 3, 12, 12}, torch::requires_grad());
  auto texture_ref = texture.detach().clone().requires_grad_();
  auto split = spade->forward(mask, texture);
  auto plain = spade->forward(torch::cat({mask, texture_ref}, 1));
  EXPECT_LT((split - plain).abs().max().item<double>(), 1e-5);
  auto up = torch::randn_like(plain);
  (split * up).sum().backward();
  (plain * up).sum().backward();
  EXPECT_LT((texture.grad() - texture_ref.grad()).abs().max().item<double>(), 1e-5);
}

TEST(Synthesis, SmallConfigShapes) {
  auto cfg = Cfg("small");
  SynthesisNetwork net(cfg);
  torch::NoGradGuard ng;
  auto mask = BandMask(1, cfg.num_classes, 128);
  auto rgb = torch::rand({1, 3, 128, 128}) * 2 - 1;
  auto enc = net->encoder->forward(rgb, mask);
  EXPECT_EQ(enc.style.sizes(), torch::IntArrayRef({1, cfg.num_classes, cfg.synth_style_dim}));
  auto style = FillAbsentStyles(enc, net->mapping->Sample(1));
  auto out = net->generator->forward(mask, style, net->generator->MakeNoise(0));
  EXPECT_EQ(out.sizes(), torch::IntArrayRef({1, 3, 128, 128}));
  SynthesisDiscriminator d(cfg);
  EXPECT_EQ(d->forward(out).sizes(), torch::IntArrayRef({1, 1}));
}

TEST(SynthesisEncoder, MaskAveragePoolingAndAbsentClasses) {
  auto feats = torch::arange(2 * 4 * 4, torch::kFloat32).view({1, 2, 4, 4});
  auto labels = torch::zeros({1, 8, 8}, torch::kLong);
  labels.slice(1, 0, 4).fill_(2);  // class 2 on the top half (rows 0..1 of the 4x4 features)
  auto enc = MaskAveragePool(feats, OneHotMask(labels, 4));
  EXPECT_TRUE(enc.present[0][0].item<bool>());
  EXPECT_FALSE(enc.present[0][1].item<bool>());
  EXPECT_TRUE(enc.present[0][2].item<bool>());
  EXPECT_FALSE(enc.present[0][3].item<bool>());
  EXPECT_NEAR(enc.style[0][2][0].item<double>(), 3.5, 1e-6);   // mean of 0..7
  EXPECT_NEAR(enc.style[0][0][1].item<double>(), 27.5, 1e-6);  // mean of 24..31
  EXPECT_EQ(enc.style[0][1].abs().sum().item<double>(), 0.0);
  auto filled = FillAbsentStyles(enc, torch::full({1, 4, 2}, -1.0));
  EXPECT_EQ(filled[0][1][0].item<double>(), -1.0);
  EXPECT_NEAR(filled[0][2][0].item<double>(), 3.5, 1e-6);
}

TEST(Synthesis, AdamStepsLowerL1ReconstructionLoss) {
  auto cfg = Cfg("tiny");
  torch::manual_seed(3);
  SynthesisNetwork net(cfg);
  auto mask = BandMask(2, cfg.num_classes, 32);
  auto target = torch::rand({2, 3, 32, 32}) * 2 - 1;
  auto noise = net->generator->MakeNoise(0);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(2e-3).betas({0.0, 0.99}));
  double first = 0, last = 0;
  for (int it = 0; it < 12; ++it) {
    auto enc = net->encoder->forward(target, mask);
    auto style = FillAbsentStyles(enc, net->mapping->forward(torch::zeros({1, cfg.num_classes * cfg.synth_style_dim})));
    auto loss = (net->generator->forward(mask, style, noise) - target).abs().mean();
    opt.zero_grad();
    loss.backward();
    if (it == 0) {
      // gradients reach the mask encoder, the SAC style branch, the SPADE branch and the encoder
      EXPECT_GT(net->generator->input[0]->as<ConvLayer>()->conv->weight.grad().abs().sum().item<double>(), 0);
      EXPECT_GT(net->generator->conv1->conv->fc_mu_weight.grad().abs().sum().item<double>(), 0);
      EXPECT_GT(net->generator->conv1->conv->spade->mlp_shared->conv->weight.grad().abs().sum().item<double>(), 0);
      EXPECT_GT(net->encoder->model[0]->as<ConvLayer>()->conv->weight.grad().abs().sum().item<double>(), 0);
      first = loss.item<double>();
    }
    opt.step();
    last = loss.item<double>();
  }
  EXPECT_LT(last, first * 0.95);
}

TEST(SynthesisDiscriminator, ShapesAndMinibatchStddev) {
  auto cfg = Cfg("tiny");
  SynthesisDiscriminator d(cfg, 3 + cfg.num_classes);
  auto x = torch::randn({6, 3 + cfg.num_classes, 32, 32});  // 6 is not a multiple of 4: group falls to 3
  EXPECT_EQ(d->forward(x).sizes(), torch::IntArrayRef({6, 1}));
  SynthesisDiscriminator paper(Cfg("paper"));
  EXPECT_GT(CountParameters(*paper), 20000000);
}

TEST(SynthesisSlow, PaperForward256) {
  auto cfg = Cfg("paper");
  SynthesisNetwork net(cfg);
  torch::NoGradGuard ng;
  auto mask = BandMask(1, cfg.num_classes, 256);
  auto style = net->mapping->Sample(1);
  auto out = net->generator->forward(mask, style, net->generator->MakeNoise(0));
  EXPECT_EQ(out.sizes(), torch::IntArrayRef({1, 3, 256, 256}));
  EXPECT_TRUE(torch::isfinite(out).all().item<bool>());
  auto enc = net->encoder->forward(out, mask);
  EXPECT_EQ(enc.style.sizes(), torch::IntArrayRef({1, 19, 64}));
}

}  // namespace
}  // namespace smile::models

namespace smile::models {
namespace {

// The box-sum demodulation (used in training and inference) against the literal
// conv(gamma^2, w^2) of the paper, values and gradients, for plain and up-sampling layers.
TEST(SynthesisDemod, BoxSumsMatchConvolutionWithGradients) {
  torch::manual_seed(3);
  for (bool up : {false, true}) {
    SacConv2d conv(6, 5, 3, 8, 19, 4, up, /*demodulate=*/true, /*only_spade=*/false);
    auto labels = torch::randint(0, 19, {2, 16, 16}, torch::kLong);
    auto mask = OneHotMask(labels, 19);
    auto x = torch::randn({2, 6, 7, 9});  // odd, non-square: borders must be exact
    auto style = torch::randn({2, 19, 8});
    auto run = [&](bool reference) {
      conv->reference_demod = reference;
      conv->zero_grad();
      auto y = conv->forward(x, style, mask);
      (y * torch::linspace(-1, 1, y.numel()).view(y.sizes())).sum().backward();
      return std::make_pair(y.detach().clone(), conv->weight.grad().clone());
    };
    auto [y_ref, g_ref] = run(true);
    auto [y_box, g_box] = run(false);
    EXPECT_LT((y_ref - y_box).abs().max().item<double>(), 1e-5) << "upsample=" << up;
    EXPECT_LT((g_ref - g_box).abs().max().item<double>(), 1e-4 * (1 + g_ref.abs().max().item<double>()));
    EXPECT_GT(g_ref.abs().max().item<double>(), 0);
  }
  auto g2 = torch::rand({1, 2, 5, 4});
  auto w2 = torch::rand({3, 2, 1, 1});
  auto lit = torch::conv2d(g2, w2).sum({2, 3});
  EXPECT_LT((SumOfSameConv(g2, w2) - lit).abs().max().item<double>(), 1e-5);
}

// The CUDA path against the CPU reference (skipped without a GPU): same weights, masks, styles
// and noise give the same images and gradients. cuDNN runs fp32 convs in TF32 by default, hence
// the relative tolerance.
double RelativeError(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a.cpu() - b.cpu()).norm() / b.cpu().norm().clamp_min(1e-12)).item<double>();
}

TEST(SynthesisGpu, ForwardAndGradientsMatchCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA GPU here (this LibTorch build or machine has none)";
  for (const char* preset : {"small", "paper128"}) {
    auto cfg = Cfg(preset);
    torch::manual_seed(3);
    SynthesisGenerator cpu(cfg), gpu(cfg);
    {
      torch::NoGradGuard ng;
      auto a = cpu->parameters(), b = gpu->parameters();
      for (size_t i = 0; i < a.size(); ++i) b[i].copy_(a[i]);
    }
    gpu->to(torch::kCUDA);
    auto mask = BandMask(2, cfg.num_classes, cfg.image_size);
    auto style = torch::randn({2, cfg.num_classes, cfg.synth_style_dim}).requires_grad_(true);
    auto style_gpu = style.detach().to(torch::kCUDA).requires_grad_(true);
    auto noise = cpu->MakeNoise(5);
    std::vector<torch::Tensor> noise_gpu;
    for (const auto& n : noise) noise_gpu.push_back(n.to(torch::kCUDA));
    auto out_cpu = cpu->forward(mask, style, noise);
    auto out_gpu = gpu->forward(mask.to(torch::kCUDA), style_gpu, noise_gpu);
    ASSERT_TRUE(out_gpu.is_cuda());
    const double err = RelativeError(out_gpu, out_cpu);
    // a loss that weights pixels unevenly, so the gradients are not trivially uniform
    auto target = torch::linspace(-1, 1, out_cpu.numel()).view(out_cpu.sizes());
    (out_cpu - target).pow(2).mean().backward();
    (out_gpu - target.to(torch::kCUDA)).pow(2).mean().backward();
    const double err_style = RelativeError(style_gpu.grad(), style.grad());
    const double err_weight = RelativeError(gpu->convs[0]->conv->weight.grad(), cpu->convs[0]->conv->weight.grad());
    std::printf("%s: output %.2e, style grad %.2e, conv weight grad %.2e relative error\n", preset, err, err_style,
                err_weight);
    EXPECT_LT(err, 1e-2) << preset;
    EXPECT_LT(err_style, 2e-2) << preset;
    EXPECT_LT(err_weight, 2e-2) << preset;
  }
}

}  // namespace
}  // namespace smile::models
