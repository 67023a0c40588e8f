#include "models/synthesis_fast.h"

#include <cmath>
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

// The 4 output phases of a stride-2 transposed 3x3 conv (out[2i + k] += x[i] * w[k] per axis) as
// ordinary convs with exactly the taps each phase uses: even outputs 2m see x[m] w[0] + x[m-1] w[2]
// (kernel [w2, w0] over x padded by 1, m = 0..H), odd outputs 2m+1 see x[m] w[1] (m = 0..H-1).
// Index py * 2 + px; 9 taps in all, the transposed conv's multiply-adds.
std::vector<torch::Tensor> PhaseKernels(const torch::Tensor& w) {
  auto taps = [](int phase) { return phase == 0 ? std::vector<int64_t>{2, 0} : std::vector<int64_t>{1}; };
  std::vector<torch::Tensor> k;
  for (int py = 0; py < 2; ++py)
    for (int px = 0; px < 2; ++px) {
      auto ty = torch::tensor(taps(py), torch::kLong).to(w.device()), tx = torch::tensor(taps(px), torch::kLong).to(w.device());
      k.push_back(w.index_select(2, ty).index_select(3, tx).contiguous());
    }
  return k;
}

// Per-pixel class of a one-hot mask (1, C, H, W) -> (H*W) long, or undefined if the mask is not
// one-hot (soft masks take the dense path).
torch::Tensor OneHotLabels(const torch::Tensor& mask) {
  if (mask.size(0) != 1) return {};
  auto [mx, idx] = mask.max(1);
  if (!(mx == 1).all().item<bool>() || !(mask.sum(1) == 1).all().item<bool>()) return {};
  return idx.reshape(-1).contiguous();
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
                                               int polyphase, bool sparse)
    : config_(g->config),
      channels_last_(channels_last),
      dtype_(dtype),
      polyphase_(polyphase != 0),
      sparse_(sparse) {
  torch::NoGradGuard ng;
  device_ = g->parameters().front().device();
  // The sparse gamma rewrite builds its index tables on the CPU and pays off against oneDNN's
  // dense convs; on a GPU the dense convs are the fast path.
  // Geometry channels (continuous) make no region one-class: they take the dense path.
  sparse_ = sparse && device_.is_cpu() && config_.synth_geometry_channels == 0;
  input_ = g->input;
  // Merged once: the weights are fixed here, so frames need not re-sum the pyramid.
  if (!g->texture.empty()) texture_.push_back(MergeTexturePyramid(g->texture).detach().clone());
  start_ = config_.synth_mask_start;
  input_mask_size_ = g->input_mask_size;
  resolutions_ = g->resolutions;
  up_kernel_ = MakeFirKernel(DefaultBlurKernel(), 4).to(device_);
  blur_kernel_ = MakeFirKernel(DefaultBlurKernel(), 4).to(device_, dtype_);
  blur_weight_ = torch::flip(blur_kernel_, {0, 1}).view({1, 1, 4, 4}).contiguous();  // as Upfirdn2d applies it
  auto styled = [&](SacStyledConv& sc) {
    Layer l = MakeLayer(*sc->conv);
    // leaky_relu(y) * sqrt(2) = leaky_relu(sqrt(2) y): the activation gain goes into the conv
    // weight, noise strength and bias (w2, taken before, keeps the demodulation unscaled).
    const double gain = std::sqrt(2.0);
    l.w = l.w * gain;
    if (l.w_t.defined()) l.w_t = l.w.transpose(0, 1).contiguous();
    l.noise_w = sc->noise->weight.detach().clone() * gain;
    l.act_b = sc->act->bias.detach().clone() * gain;
    return l;
  };
  auto rgb = [&](SacToRGB& t) {
    Layer l = MakeLayer(*t->conv);
    l.rgb_b = t->bias.detach().clone();
    return l;
  };
  layers_.push_back(styled(g->conv1));
  auto poly = [&](Layer& l) {
    if (l.upsample && polyphase_) l.w_phase = PhaseKernels(l.w);
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
    // SPADE hidden features where the 3x3 mask window is one class c: conv of a constant one-hot
    // input = the sum of the kernel's taps in column c.  (C, hidden_all)
    // (Class columns only: with geometry channels the tables are not used, sparse_ is off.)
    const auto class_w = grp.w.narrow(1, 0, config_.num_classes);
    grp.hidden_table = FusedLeakyRelu(class_w.sum({2, 3}).t().contiguous(), grp.b);
    // Per tap (ky, kx): the SPADE first conv's column for each class, plus a zero row for the
    // zero padding ("class" C).  (9, C + 1, hidden_all)
    auto taps = class_w.permute({2, 3, 1, 0}).reshape({9, class_w.size(1), class_w.size(0)});
    grp.hidden_taps = torch::cat({taps, torch::zeros({9, 1, grp.w.size(0)}, taps.options())}, 1).contiguous();
    groups_.push_back(grp);
  }
  for (auto& l : layers_) {  // compute dtype (demodulation keeps w2 in fp32)
    for (auto* t : {&l.w, &l.w_t, &l.gamma_w, &l.gamma_b, &l.noise_w, &l.act_b, &l.rgb_b})
      if (t->defined()) *t = t->to(dtype_);
    for (auto& t : l.w_phase) t = t.to(dtype_);
  }
  for (auto& grp : groups_) {
    grp.w = grp.w.to(dtype_);
    grp.b = grp.b.to(dtype_);
    grp.hidden_taps = grp.hidden_taps.to(dtype_);
  }
  if (channels_last_) {
    for (auto& l : layers_) {
      l.w = l.w.contiguous(torch::MemoryFormat::ChannelsLast);
      for (auto& t : l.w_phase) t = t.contiguous(torch::MemoryFormat::ChannelsLast);
    }
    for (auto& grp : groups_) grp.w = grp.w.contiguous(torch::MemoryFormat::ChannelsLast);
  }
}

void FastSynthesisGenerator::SetStyle(const torch::Tensor& style_in) {
  torch::NoGradGuard ng;
  const int64_t c = config_.num_classes, d = config_.synth_style_dim;
  auto style = style_in.reshape({-1, c, d});
  if (style.size(0) != 1) throw std::invalid_argument("FastSynthesisGenerator::SetStyle takes ONE style matrix");
  style = style[0].to(device_, torch::kFloat32);
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
  // Gamma where the 5x5 mask window is one class c (conv of constant inputs: the taps' sum applied
  // to [hidden_c, e_c]), and the gamma conv as a matrix for the boundary pixels.
  for (auto& l : layers_) {
    const auto& grp = groups_[l.group];
    auto hidden_c = grp.hidden_table.narrow(1, l.group_offset, l.spade_w.size(0)).t();  // (hid, C)
    auto w32 = l.gamma_w.to(torch::kFloat32);
    auto in_c = l.only_spade ? hidden_c : torch::cat({hidden_c, torch::eye(config_.num_classes, hidden_c.options())}, 0);
    l.gamma_table = (torch::mm(w32.sum({2, 3}), in_c).t() + l.gamma_b.to(torch::kFloat32)).to(dtype_).contiguous();
    l.gamma_table_w = l.gamma_table.t().contiguous().view({-1, config_.num_classes, 1, 1});
    if (channels_last_) l.gamma_table_w = l.gamma_table_w.contiguous(torch::MemoryFormat::ChannelsLast);
    // Boundary pixels: hidden part as a 1x1 conv over (tap, channel)-ordered patches; mask part
    // (one-hot) as per-tap class rows, with a zero row for the padding.
    const int64_t in = l.gamma_w.size(0), hid = l.spade_w.size(0);
    auto wh = w32.narrow(1, 0, hid).permute({0, 2, 3, 1}).reshape({in, 9 * hid, 1, 1});
    l.gamma_hidden_w = wh.to(dtype_).contiguous(torch::MemoryFormat::ChannelsLast);
    if (!l.only_spade) {
      auto wm = w32.narrow(1, hid, config_.num_classes).permute({2, 3, 1, 0}).reshape({9, config_.num_classes, in});
      l.gamma_mask_taps = torch::cat({wm, torch::zeros({9, 1, in}, wm.options())}, 1).to(dtype_).contiguous();
    }
  }
  style_set_ = true;
}

torch::Tensor FastSynthesisGenerator::Gamma(const Layer& l, const Site& site, torch::Tensor* box_sums) const {
  if (!site.sparse) {
    auto hidden = site.hidden.narrow(1, l.group_offset, l.spade_w.size(0));
    // The folded style conv reads the class channels (geometry channels, after them, only feed
    // the SPADE hidden features).
    auto in = l.only_spade ? hidden : torch::cat({hidden, site.mask.narrow(1, 0, config_.num_classes)}, 1);
    return Conv(in, l.gamma_w, l.gamma_b, 1);
  }
  // Uniform pixels from the class table, boundary pixels from their 3x3 patches of [hidden, mask].
  const int64_t r = site.res, nb = site.boundary.size(0), hid = l.spade_w.size(0);
  // hidden part: (nb, 9 * hid) patches, tap-major, as a channels-last (1, 9*hid, 1, nb) input of a
  // 1x1 conv (oneDNN's GEMM).
  auto hp = site.hidden_rows.narrow(1, l.group_offset, hid).index_select(0, site.patch_rows);  // (nb*9, hid)
  auto in4 = hp.view({1, 1, nb, 9 * hid}).permute({0, 3, 1, 2});
  auto gb = torch::conv2d(in4, l.gamma_hidden_w, l.gamma_b);  // (1, in, 1, nb)
  auto rows = gb.permute({0, 2, 3, 1}).reshape({nb, -1});     // (nb, in)
  if (!l.only_spade)
    for (int t = 0; t < 9; ++t) rows = rows + l.gamma_mask_taps[t].index_select(0, site.patch_labels[t]);
  // One-class pixels: the class table, as a 1x1 conv of the one-hot mask (exact: one weight
  // times 1 plus zeros); boundary pixels overwritten in place.
  auto g = torch::conv2d(site.mask, l.gamma_table_w);  // (1, in, r, r)
  const bool cl = g.is_contiguous(torch::MemoryFormat::ChannelsLast);
  auto dense = cl ? g.permute({0, 2, 3, 1}).view({r * r, -1}) : g.view({-1, r * r});
  if (cl) dense.index_copy_(0, site.boundary, rows.to(dense.scalar_type()));
  else dense.index_copy_(1, site.boundary, rows.t().to(dense.scalar_type()));
  if (box_sums && l.demodulate) {
    // The demodulation's 9 shifted box sums of gamma^2 without a pass over the dense gamma: the
    // total from the class counts of one-class pixels and the boundary rows, minus the edge rows /
    // columns a tap does not see (all edge pixels are boundary pixels), plus the corners.
    const auto t2 = l.gamma_table.to(torch::kFloat32).pow(2);
    auto total = torch::mv(t2.t(), site.uniform_counts) + rows.to(torch::kFloat32).pow(2).sum(0);
    auto d3 = g[0].permute({1, 2, 0});  // (r, r, in) view
    auto sq = [](const torch::Tensor& t) { return t.to(torch::kFloat32).pow(2); };
    auto row_first = sq(d3[0]).sum(0), row_last = sq(d3[r - 1]).sum(0);
    auto col_first = sq(d3.select(1, 0)).sum(0), col_last = sq(d3.select(1, r - 1)).sum(0);
    auto c00 = sq(d3[0][0]), c0l = sq(d3[0][r - 1]), cl0 = sq(d3[r - 1][0]), cll = sq(d3[r - 1][r - 1]);
    std::vector<torch::Tensor> taps;
    for (int ky = 0; ky < 3; ++ky)
      for (int kx = 0; kx < 3; ++kx) {
        auto t = total.clone();
        if (ky == 0) t -= row_last;
        if (ky == 2) t -= row_first;
        if (kx == 0) t -= col_last;
        if (kx == 2) t -= col_first;
        if (ky == 0 && kx == 0) t += cll;
        if (ky == 0 && kx == 2) t += cl0;
        if (ky == 2 && kx == 0) t += c0l;
        if (ky == 2 && kx == 2) t += c00;
        taps.push_back(t);
      }
    *box_sums = torch::stack(taps, 1).view({1, -1, 3, 3});  // (1, in, 3, 3)
  }
  return channels_last_ ? g.contiguous(torch::MemoryFormat::ChannelsLast) : g.contiguous();
}

FastSynthesisGenerator::Site FastSynthesisGenerator::MakeSite(int gi, const torch::Tensor& mask,
                                                              const torch::Tensor& labels_in) const {
  Site site;
  const auto& grp = groups_[gi];
  site.res = grp.res;
  site.mask = ResizeNearest(mask, site.res);
  auto dense = [&] {
    site.hidden = FusedLeakyRelu(Conv(site.mask, grp.w, torch::Tensor(), 1), grp.b);
    return site;
  };
  if (!labels_in.defined() || !sparse_ || site.res < 32) return dense();
  const int64_t r = site.res, in_size = mask.size(2), c = config_.num_classes, rp = r + 2;
  auto lab = labels_in.view({1, 1, in_size, in_size}).to(torch::kFloat32);
  if (in_size != r) lab = F::interpolate(lab, F::InterpolateFuncOptions().size(std::vector<int64_t>{r, r}).mode(torch::kNearest));
  // A gamma value depends on a 5x5 mask window (two 3x3 convs); zero padding makes the 2-pixel
  // frame depend on the border too.
  auto mx = F::max_pool2d(lab, F::MaxPool2dFuncOptions(5).stride(1).padding(2));
  auto mn = -F::max_pool2d(-lab, F::MaxPool2dFuncOptions(5).stride(1).padding(2));
  auto uniform = (mx == mn).view({r, r});
  uniform.narrow(0, 0, 2).fill_(false);
  uniform.narrow(0, r - 2, 2).fill_(false);
  uniform.narrow(1, 0, 2).fill_(false);
  uniform.narrow(1, r - 2, 2).fill_(false);
  auto boundary = (~uniform).reshape(-1).nonzero().view(-1);
  const int64_t nb = boundary.size(0);
  if (nb * 2 > r * r) return dense();  // mostly boundary: the dense conv is cheaper
  site.sparse = true;
  site.labels = lab.view(-1).to(torch::kLong);
  site.uniform_counts = torch::bincount(site.labels.masked_select(uniform.reshape(-1)), {}, c).to(torch::kFloat32);
  site.boundary = boundary;
  // Labels on the zero-padded (r+2)^2 grid; the padding is "class" c (zero rows in the tap tables).
  auto lpad = torch::full({rp, rp}, c, torch::kLong);
  lpad.narrow(0, 1, r).narrow(1, 1, r).copy_(site.labels.view({r, r}));
  lpad = lpad.view(-1);
  std::vector<int64_t> offsets;
  for (int dy = -1; dy <= 1; ++dy)
    for (int dx = -1; dx <= 1; ++dx) offsets.push_back(dy * rp + dx);
  auto offs = torch::tensor(offsets, torch::kLong);
  auto y = torch::div(boundary, r, "floor"), x = boundary - y * r;
  auto centre = (y + 1) * rp + (x + 1);                        // (nb) padded-grid index
  auto taps = centre.unsqueeze(1) + offs.unsqueeze(0);         // (nb, 9) padded-grid indices
  for (int t = 0; t < 9; ++t) site.patch_labels.push_back(lpad.index_select(0, taps.select(1, t).contiguous()));
  // Hidden features only where a boundary patch reads them: every non-padding tap position.
  auto need = torch::zeros({rp * rp}, torch::kBool);
  need.index_fill_(0, taps.reshape(-1), true);
  auto inside = torch::zeros({rp, rp}, torch::kBool);
  inside.narrow(0, 1, r).narrow(1, 1, r).fill_(true);
  need &= inside.view(-1);
  auto q = need.nonzero().view(-1);                            // (nq) padded-grid indices
  const int64_t nq = q.size(0);
  auto hidden = torch::zeros({nq, grp.hidden_taps.size(2)}, grp.hidden_taps.options());
  for (int t = 0; t < 9; ++t)
    hidden += grp.hidden_taps[t].index_select(0, lpad.index_select(0, q + offsets[t]));
  hidden = FusedLeakyRelu(hidden, grp.b);
  site.hidden_rows = torch::cat({hidden, torch::zeros({1, hidden.size(1)}, hidden.options())}, 0);  // + a zero row
  auto row_of = torch::full({rp * rp}, nq, torch::kLong);      // padding -> the zero row
  row_of.index_copy_(0, q, torch::arange(nq, torch::kLong));
  site.patch_rows = row_of.index_select(0, taps.reshape(-1));  // (nb*9), pixel-major, tap-minor
  return site;
}

torch::Tensor FastSynthesisGenerator::Demod(const Layer& l, const torch::Tensor& gamma,
                                            const torch::Tensor& box_sums) const {
  const int64_t h = gamma.size(2), w = gamma.size(3);
  auto s = box_sums.defined() ? torch::einsum("oikl,nikl->no", {l.w2, box_sums})
                              : SumOfSameConv(gamma.to(torch::kFloat32).pow(2), l.w2);
  return torch::rsqrt(s / static_cast<double>(h * w) + 1e-8);
}

torch::Tensor FastSynthesisGenerator::RunConv(const Layer& l, const torch::Tensor& x, const Site& site,
                                              const torch::Tensor& noise) const {
  torch::Tensor box_sums;
  auto gamma = Gamma(l, site, &box_sums);
  auto xg = gamma * x;
  // Demodulation is one scale per output channel: applied to the weights when they are smaller
  // than the output, else to the output.
  torch::Tensor d;
  if (l.demodulate) d = Demod(l, gamma, box_sums).contiguous();  // (N, out)
  const int64_t out_pixels = x.size(2) * x.size(3) * (l.upsample ? 4 : 1);
  const bool scale_weights = d.defined() && x.size(0) == 1 && l.w[0].numel() < out_pixels;
  auto scaled = [&](const torch::Tensor& w) {
    return scale_weights ? w * d.to(w.scalar_type()).view({-1, 1, 1, 1}) : w;
  };
  torch::Tensor out;
  if (l.upsample && polyphase_) {
    // The 4 phases written straight into the blur's zero-padded input (1-pixel frame).
    const int64_t h = x.size(2), w = x.size(3), n = x.size(0);
    auto opts = xg.options().memory_format(channels_last_ ? torch::MemoryFormat::ChannelsLast
                                                          : torch::MemoryFormat::Contiguous);
    auto full = torch::empty({n, l.out_ch, 2 * h + 3, 2 * w + 3}, opts);
    full.narrow(2, 0, 1).zero_();
    full.narrow(2, 2 * h + 2, 1).zero_();
    full.narrow(3, 0, 1).zero_();
    full.narrow(3, 2 * w + 2, 1).zero_();
    for (int py = 0; py < 2; ++py)
      for (int px = 0; px < 2; ++px) {
        auto ph = torch::conv2d(xg, scaled(l.w_phase[py * 2 + px]), torch::Tensor(), V2(1),
                                {py == 0 ? 1 : 0, px == 0 ? 1 : 0});
        full.slice(2, 1 + py, 1 + py + 2 * ph.size(2), 2).slice(3, 1 + px, 1 + px + 2 * ph.size(3), 2).copy_(ph);
      }
    out = torch::conv2d(full, blur_weight_.to(full.scalar_type()).expand({l.out_ch, 1, 4, 4}), torch::Tensor(), V2(1),
                        V2(0), V2(1), l.out_ch);
  } else if (l.upsample) {
    out = torch::conv_transpose2d(xg, scale_weights ? scaled(l.w).transpose(0, 1) : l.w_t, torch::Tensor(), V2(2), V2(0));
    out = Upfirdn2d(out, blur_kernel_, 1, 1, 1, 1);
  } else {
    out = Conv(xg, scaled(l.w), torch::Tensor(), l.k / 2);
  }
  if (d.defined() && !scale_weights) out.mul_(d.to(out.scalar_type()).view({d.size(0), -1, 1, 1}));
  if (l.rgb_b.defined()) return (out + l.rgb_b).to(torch::kFloat32);
  // StyledConv tail in place (gain folded into the weights): + noise, + bias, leaky ReLU.
  out.add_(l.noise_w * noise.to(out.device(), out.scalar_type()));
  out.add_(l.act_b.view({1, -1, 1, 1}));
  return torch::leaky_relu_(out, 0.2);
}

torch::Tensor FastSynthesisGenerator::Forward(const torch::Tensor& mask_in, const std::vector<torch::Tensor>& noise) {
  if (!style_set_) throw std::logic_error("FastSynthesisGenerator: call SetStyle() before Forward()");
  if (noise.size() < 1 + 2 * resolutions_.size())
    throw std::invalid_argument("FastSynthesisGenerator: pass the fixed noise from MakeNoise()");
  torch::NoGradGuard ng;
  auto mask32 = WithNeuralTexture(texture_, mask_in.to(device_, torch::kFloat32), config_.num_classes,
                                  config_.synth_geometry_channels);
  auto labels = sparse_ ? OneHotLabels(mask32) : torch::Tensor();
  auto mask = mask32.to(dtype_);
  if (channels_last_) mask = mask.contiguous(torch::MemoryFormat::ChannelsLast);
  auto x = input_->forward(ResizeNearest(mask32, input_mask_size_)).to(dtype_);
  if (channels_last_) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  Site site = MakeSite(0, mask, labels);
  last_sparse_sites_ = 0;
  x = RunConv(layers_[0], x, site, noise[0]);
  auto skip = RunConv(layers_[1], x, site, {});
  for (size_t s = 0; s < resolutions_.size(); ++s) {
    x = RunConv(layers_[2 + 3 * s], x, site, noise[1 + 2 * s]);  // reads the previous resolution
    site = MakeSite(static_cast<int>(s) + 1, mask, labels);
    last_sparse_sites_ += site.sparse ? 1 : 0;
    x = RunConv(layers_[3 + 3 * s], x, site, noise[2 + 2 * s]);
    skip = RunConv(layers_[4 + 3 * s], x, site, {}) + Upfirdn2d(skip, up_kernel_, 2, 1, 2, 1);
  }
  return skip.contiguous();
}

}  // namespace smile::models
