#include "models/synthesis_fast.h"

#include <map>
#include <stdexcept>

namespace smile::models {

namespace F = torch::nn::functional;

namespace {

std::vector<int64_t> V2(int64_t v) { return {v, v}; }

torch::Tensor ResizeNearest(const torch::Tensor& mask, int64_t s) {
  if (mask.size(2) == s && mask.size(3) == s) return mask;
  return F::interpolate(mask, F::InterpolateFuncOptions().size(std::vector<int64_t>{s, s}).mode(torch::kNearest));
}

torch::Tensor Conv(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, int64_t pad) {
  return torch::conv2d(x, w, b, V2(1), V2(pad));
}

// Transposed stride-2 3x3 conv followed by the x4 [1,3,3,1] blur with pad (1,1),
// rewritten as a 3x3 conv producing the 4 output phases (pixel-shuffle order).
torch::Tensor PolyphaseKernel(const torch::Tensor& w) {
  const int64_t out = w.size(0), in = w.size(1);
  const float b[4] = {0.25f, 0.75f, 0.75f, 0.25f};  // 1-D factor of make_kernel([1,3,3,1]) * 4
  auto K = torch::zeros({out, in, 6, 6}, w.options());  // K[m] for m in [-2, 3]
  for (int my = -2; my <= 3; ++my)
    for (int mx = -2; mx <= 3; ++mx)
      for (int ty = 0; ty < 4; ++ty)
        for (int tx = 0; tx < 4; ++tx) {
          const int wy = my + ty - 1, wx = mx + tx - 1;
          if (wy < 0 || wy > 2 || wx < 0 || wx > 2) continue;
          K.select(2, my + 2).select(2, mx + 2).add_(w.select(2, wy).select(2, wx), b[ty] * b[tx]);
        }
  auto poly = torch::zeros({out, 2, 2, in, 3, 3}, w.options());
  for (int py = 0; py < 2; ++py)
    for (int px = 0; px < 2; ++px)
      for (int ey = -1; ey <= 1; ++ey)
        for (int ex = -1; ex <= 1; ++ex)
          poly.select(1, py).select(1, px).select(2, ey + 1).select(2, ex + 1).copy_(
              K.select(2, -2 * ey + py + 2).select(2, -2 * ex + px + 2));
  return poly.reshape({out * 4, in, 3, 3}).contiguous();
}

}  // namespace

FastSynthesisGenerator::Layer FastSynthesisGenerator::MakeLayer(SacConv2dImpl& c) {
  torch::NoGradGuard ng;
  Layer l;
  auto& shared = c.spade->mlp_shared;
  auto& gconv = c.spade->mlp_gamma->conv;
  l.spade_w = shared->conv->ScaledWeight().detach().clone();
  l.spade_b = shared->act->bias.detach().clone();
  l.gamma_w_spade = gconv->ScaledWeight().detach().clone();
  l.gamma_b_spade = gconv->bias.detach().clone();
  l.only_spade = c.only_spade;
  if (!c.only_spade) {
    l.alpha = torch::sigmoid(c.blending_gamma).item<double>();
    l.style_gamma_w = c.style_gamma->conv->ScaledWeight().detach().clone();
    l.style_gamma_b = c.style_gamma->conv->bias.detach().clone();
    l.fc_w = (c.fc_mu_weight / std::sqrt(static_cast<double>(c.style_dim))).detach().clone();
    l.fc_b = c.fc_mu_bias.detach().clone();
  } else {
    l.gamma_w = l.gamma_w_spade;
    l.gamma_b = l.gamma_b_spade;
  }
  l.w = (c.weight * c.scale).detach().clone();
  l.w2 = l.w.pow(2);
  l.out_ch = c.out_ch;
  l.k = c.kernel;
  l.upsample = c.upsample;
  l.demodulate = c.demodulate;
  if (l.upsample) l.w_t = l.w.transpose(0, 1).contiguous();
  return l;
}

FastSynthesisGenerator::FastSynthesisGenerator(SynthesisGenerator g, bool channels_last, torch::ScalarType dtype,
                                               int polyphase)
    : config_(g->config),
      channels_last_(channels_last),
      dtype_(dtype),
      polyphase_(polyphase < 0 ? dtype == torch::kBFloat16 : polyphase != 0) {
  torch::NoGradGuard ng;
  input_ = g->input;
  start_ = config_.synth_mask_start;
  input_mask_size_ = g->input_mask_size;
  resolutions_ = g->resolutions;
  up_kernel_ = MakeFirKernel(DefaultBlurKernel(), 4);
  blur_kernel_ = MakeFirKernel(DefaultBlurKernel(), 4).to(dtype_);
  auto styled = [&](SacStyledConv& sc) {
    Layer l = MakeLayer(*sc->conv);
    l.noise_w = sc->noise->weight.detach().clone();
    l.act_b = sc->act->bias.detach().clone();
    return l;
  };
  auto rgb = [&](SacToRGB& t) {
    Layer l = MakeLayer(*t->conv);
    l.rgb_b = t->bias.detach().clone();
    return l;
  };
  layers_.push_back(styled(g->conv1));
  auto poly = [&](Layer& l) {
    if (l.upsample && polyphase_) l.w_poly = PolyphaseKernel(l.w);
    return l;
  };
  layers_.push_back(rgb(g->to_rgb1));
  for (size_t s = 0; s < g->to_rgbs.size(); ++s) {
    auto up = styled(g->convs[2 * s]);
    layers_.push_back(poly(up));
    layers_.push_back(styled(g->convs[2 * s + 1]));
    layers_.push_back(rgb(g->to_rgbs[s]));
  }
  // Groups of layers reading the same mask resolution: {conv1, rgb1, up_0} at start,
  // {conv_s, rgb_s, up_{s+1}} at resolutions[s].
  const int stages = static_cast<int>(resolutions_.size());
  for (int gi = 0; gi <= stages; ++gi) {
    std::vector<int> members;
    if (gi == 0) members = {0, 1, 2};
    else members = {3 + 3 * (gi - 1), 4 + 3 * (gi - 1)};
    if (gi > 0 && gi < stages) members.push_back(2 + 3 * gi);
    Group grp;
    grp.res = gi == 0 ? start_ : resolutions_[gi - 1];
    std::vector<torch::Tensor> ws, bs;
    int offset = 0;
    for (int m : members) {
      layers_[m].group = gi;
      layers_[m].group_offset = offset;
      offset += static_cast<int>(layers_[m].spade_w.size(0));
      ws.push_back(layers_[m].spade_w);
      bs.push_back(layers_[m].spade_b);
    }
    grp.w = torch::cat(ws, 0).contiguous();
    grp.b = torch::cat(bs, 0).contiguous();
    groups_.push_back(grp);
  }
  for (auto& l : layers_) {  // compute dtype (demodulation keeps w2 in fp32)
    for (auto* t : {&l.w, &l.w_poly, &l.w_t, &l.gamma_w, &l.gamma_b, &l.noise_w, &l.act_b, &l.rgb_b})
      if (t->defined()) *t = t->to(dtype_);
  }
  for (auto& grp : groups_) {
    grp.w = grp.w.to(dtype_);
    grp.b = grp.b.to(dtype_);
  }
  if (channels_last_) {
    for (auto& l : layers_) {
      l.w = l.w.contiguous(torch::MemoryFormat::ChannelsLast);
      if (l.w_poly.defined()) l.w_poly = l.w_poly.contiguous(torch::MemoryFormat::ChannelsLast);
    }
    for (auto& grp : groups_) grp.w = grp.w.contiguous(torch::MemoryFormat::ChannelsLast);
  }
}

void FastSynthesisGenerator::SetStyle(const torch::Tensor& style_in) {
  torch::NoGradGuard ng;
  const int64_t c = config_.num_classes, d = config_.synth_style_dim;
  auto style = style_in.reshape({-1, c, d});
  if (style.size(0) != 1) throw std::invalid_argument("FastSynthesisGenerator::SetStyle takes ONE style matrix");
  style = style[0].to(torch::kFloat32);
  for (auto& l : layers_) {
    if (l.only_spade) continue;
    // mu[c] = EqualLinear_c(style[c])  (C, D)
    auto mu = torch::einsum("cod,cd->co", {l.fc_w, style}) + l.fc_b;
    // conv(sum_c mask_c mu_c, Wsg) = conv(mask, W_c), W_c[o,c] = sum_d Wsg[o,d] mu_c[d]
    auto wm = torch::einsum("odyx,cd->ocyx", {l.style_gamma_w, mu});
    l.gamma_w = torch::cat({l.gamma_w_spade * (1 - l.alpha), wm * l.alpha}, 1).contiguous();
    l.gamma_b = (l.gamma_b_spade * (1 - l.alpha) + l.style_gamma_b * l.alpha).to(dtype_);
    l.gamma_w = l.gamma_w.to(dtype_);
    if (channels_last_) l.gamma_w = l.gamma_w.contiguous(torch::MemoryFormat::ChannelsLast);
  }
  style_set_ = true;
}

torch::Tensor FastSynthesisGenerator::Gamma(const Layer& l, const torch::Tensor& hidden_all,
                                            const torch::Tensor& mask_r) const {
  auto hidden = hidden_all.narrow(1, l.group_offset, l.spade_w.size(0));
  auto in = l.only_spade ? hidden : torch::cat({hidden, mask_r}, 1);
  return Conv(in, l.gamma_w, l.gamma_b, 1);
}

torch::Tensor FastSynthesisGenerator::Demod(const Layer& l, const torch::Tensor& gamma) const {
  const int64_t h = gamma.size(2), w = gamma.size(3);
  return torch::rsqrt(SumOfSameConv(gamma.to(torch::kFloat32).pow(2), l.w2) / static_cast<double>(h * w) + 1e-8);
}

torch::Tensor FastSynthesisGenerator::RunConv(const Layer& l, const torch::Tensor& x, const torch::Tensor& hidden_all,
                                              const torch::Tensor& mask_r, const torch::Tensor& noise) const {
  auto gamma = Gamma(l, hidden_all, mask_r);
  auto xg = gamma * x;
  torch::Tensor out;
  if (l.upsample && polyphase_) {
    out = F::pixel_shuffle(Conv(xg, l.w_poly, torch::Tensor(), 1), 2);
  } else if (l.upsample) {
    out = torch::conv_transpose2d(xg, l.w_t, torch::Tensor(), V2(2), V2(0));
    out = Upfirdn2d(out, blur_kernel_, 1, 1, 1, 1);
  } else {
    out = Conv(xg, l.w, torch::Tensor(), l.k / 2);
  }
  if (l.demodulate) out = out * Demod(l, gamma).to(out.scalar_type()).unsqueeze(-1).unsqueeze(-1);
  if (l.rgb_b.defined()) return (out + l.rgb_b).to(torch::kFloat32);
  out = out + l.noise_w * noise.to(out.dtype());
  return FusedLeakyRelu(out, l.act_b);
}

torch::Tensor FastSynthesisGenerator::Forward(const torch::Tensor& mask_in, const std::vector<torch::Tensor>& noise) {
  if (!style_set_) throw std::logic_error("FastSynthesisGenerator: call SetStyle() before Forward()");
  if (noise.size() < 1 + 2 * resolutions_.size())
    throw std::invalid_argument("FastSynthesisGenerator: pass the fixed noise from MakeNoise()");
  torch::NoGradGuard ng;
  auto mask32 = mask_in.to(torch::kFloat32);
  auto mask = mask32.to(dtype_);
  if (channels_last_) mask = mask.contiguous(torch::MemoryFormat::ChannelsLast);
  auto run_group = [&](int gi, torch::Tensor* mask_r) {
    *mask_r = ResizeNearest(mask, groups_[gi].res);
    return FusedLeakyRelu(Conv(*mask_r, groups_[gi].w, torch::Tensor(), 1), groups_[gi].b);
  };
  auto x = input_->forward(ResizeNearest(mask32, input_mask_size_)).to(dtype_);
  if (channels_last_) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  torch::Tensor mask_r, hidden = run_group(0, &mask_r);
  x = RunConv(layers_[0], x, hidden, mask_r, noise[0]);
  auto skip = RunConv(layers_[1], x, hidden, mask_r, {});
  for (size_t s = 0; s < resolutions_.size(); ++s) {
    x = RunConv(layers_[2 + 3 * s], x, hidden, mask_r, noise[1 + 2 * s]);  // reads the previous resolution
    hidden = run_group(static_cast<int>(s) + 1, &mask_r);
    x = RunConv(layers_[3 + 3 * s], x, hidden, mask_r, noise[2 + 2 * s]);
    skip = RunConv(layers_[4 + 3 * s], x, hidden, mask_r, {}) + Upfirdn2d(skip, up_kernel_, 2, 1, 2, 1);
  }
  return skip.contiguous();
}

}  // namespace smile::models
