#include "models/layers.h"

namespace smile::models {

namespace F = torch::nn::functional;

namespace {
std::vector<int64_t> V2(int64_t v) { return {v, v}; }
}  // namespace

const std::vector<float>& DefaultBlurKernel() {
  static const std::vector<float> k = {1.f, 3.f, 3.f, 1.f};
  return k;
}

torch::Tensor MakeFirKernel(const std::vector<float>& k1d, double gain) {
  auto k = torch::tensor(k1d, torch::kFloat32);
  auto k2 = k.unsqueeze(0) * k.unsqueeze(1);
  return k2 / k2.sum() * gain;
}

torch::Tensor Upfirdn2d(const torch::Tensor& x, const torch::Tensor& kernel, int up, int down, int pad0, int pad1) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  torch::Tensor out = x;
  if (up > 1) {
    out = out.reshape({n, c, h, 1, w, 1});
    out = F::pad(out, F::PadFuncOptions({0, up - 1, 0, 0, 0, up - 1}));
    out = out.reshape({n, c, h * up, w * up});
  }
  if (pad0 != 0 || pad1 != 0) out = torch::constant_pad_nd(out, {pad0, pad1, pad0, pad1}, 0);
  auto k = torch::flip(kernel, {0, 1}).to(out.options());
  auto weight = k.view({1, 1, k.size(0), k.size(1)}).expand({c, 1, k.size(0), k.size(1)});
  return torch::conv2d(out, weight, torch::Tensor(), V2(down), V2(0), V2(1), c);
}

torch::Tensor FusedLeakyRelu(const torch::Tensor& x, const torch::Tensor& bias, double slope, double gain) {
  torch::Tensor y = x;
  if (bias.defined()) {
    std::vector<int64_t> shape(x.dim(), 1);
    shape[1] = bias.size(0);
    y = x + bias.view(shape);
  }
  return torch::leaky_relu(y, slope) * gain;
}

FusedLeakyReLUImpl::FusedLeakyReLUImpl(int64_t channels) {
  bias = register_parameter("bias", torch::zeros({channels}));
}

EqualLinearImpl::EqualLinearImpl(int64_t in, int64_t out, bool has_bias, double bias_init, double lr_mul_,
                                 bool fused_lrelu)
    : scale(1.0 / std::sqrt(static_cast<double>(in)) * lr_mul_), lr_mul(lr_mul_), activate(fused_lrelu) {
  weight = register_parameter("weight", torch::randn({out, in}) / lr_mul_);
  if (has_bias) bias = register_parameter("bias", torch::full({out}, bias_init));
}

torch::Tensor EqualLinearImpl::forward(const torch::Tensor& x) {
  if (activate) {
    auto out = torch::nn::functional::linear(x, weight * scale);
    return FusedLeakyRelu(out, bias.defined() ? bias * lr_mul : torch::Tensor());
  }
  return torch::nn::functional::linear(x, weight * scale, bias.defined() ? bias * lr_mul : torch::Tensor());
}

EqualConv2dImpl::EqualConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride_, int64_t padding_,
                                 bool has_bias, bool transposed_)
    : scale(1.0 / std::sqrt(static_cast<double>(in * kernel * kernel))),
      stride(stride_),
      padding(padding_),
      transposed(transposed_) {
  weight = register_parameter("weight", torch::randn({out, in, kernel, kernel}));
  if (has_bias) bias = register_parameter("bias", torch::zeros({out}));
}

torch::Tensor EqualConv2dImpl::forward(const torch::Tensor& x) {
  if (transposed)
    return torch::conv_transpose2d(x, (weight * scale).transpose(0, 1), bias, V2(stride), V2(padding));
  return torch::conv2d(x, weight * scale, bias, V2(stride), V2(padding));
}

BlurImpl::BlurImpl(const std::vector<float>& k1d, int p0, int p1, int upsample_factor) : pad0(p0), pad1(p1) {
  kernel = register_buffer("kernel", MakeFirKernel(k1d, upsample_factor * upsample_factor));
}

UpsampleImpl::UpsampleImpl(const std::vector<float>& k1d, int factor_) : factor(factor_) {
  kernel = register_buffer("kernel", MakeFirKernel(k1d, factor_ * factor_));
  const int p = static_cast<int>(k1d.size()) - factor_;
  pad0 = (p + 1) / 2 + factor_ - 1;
  pad1 = p / 2;
}

NoiseInjectionImpl::NoiseInjectionImpl() { weight = register_parameter("weight", torch::zeros({1})); }

torch::Tensor NoiseInjectionImpl::forward(const torch::Tensor& x, const torch::Tensor& noise) {
  if (noise.defined()) return x + weight * noise.to(x.options());
  auto fresh = torch::randn({x.size(0), 1, x.size(2), x.size(3)}, x.options());
  return x + weight * fresh;
}

ConvLayerImpl::ConvLayerImpl(int64_t in, int64_t out, int64_t kernel, bool downsample, bool upsample, bool bias,
                             bool activate) {
  const auto& bk = DefaultBlurKernel();
  const int klen = static_cast<int>(bk.size());
  int64_t stride = 1, padding = kernel / 2;
  if (downsample) {
    const int p = (klen - 2) + (static_cast<int>(kernel) - 1);
    blur_before = register_module("blur", Blur(bk, (p + 1) / 2, p / 2));
    stride = 2;
    padding = 0;
  } else if (upsample) {
    stride = 2;
    padding = 0;
  }
  conv = register_module("conv", EqualConv2d(in, out, kernel, stride, padding, bias && !activate, upsample));
  if (upsample) {
    const int p = (klen - 2) - (static_cast<int>(kernel) - 1);
    blur_after = register_module("blur_up", Blur(bk, (p + 1) / 2 + 1, p / 2 + 1, 2));
  }
  if (activate) {
    if (bias)
      act = register_module("act", FusedLeakyReLU(out));
    else
      scaled_lrelu = true;
  }
}

torch::Tensor ConvLayerImpl::forward(const torch::Tensor& x) {
  torch::Tensor out = blur_before ? blur_before->forward(x) : x;
  out = conv->forward(out);
  if (blur_after) out = blur_after->forward(out);
  if (act) out = act->forward(out);
  if (scaled_lrelu) out = FusedLeakyRelu(out, {});
  return out;
}

ResBlockImpl::ResBlockImpl(int64_t in, int64_t out) {
  conv1 = register_module("conv1", ConvLayer(in, in, 3));
  conv2 = register_module("conv2", ConvLayer(in, out, 3, /*downsample=*/true));
  skip = register_module("skip", ConvLayer(in, out, 1, true, false, /*bias=*/false, /*activate=*/false));
}

torch::Tensor ResBlockImpl::forward(const torch::Tensor& x) {
  auto out = conv2->forward(conv1->forward(x));
  return (out + skip->forward(x)) / kSqrt2;
}

ModulatedConv2dImpl::ModulatedConv2dImpl(int64_t in, int64_t out, int64_t k, int64_t style_dim, bool demod,
                                         bool up)
    : in_ch(in),
      out_ch(out),
      kernel(k),
      scale(1.0 / std::sqrt(static_cast<double>(in * k * k))),
      demodulate(demod),
      upsample(up) {
  weight = register_parameter("weight", torch::randn({out, in, k, k}));
  modulation = register_module("modulation", EqualLinear(style_dim, in, true, /*bias_init=*/1.0));
  if (up) {
    const int p = (4 - 2) - (static_cast<int>(k) - 1);
    blur = register_module("blur", Blur(DefaultBlurKernel(), (p + 1) / 2 + 1, p / 2 + 1, 2));
  }
}

torch::Tensor ModulatedConv2dImpl::forward(const torch::Tensor& x, const torch::Tensor& style) {
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  auto s = modulation->forward(style).view({n, 1, in_ch, 1, 1});
  auto wt = scale * weight.unsqueeze(0) * s;  // (n, out, in, k, k)
  if (demodulate) {
    auto d = torch::rsqrt(wt.pow(2).sum({2, 3, 4}) + 1e-8);
    wt = wt * d.view({n, out_ch, 1, 1, 1});
  }
  auto xin = x.reshape({1, n * in_ch, h, w});
  torch::Tensor out;
  if (upsample) {
    // grouped transposed conv: weight (n*in, out, k, k)
    auto wt_t = wt.transpose(1, 2).reshape({n * in_ch, out_ch, kernel, kernel});
    out = torch::conv_transpose2d(xin, wt_t, torch::Tensor(), V2(2), V2(0), V2(0), n);
    out = out.view({n, out_ch, out.size(2), out.size(3)});
    out = blur->forward(out);
  } else {
    out = torch::conv2d(xin, wt.view({n * out_ch, in_ch, kernel, kernel}), torch::Tensor(), V2(1), V2(kernel / 2), V2(1), n);
    out = out.view({n, out_ch, h, w});
  }
  return out;
}

ToRGBImpl::ToRGBImpl(int64_t in, int64_t style_dim, bool upsample, int64_t out_channels) {
  conv = register_module("conv", ModulatedConv2d(in, out_channels, 1, style_dim, /*demodulate=*/false));
  if (upsample) up = register_module("upsample", Upsample(DefaultBlurKernel()));
  bias = register_parameter("bias", torch::zeros({1, out_channels, 1, 1}));
}

torch::Tensor ToRGBImpl::forward(const torch::Tensor& x, const torch::Tensor& style, const torch::Tensor& skip) {
  auto out = conv->forward(x, style) + bias;
  if (skip.defined()) out = out + (up ? up->forward(skip) : skip);
  return out;
}

int64_t CountParameters(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

}  // namespace smile::models
