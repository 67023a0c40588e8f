// StyleGAN2 building blocks (after rosinality/stylegan2-pytorch, as used by the
// official SMILE code): equalised-learning-rate linear / conv layers, fused leaky
// ReLU (slope 0.2, gain sqrt(2), per-channel bias), FIR blur / up-sampling
// (upfirdn2d, done here as a depthwise convolution), PixelNorm, noise injection,
// ConvLayer (blur + strided conv down, transposed conv + blur up), ResBlock,
// ModulatedConv2d and ToRGB with skip up-sampling.
//
// Parameters are stored unscaled (N(0,1) init) and scaled at run time exactly as
// the reference: weight * (1/sqrt(fan_in)) [* lr_mul], bias * lr_mul.
#pragma once

#include <cmath>
#include <vector>

#include <torch/torch.h>

namespace smile::models {

constexpr double kSqrt2 = 1.4142135623730951;

// 2-D FIR kernel from a 1-D one (outer product), normalised to sum 1, times `gain`.
torch::Tensor MakeFirKernel(const std::vector<float>& k1d, double gain = 1.0);

// upfirdn2d: zero-insert up-sampling by `up`, pad (pad0 before, pad1 after, on both
// axes; negative crops), FIR filter with `kernel` (true convolution), keep every
// `down`-th sample. Implemented as one depthwise conv2d.
torch::Tensor Upfirdn2d(const torch::Tensor& x, const torch::Tensor& kernel, int up, int down, int pad0, int pad1);

// leaky_relu(x + bias, 0.2) * sqrt(2); bias broadcast over dim 1 (may be undefined).
torch::Tensor FusedLeakyRelu(const torch::Tensor& x, const torch::Tensor& bias, double slope = 0.2,
                             double gain = kSqrt2);

struct FusedLeakyReLUImpl : torch::nn::Module {
  explicit FusedLeakyReLUImpl(int64_t channels);
  torch::Tensor forward(const torch::Tensor& x) { return FusedLeakyRelu(x, bias); }
  torch::Tensor bias;
};
TORCH_MODULE(FusedLeakyReLU);

struct PixelNormImpl : torch::nn::Module {
  torch::Tensor forward(const torch::Tensor& x) {
    return x * torch::rsqrt(x.pow(2).mean(1, /*keepdim=*/true) + 1e-8);
  }
};
TORCH_MODULE(PixelNorm);

struct EqualLinearImpl : torch::nn::Module {
  EqualLinearImpl(int64_t in, int64_t out, bool bias = true, double bias_init = 0.0, double lr_mul = 1.0,
                  bool fused_lrelu = false);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;  // weight (out, in) ~ N(0,1)/lr_mul
  double scale, lr_mul;
  bool activate;
};
TORCH_MODULE(EqualLinear);

struct EqualConv2dImpl : torch::nn::Module {
  // transposed: F.conv_transpose2d with weight.transpose(0,1) (the official up-sampling conv).
  EqualConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = 0, bool bias = true,
                  bool transposed = false);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor ScaledWeight() const { return weight * scale; }
  torch::Tensor weight, bias;  // weight (out, in, k, k)
  double scale;
  int64_t stride, padding;
  bool transposed;
};
TORCH_MODULE(EqualConv2d);

// Blur: upfirdn2d(x, kernel * factor^2, pad) with up = down = 1.
struct BlurImpl : torch::nn::Module {
  BlurImpl(const std::vector<float>& k1d, int pad0, int pad1, int upsample_factor = 1);
  torch::Tensor forward(const torch::Tensor& x) { return Upfirdn2d(x, kernel, 1, 1, pad0, pad1); }
  torch::Tensor kernel;  // buffer
  int pad0, pad1;
};
TORCH_MODULE(Blur);

// 2x up-sampling with the FIR kernel (ToRGB skip path).
struct UpsampleImpl : torch::nn::Module {
  explicit UpsampleImpl(const std::vector<float>& k1d, int factor = 2);
  torch::Tensor forward(const torch::Tensor& x) { return Upfirdn2d(x, kernel, factor, 1, pad0, pad1); }
  torch::Tensor kernel;
  int factor, pad0, pad1;
};
TORCH_MODULE(Upsample);

struct NoiseInjectionImpl : torch::nn::Module {
  NoiseInjectionImpl();
  // noise undefined -> fresh N(0,1) noise of shape (N,1,H,W).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& noise = {});
  torch::Tensor weight;  // scalar, init 0
};
TORCH_MODULE(NoiseInjection);

const std::vector<float>& DefaultBlurKernel();  // {1, 3, 3, 1}

// ConvLayer of the reference: [Blur] -> EqualConv2d (stride 2 when down-sampling,
// transposed stride 2 when up-sampling) -> [Blur] -> [FusedLeakyReLU].
// The conv has a bias only when `bias && !activate` (the activation owns it).
struct ConvLayerImpl : torch::nn::Module {
  ConvLayerImpl(int64_t in, int64_t out, int64_t kernel, bool downsample = false, bool upsample = false,
                bool bias = true, bool activate = true);
  torch::Tensor forward(const torch::Tensor& x);
  Blur blur_before{nullptr}, blur_after{nullptr};
  EqualConv2d conv{nullptr};
  FusedLeakyReLU act{nullptr};
  bool scaled_lrelu = false;  // activate without bias: leaky_relu * sqrt(2)
};
TORCH_MODULE(ConvLayer);

// Discriminator residual block: conv3x3, conv3x3 down, 1x1 down skip, / sqrt(2).
struct ResBlockImpl : torch::nn::Module {
  ResBlockImpl(int64_t in, int64_t out);
  torch::Tensor forward(const torch::Tensor& x);
  ConvLayer conv1{nullptr}, conv2{nullptr}, skip{nullptr};
};
TORCH_MODULE(ResBlock);

// StyleGAN2 modulated convolution (style vector -> per-input-channel scale, optional
// demodulation, optional transposed up-sampling + blur). Used by stylised decoders.
struct ModulatedConv2dImpl : torch::nn::Module {
  ModulatedConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t style_dim, bool demodulate = true,
                      bool upsample = false);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& style);
  EqualLinear modulation{nullptr};  // bias init 1
  Blur blur{nullptr};
  torch::Tensor weight;  // (out, in, k, k)
  int64_t in_ch, out_ch, kernel;
  double scale;
  bool demodulate, upsample;
};
TORCH_MODULE(ModulatedConv2d);

// StyleGAN2 ToRGB: modulated 1x1 conv (no demodulation) + bias, plus the 2x
// up-sampled previous RGB skip.
struct ToRGBImpl : torch::nn::Module {
  ToRGBImpl(int64_t in, int64_t style_dim, bool upsample = true, int64_t out_channels = 3);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& style, const torch::Tensor& skip = {});
  ModulatedConv2d conv{nullptr};
  Upsample up{nullptr};
  torch::Tensor bias;
};
TORCH_MODULE(ToRGB);

int64_t CountParameters(const torch::nn::Module& m);

}  // namespace smile::models
