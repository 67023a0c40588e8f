#include "models/synthesis.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace smile::models {

namespace F = torch::nn::functional;

namespace {

std::vector<int64_t> V2(int64_t v) { return {v, v}; }

torch::Tensor ResizeNearest(const torch::Tensor& mask, int64_t h, int64_t w) {
  if (mask.size(2) == h && mask.size(3) == w) return mask;
  return F::interpolate(mask, F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w}).mode(torch::kNearest));
}

}  // namespace

SpadeGammaImpl::SpadeGammaImpl(int64_t channels, int64_t num_classes, int64_t hidden) {
  mlp_shared = register_module("mlp_shared", ConvLayer(num_classes, hidden, 3));
  mlp_gamma = register_module("mlp_gamma", ConvLayer(hidden, channels, 3, false, false, /*bias=*/true,
                                                     /*activate=*/false));
}

torch::Tensor SpadeGammaImpl::forward(const torch::Tensor& mask, const torch::Tensor& texture) {
  if (!texture.defined()) return mlp_gamma->forward(mlp_shared->forward(mask));
  // conv(cat[mask, texture], W) = conv(mask, W_mask) + conv(texture, W_texture): the backward
  // pass then computes an input gradient for the texture channels only.
  const auto& c = mlp_shared->conv;
  auto w = c->weight * c->scale;
  const int64_t k = mask.size(1);
  auto pre = torch::conv2d(mask, w.narrow(1, 0, k), c->bias, V2(c->stride), V2(c->padding)) +
             torch::conv2d(texture, w.narrow(1, k, texture.size(1)), torch::Tensor(), V2(c->stride), V2(c->padding));
  return mlp_gamma->forward(mlp_shared->act->forward(pre));
}

SacConv2dImpl::SacConv2dImpl(int64_t in, int64_t out, int64_t k, int64_t style_dim_, int64_t num_classes,
                             int64_t spade_hidden, bool upsample_, bool demodulate_, bool only_spade_,
                             int64_t geometry_channels, int64_t texture_channels_)
    : in_ch(in),
      out_ch(out),
      kernel(k),
      style_dim(style_dim_),
      num_classes(num_classes),
      texture_channels(texture_channels_),
      scale(1.0 / std::sqrt(static_cast<double>(in * k * k))),
      upsample(upsample_),
      demodulate(demodulate_),
      only_spade(only_spade_) {
  blending_gamma = register_parameter("blending_gamma", torch::zeros({1}));
  spade = register_module("spade_gamma", SpadeGamma(in, num_classes + geometry_channels, spade_hidden));
  if (!only_spade) {
    fc_mu_weight = register_parameter("fc_mu_weight", torch::randn({num_classes, style_dim, style_dim}));
    fc_mu_bias = register_parameter("fc_mu_bias", torch::ones({num_classes, style_dim}));
    style_gamma = register_module("style_gamma", ConvLayer(style_dim, in, 3, false, false, true, /*activate=*/false));
  }
  if (upsample) {
    const int p = (4 - 2) - (static_cast<int>(k) - 1);
    blur = register_module("blur", Blur(DefaultBlurKernel(), (p + 1) / 2 + 1, p / 2 + 1, 2));
  }
  weight = register_parameter("weight", torch::randn({out, in, k, k}));
}

torch::Tensor SacConv2dImpl::StyleCodes(const torch::Tensor& style, const torch::Tensor& mask_hw) {
  const double fc_scale = 1.0 / std::sqrt(static_cast<double>(style_dim));
  // mu[n,c,:] = EqualLinear_c(style[n,c,:])
  auto mu = torch::einsum("cod,ncd->nco", {fc_mu_weight * fc_scale, style}) + fc_mu_bias.unsqueeze(0);
  // The class channels only: geometry channels (after them) carry no style.
  auto m = mask_hw.narrow(1, 0, num_classes).ne(0).to(mu.dtype());
  return torch::einsum("nco,nchw->nohw", {mu, m});
}

torch::Tensor SacConv2dImpl::Gamma(const torch::Tensor& style, const torch::Tensor& mask_hw,
                                   const torch::Tensor& texture_hw) {
  auto gamma_spade = spade->forward(mask_hw, texture_hw);
  if (only_spade) return gamma_spade;
  auto codes = style_gamma->forward(StyleCodes(style, mask_hw));
  auto a = torch::sigmoid(blending_gamma);
  return a * codes + (1 - a) * gamma_spade;
}

torch::Tensor SacConv2dImpl::forward(const torch::Tensor& x, const torch::Tensor& style, const torch::Tensor& mask) {
  const int64_t h = x.size(2), w = x.size(3);
  torch::Tensor mask_hw, texture_hw;
  if (texture_channels > 0) {
    const int64_t k = mask.size(1) - texture_channels;
    mask_hw = ResizeNearest(mask.narrow(1, 0, k).detach().to(x.dtype()), h, w);
    texture_hw = ResizeNearest(mask.narrow(1, k, texture_channels).to(x.dtype()), h, w);
  } else {
    mask_hw = ResizeNearest(mask.to(x.dtype()), h, w);
  }
  auto gamma = Gamma(style, mask_hw, texture_hw);
  auto xg = gamma * x;
  auto wt = weight * scale;
  torch::Tensor out;
  if (upsample) {
    out = torch::conv_transpose2d(xg, wt.transpose(0, 1), torch::Tensor(), V2(2), V2(0));
    out = blur->forward(out);
  } else {
    out = torch::conv2d(xg, wt, torch::Tensor(), V2(1), V2(kernel / 2));
  }
  if (demodulate) out = out * Demodulation(gamma, wt).unsqueeze(-1).unsqueeze(-1);
  return out;
}

torch::Tensor SacConv2dImpl::Demodulation(const torch::Tensor& gamma, const torch::Tensor& wt) const {
  const int64_t h = gamma.size(2), w = gamma.size(3);
  if (reference_demod || (kernel != 1 && kernel != 3)) {
    auto demod = torch::conv2d(gamma.pow(2), wt.pow(2), torch::Tensor(), V2(1), V2(kernel / 2));
    return torch::rsqrt((demod / static_cast<double>(h * w)).sum({2, 3}) + 1e-8);
  }
  return torch::rsqrt(SumOfSameConv(gamma.pow(2), wt.pow(2)) / static_cast<double>(h * w) + 1e-8);
}

torch::Tensor SumOfSameConv(const torch::Tensor& g2, const torch::Tensor& w2) {
  const int64_t k = w2.size(2);
  if (k == 1) return torch::einsum("oi,ni->no", {w2.flatten(1), g2.sum({2, 3})});
  if (k != 3) throw std::invalid_argument("SumOfSameConv: kernel must be 1 or 3");
  const int64_t h = g2.size(2), w = g2.size(3);
  // Tap (ky,kx) of a padded 3x3 conv sees rows ky-1 .. h-2+ky: all rows but the last (ky=0),
  // all (ky=1), all but the first (ky=2); the same for columns.
  auto rall = g2.sum(2);                                                                     // (N,in,W)
  auto rows = torch::stack({rall - g2.select(2, h - 1), rall, rall - g2.select(2, 0)}, 2);  // (N,in,3,W)
  auto call = rows.sum(3);                                                                   // (N,in,3)
  auto s = torch::stack({call - rows.select(3, w - 1), call, call - rows.select(3, 0)}, 3);  // (N,in,3,3)
  return torch::einsum("oikl,nikl->no", {w2, s});
}

SacStyledConvImpl::SacStyledConvImpl(int64_t in, int64_t out, const ModelConfig& cfg, bool upsample,
                                     bool only_spade) {
  conv = register_module("conv", SacConv2d(in, out, 3, cfg.synth_style_dim, cfg.num_classes, cfg.synth_spade_hidden,
                                           upsample, /*demodulate=*/true, only_spade, cfg.SynthExtraChannels(),
                                           cfg.synth_texture_channels));
  noise = register_module("noise", NoiseInjection());
  act = register_module("activate", FusedLeakyReLU(out));
}

torch::Tensor SacStyledConvImpl::forward(const torch::Tensor& x, const torch::Tensor& style, const torch::Tensor& mask,
                                         const torch::Tensor& n) {
  return act->forward(noise->forward(conv->forward(x, style, mask), n));
}

SacToRGBImpl::SacToRGBImpl(int64_t in, const ModelConfig& cfg, bool upsample, bool only_spade) {
  conv = register_module("conv", SacConv2d(in, 3, 1, cfg.synth_style_dim, cfg.num_classes, cfg.synth_spade_hidden,
                                           false, /*demodulate=*/false, only_spade, cfg.SynthExtraChannels(),
                                           cfg.synth_texture_channels));
  if (upsample) up = register_module("upsample", Upsample(DefaultBlurKernel()));
  bias = register_parameter("bias", torch::zeros({1, 3, 1, 1}));
}

torch::Tensor SacToRGBImpl::forward(const torch::Tensor& x, const torch::Tensor& style, const torch::Tensor& mask,
                                    const torch::Tensor& skip) {
  auto out = conv->forward(x, style, mask) + bias;
  if (skip.defined()) out = out + (up ? up->forward(skip) : skip);
  return out;
}

int64_t SynthChannels(const ModelConfig& cfg, int res) {
  int paper = 32;
  if (res <= 32) paper = 512;
  else if (res <= 128) paper = 256;
  else if (res <= 256) paper = 128;
  else if (res <= 512) paper = 64;
  return cfg.Width(paper);
}

SynthesisGeneratorImpl::SynthesisGeneratorImpl(const ModelConfig& cfg) : config(cfg) {
  const int start = cfg.synth_mask_start;
  if (start < 4 || (start & (start - 1)) != 0 || start >= cfg.image_size)
    throw std::invalid_argument("synth_mask_start must be a power of two >= 4 and below image_size (got " +
                                std::to_string(start) + ")");
  input_mask_size = start * 8;
  const int64_t sem_dim = cfg.Width(256);
  const int64_t c0 = SynthChannels(cfg, start);
  input = register_module("input", torch::nn::Sequential(
                                       ConvLayer(cfg.num_classes + cfg.SynthExtraChannels(), sem_dim, 3), ConvLayer(sem_dim, sem_dim, 3, true),
                                       ConvLayer(sem_dim, sem_dim, 3, true), ConvLayer(sem_dim, c0, 3, true)));
  // Zero at the start: the texture begins as no input and learns from the renders' gradients.
  for (int s = cfg.image_size, level = 0; cfg.synth_texture_channels > 0 && s >= 16; s /= 2, ++level)
    texture.push_back(register_parameter("neural_texture_" + std::to_string(level),
                                         torch::zeros({1, cfg.synth_texture_channels, s, s})));
  conv1 = register_module("conv1", SacStyledConv(c0, c0, cfg, false, false));
  to_rgb1 = register_module("to_rgb1", SacToRGB(c0, cfg, /*upsample=*/false, false));
  int64_t in = c0;
  for (int res = start * 2; res <= cfg.image_size; res *= 2) {
    const bool only_spade = res == cfg.image_size;  // SAC*: last resolution uses SPADE only
    const int64_t out = SynthChannels(cfg, res);
    const int idx = static_cast<int>(resolutions.size());
    convs.push_back(register_module("convs_" + std::to_string(2 * idx),
                                    SacStyledConv(in, out, cfg, /*upsample=*/true, only_spade)));
    convs.push_back(register_module("convs_" + std::to_string(2 * idx + 1),
                                    SacStyledConv(out, out, cfg, false, only_spade)));
    to_rgbs.push_back(register_module("to_rgbs_" + std::to_string(idx), SacToRGB(out, cfg, true, only_spade)));
    resolutions.push_back(res);
    in = out;
  }
}

std::vector<torch::Tensor> SynthesisGeneratorImpl::MakeNoise(uint64_t seed) const {
  // Same draw order as the reference's make_noise: start^2, then two per resolution.
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  std::vector<torch::Tensor> noise;
  const int64_t s = config.synth_mask_start;
  noise.push_back(at::randn({1, 1, s, s}, gen));
  for (int res : resolutions)
    for (int j = 0; j < 2; ++j) noise.push_back(at::randn({1, 1, res, res}, gen));
  return noise;
}

torch::Tensor SynthesisGeneratorImpl::forward(const torch::Tensor& mask_in, const torch::Tensor& style_in,
                                              const std::vector<torch::Tensor>& noise) {
  const int64_t c = config.num_classes, d = config.synth_style_dim;
  const int64_t mc = c + config.synth_geometry_channels;
  if (mask_in.dim() != 4 || mask_in.size(1) != mc)
    throw std::invalid_argument("synthesis generator: mask must be (N," + std::to_string(mc) + ",H,W)" +
                                (config.synth_geometry_channels ? " (classes, then geometry)" : "") + ", got " +
                                (mask_in.dim() == 4 ? std::to_string(mask_in.size(1)) + " channels"
                                                    : std::to_string(mask_in.dim()) + "-d tensor"));
  auto style = style_in.reshape({style_in.size(0), c, d});
  if (style.size(0) != mask_in.size(0)) throw std::invalid_argument("synthesis generator: mask/style batch differ");
  if (!noise.empty() && static_cast<int>(noise.size()) < NumNoises())
    throw std::invalid_argument("synthesis generator: need " + std::to_string(NumNoises()) + " noise tensors");
  auto mask = WithNeuralTexture(texture, mask_in, c, config.synth_geometry_channels).to(style.dtype());
  auto nz = [&](int i) { return noise.empty() ? torch::Tensor() : noise[i]; };
  auto out = input->forward(ResizeNearest(mask, input_mask_size, input_mask_size));
  out = conv1->forward(out, style, mask, nz(0));
  auto skip = to_rgb1->forward(out, style, mask);
  for (size_t i = 0; i < to_rgbs.size(); ++i) {
    out = convs[2 * i]->forward(out, style, mask, nz(1 + 2 * i));
    out = convs[2 * i + 1]->forward(out, style, mask, nz(2 + 2 * i));
    skip = to_rgbs[i]->forward(out, style, mask, skip);
  }
  return skip;
}

torch::Tensor MergeTexturePyramid(const std::vector<torch::Tensor>& texture) {
  namespace F = torch::nn::functional;
  const int64_t top = texture.front().size(2);
  torch::Tensor full;
  for (const auto& level : texture) {
    auto t = level.to(torch::kFloat32);
    if (t.size(2) != top)
      t = F::interpolate(t, F::InterpolateFuncOptions()
                                .size(std::vector<int64_t>{top, top})
                                .mode(torch::kBilinear)
                                .align_corners(false));
    full = full.defined() ? full + t : t;
  }
  return full;
}

torch::Tensor WithNeuralTexture(const std::vector<torch::Tensor>& texture, const torch::Tensor& mask,
                                int64_t num_classes, int64_t geometry_channels) {
  if (texture.empty()) return mask;
  namespace F = torch::nn::functional;
  // Sampled in fp32 (grid_sample has no bf16 CPU kernel); canonical x, y are the grid itself.
  auto geo = mask.narrow(1, num_classes, geometry_channels).to(torch::kFloat32);
  auto coverage = geo.narrow(1, geometry_channels - 1, 1);                 // (N, 1, H, W)
  auto grid = geo.narrow(1, 0, 2).permute({0, 2, 3, 1}).contiguous();  // (N, H, W, 2)
  const auto opts = F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kBorder).align_corners(false);
  // The pyramid's levels up-sampled to the finest and summed, then sampled once (one grid_sample
  // instead of one per level: a third of the time, forward and backward).
  auto full = MergeTexturePyramid(texture);
  auto sampled = F::grid_sample(full.expand({mask.size(0), -1, -1, -1}), grid, opts);
  return torch::cat({mask, (sampled * coverage).to(mask.scalar_type())}, 1);
}

SynthesisMappingImpl::SynthesisMappingImpl(const ModelConfig& cfg)
    : num_classes(cfg.num_classes), style_dim(cfg.synth_style_dim) {
  const int64_t dim = num_classes * style_dim;
  net = register_module("net", torch::nn::Sequential(PixelNorm()));
  for (int i = 0; i < cfg.synth_mapping_layers; ++i)
    net->push_back(EqualLinear(dim, dim, true, 0.0, cfg.synth_mapping_lr_mul, /*fused_lrelu=*/true));
}

torch::Tensor SynthesisMappingImpl::forward(const torch::Tensor& z) {
  return net->forward(z.reshape({z.size(0), num_classes * style_dim})).view({z.size(0), num_classes, style_dim});
}

torch::Tensor SynthesisMappingImpl::Sample(int64_t n, const torch::Device& device) {
  return forward(torch::randn({n, num_classes * style_dim}, torch::TensorOptions().device(device)));
}

SynthesisStyleEncoderImpl::SynthesisStyleEncoderImpl(const ModelConfig& cfg) {
  const int n_down = cfg.image_size >= 512 ? 3 : 2;
  model = register_module("model", torch::nn::Sequential(ConvLayer(3, cfg.Width(32), 3)));
  int mult = 1;
  for (int i = 0; i < n_down; ++i, mult *= 2)
    model->push_back(ConvLayer(cfg.Width(32 * mult), cfg.Width(64 * mult), 3, /*downsample=*/true));
  model->push_back(ConvLayer(cfg.Width(32 * mult), cfg.Width(64 * mult), 3, false, /*upsample=*/true));
  model->push_back(ConvLayer(cfg.Width(64 * mult), cfg.synth_style_dim, 3, /*downsample=*/true));
}

EncodedStyle SynthesisStyleEncoderImpl::forward(const torch::Tensor& rgb, const torch::Tensor& mask) {
  return MaskAveragePool(Features(rgb), mask);
}

EncodedStyle MaskAveragePool(const torch::Tensor& features, const torch::Tensor& mask) {
  auto seg = ResizeNearest(mask.to(features.dtype()), features.size(2), features.size(3)).ne(0).to(features.dtype());
  auto area = seg.sum({2, 3});                                          // (N, C)
  auto sums = torch::einsum("ndhw,nchw->ncd", {features, seg});         // (N, C, D)
  EncodedStyle e;
  e.style = sums / area.clamp_min(1).unsqueeze(-1);
  e.present = area.gt(0);
  return e;
}

torch::Tensor FillAbsentStyles(const EncodedStyle& enc, const torch::Tensor& fill) {
  return torch::where(enc.present.unsqueeze(-1), enc.style, fill.to(enc.style.dtype()).expand_as(enc.style));
}

SynthesisDiscriminatorImpl::SynthesisDiscriminatorImpl(const ModelConfig& cfg, int64_t in_channels) {
  auto ch = [&](int res) {
    int paper = 512;
    if (res == 128) paper = 256;
    else if (res == 256) paper = 128;
    else if (res == 512) paper = 64;
    else if (res >= 1024) paper = 32;
    return static_cast<int64_t>(cfg.Width(paper));
  };
  convs = register_module("convs", torch::nn::Sequential(ConvLayer(in_channels, ch(cfg.image_size), 1)));
  int64_t in = ch(cfg.image_size);
  for (int res = cfg.image_size; res > 4; res /= 2) {
    const int64_t out = ch(res / 2);
    convs->push_back(ResBlock(in, out));
    in = out;
  }
  final_conv = register_module("final_conv", ConvLayer(in + 1, ch(4), 3));
  final_linear1 = register_module("final_linear1", EqualLinear(ch(4) * 16, ch(4), true, 0.0, 1.0, true));
  final_linear2 = register_module("final_linear2", EqualLinear(ch(4), 1));
}

torch::Tensor SynthesisDiscriminatorImpl::forward(const torch::Tensor& x) { return ForwardWithFeatures(x).first; }

std::pair<torch::Tensor, std::vector<torch::Tensor>> SynthesisDiscriminatorImpl::ForwardWithFeatures(
    const torch::Tensor& x) {
  std::vector<torch::Tensor> features;
  auto out = x;
  for (auto& layer : *convs) {
    out = layer.forward(out);
    features.push_back(out);
  }
  const int64_t batch = out.size(0), c = out.size(1), h = out.size(2), w = out.size(3);
  int64_t group = std::min<int64_t>(batch, stddev_group);
  while (batch % group != 0) --group;  // the reference requires batch % group == 0
  auto sd = out.view({group, -1, 1, c, h, w});
  sd = torch::sqrt(sd.var(0, /*unbiased=*/false) + 1e-8);
  sd = sd.mean({2, 3, 4}, /*keepdim=*/true).squeeze(2);
  sd = sd.repeat({group, 1, h, w});
  out = final_conv->forward(torch::cat({out, sd}, 1));
  return {final_linear2->forward(final_linear1->forward(out.view({batch, -1}))), std::move(features)};
}

SynthesisNetworkImpl::SynthesisNetworkImpl(const ModelConfig& cfg) : config(cfg) {
  generator = register_module("generator", SynthesisGenerator(cfg));
  mapping = register_module("mapping", SynthesisMapping(cfg));
  encoder = register_module("encoder", SynthesisStyleEncoder(cfg));
}

torch::Tensor OneHotMask(const torch::Tensor& labels, int64_t num_classes) {
  return F::one_hot(labels.to(torch::kLong), num_classes).permute({0, 3, 1, 2}).to(torch::kFloat32).contiguous();
}

}  // namespace smile::models
