#include "models/manip_layers.h"

#include <cmath>

namespace smile::models {
namespace F = torch::nn::functional;

namespace {
constexpr double kLReLU = 0.2;
const double kInvSqrt2 = 1.0 / std::sqrt(2.0);

torch::Tensor LReLU(const torch::Tensor& x) { return torch::leaky_relu(x, kLReLU); }
torch::Tensor Up2(const torch::Tensor& x) {
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .scale_factor(std::vector<double>{2.0, 2.0})
                               .mode(torch::kNearest));
}
}  // namespace

void KaimingInit(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& m : module.modules(/*include_self=*/false)) {
    torch::Tensor w, b;
    if (auto* c = m->as<torch::nn::Conv2d>()) {
      w = c->weight;
      b = c->bias;
    } else if (auto* l = m->as<torch::nn::Linear>()) {
      w = l->weight;
      b = l->bias;
    } else {
      continue;
    }
    torch::nn::init::kaiming_normal_(w, 0.0, torch::kFanIn, torch::kReLU);
    if (b.defined()) b.zero_();
  }
}


// ---------------------------------------------------------------- ResBlk
ManipResBlkImpl::ManipResBlkImpl(int dim_in_, int dim_out_, bool normalize_, bool downsample_)
    : dim_in(dim_in_), dim_out(dim_out_), normalize(normalize_), downsample(downsample_), learned_sc(dim_in_ != dim_out_) {
  reset();
}

void ManipResBlkImpl::reset() {
  conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(dim_in, dim_in, 3).padding(1)));
  conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(dim_in, dim_out, 3).padding(1)));
  if (normalize) {
    norm1 = register_module("norm1", torch::nn::InstanceNorm2d(torch::nn::InstanceNorm2dOptions(dim_in).affine(true)));
    norm2 = register_module("norm2", torch::nn::InstanceNorm2d(torch::nn::InstanceNorm2dOptions(dim_in).affine(true)));
  }
  if (learned_sc)
    conv1x1 = register_module(
        "conv1x1", torch::nn::Conv2d(torch::nn::Conv2dOptions(dim_in, dim_out, 1).bias(false)));
}

torch::Tensor ManipResBlkImpl::forward(const torch::Tensor& x) {
  // shortcut
  torch::Tensor sc = x;
  if (learned_sc) sc = conv1x1->forward(sc);
  if (downsample) sc = F::avg_pool2d(sc, F::AvgPool2dFuncOptions(2));
  // residual
  torch::Tensor h = x;
  if (normalize) h = norm1->forward(h);
  h = conv1->forward(LReLU(h));
  if (downsample) h = F::avg_pool2d(h, F::AvgPool2dFuncOptions(2));
  if (normalize) h = norm2->forward(h);
  h = conv2->forward(LReLU(h));
  return (sc + h) * kInvSqrt2;
}

// ---------------------------------------------------------------- ModConv2d
ModConv2dImpl::ModConv2dImpl(int in_dim_, int out_dim_, int w_dim_, int kernel_, bool demod_)
    : in_dim(in_dim_), out_dim(out_dim_), w_dim(w_dim_), kernel(kernel_), demod(demod_) {
  reset();
}

void ModConv2dImpl::reset() {
  weight = register_parameter("weight", torch::randn({out_dim, in_dim, kernel, kernel}));
  {
    torch::NoGradGuard no_grad;
    torch::nn::init::kaiming_normal_(weight, 0.0, torch::kFanIn, torch::kLeakyReLU);
  }
  affine = register_module("affine", torch::nn::Linear(w_dim, in_dim));
}

torch::Tensor ModConv2dImpl::forward(const torch::Tensor& x, const torch::Tensor& s) {
  // Official: weights[b] = w * (1 + affine(s_b))[in], demodulated per output
  // channel, then a grouped conv. Same result, batch friendly: modulate the
  // input channels, convolve with the shared weight, scale each output channel.
  const int64_t n = x.size(0);
  torch::Tensor m = affine->forward(s.reshape({n, -1})) + 1.0;  // (N, in)
  torch::Tensor out = F::conv2d(x * m.view({n, in_dim, 1, 1}), weight,
                                F::Conv2dFuncOptions().padding(kernel / 2));
  if (demod) {
    torch::Tensor w2 = weight.pow(2).sum({2, 3});                     // (out, in)
    torch::Tensor d = torch::rsqrt(torch::mm(m.pow(2), w2.t()) + 1e-8);  // (N, out)
    out = out * d.view({n, out_dim, 1, 1});
  }
  return out;
}

// ---------------------------------------------------------------- Noise
ManipNoiseInjectionImpl::ManipNoiseInjectionImpl() { reset(); }
void ManipNoiseInjectionImpl::reset() { weight = register_parameter("weight", torch::zeros({1})); }

torch::Tensor ManipNoiseInjectionImpl::forward(const torch::Tensor& x) {
  const std::vector<int64_t> shape = {x.size(0), 1, x.size(2), x.size(3)};
  torch::Tensor noise;
  if (is_training()) {
    noise = torch::randn(shape, x.options());
  } else {  // fixed noise (seed 0) at inference, independent of the global RNG
    auto gen = at::detail::createCPUGenerator(0);
    noise = torch::randn(shape, gen, torch::TensorOptions().dtype(torch::kFloat)).to(x.options());
  }
  return x + weight * noise;
}

// ---------------------------------------------------------------- ModResBlk
ModResBlkImpl::ModResBlkImpl(int dim_in_, int dim_out_, int w_dim_, bool upsample_, bool residual_only_)
    : dim_in(dim_in_),
      dim_out(dim_out_),
      w_dim(w_dim_),
      upsample(upsample_),
      residual_only(residual_only_),
      learned_sc(dim_in_ != dim_out_ && !residual_only_) {
  reset();
}

void ModResBlkImpl::reset() {
  noise = register_module("noise", ManipNoiseInjection());
  conv1 = register_module("conv1", ModConv2d(dim_in, dim_out, w_dim, 3));
  conv2 = register_module("conv2", ModConv2d(dim_out, dim_out, w_dim, 3));
  if (learned_sc)
    conv1x1 = register_module(
        "conv1x1", torch::nn::Conv2d(torch::nn::Conv2dOptions(dim_in, dim_out, 1).bias(false)));
}

torch::Tensor ModResBlkImpl::forward(const torch::Tensor& x, const torch::Tensor& s) {
  torch::Tensor h = LReLU(x);
  if (upsample) h = Up2(h);
  h = noise->forward(conv1->forward(h, s));
  h = noise->forward(conv2->forward(LReLU(h), s));
  if (residual_only) return h;
  torch::Tensor sc = upsample ? Up2(x) : x;
  if (learned_sc) sc = conv1x1->forward(sc);
  return (h + sc) * kInvSqrt2;
}

torch::Tensor HighPass(const torch::Tensor& x, double w_hpf) {
  const int64_t c = x.size(1);
  torch::Tensor k = torch::full({3, 3}, -1.0, x.options());
  k[1][1] = 8.0;
  k = (k / w_hpf).view({1, 1, 3, 3}).expand({c, 1, 3, 3}).contiguous();
  return F::conv2d(x, k, F::Conv2dFuncOptions().padding(1).groups(c));
}

}  // namespace smile::models
