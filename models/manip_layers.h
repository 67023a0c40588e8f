// Building blocks of the SMILE manipulation stage (StarGANv2 + StyleGAN2
// modulated convolutions), as in affromero/SMILE misc/normalization.py and
// clovaai/stargan-v2 core/model.py:
//  - ManipResBlk: pre-activation residual block, LeakyReLU(0.2), optional
//    InstanceNorm(affine) and 2x average-pool down-sampling, learned 1x1
//    shortcut when widths differ, output divided by sqrt(2).
//  - ModConv2d: StyleGAN2 modulated convolution with SMILE's modulation
//    weight * (1 + affine(style)) (no bias), optional demodulation.
//  - ManipNoiseInjection: x + weight * N(0,1) noise (one channel broadcast); in eval
//    mode the noise comes from a generator seeded with 0 on every call (as the
//    official code, but without touching the global RNG).
//  - ModResBlk: decoder block LReLU, [nearest up x2], ModConv, noise, LReLU,
//    ModConv, noise; with the landmark high-pass skips the official block drops
//    its shortcut (residual only), otherwise (out + shortcut) / sqrt(2).
// Every module is Cloneable (module->clone() deep-copies, e.g. for EMA copies).
//  - HighPass: fixed depthwise 3x3 Laplacian-like filter [-1..8..-1] / w_hpf.
#pragma once

#include <torch/torch.h>
#include "models/layers.h"  // CountParameters

namespace smile::models {

// Official initialisation: kaiming normal (fan_in, relu gain) for conv/linear
// weights, zero biases. Applied to every Conv2d/Linear below `module`.
void KaimingInit(torch::nn::Module& module);

struct ManipResBlkImpl : torch::nn::Cloneable<ManipResBlkImpl> {
  ManipResBlkImpl(int dim_in, int dim_out, bool normalize, bool downsample);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);

  int dim_in, dim_out;
  bool normalize, downsample, learned_sc;
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv1x1{nullptr};
  torch::nn::InstanceNorm2d norm1{nullptr}, norm2{nullptr};
};
TORCH_MODULE(ManipResBlk);

struct ModConv2dImpl : torch::nn::Cloneable<ModConv2dImpl> {
  ModConv2dImpl(int in_dim, int out_dim, int w_dim, int kernel, bool demod = true);
  void reset() override;
  // x (N,in,H,W), s (N,w_dim) -> (N,out,H,W)
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& s);

  int in_dim, out_dim, w_dim, kernel;
  bool demod;
  torch::Tensor weight;  // (out, in, k, k)
  torch::nn::Linear affine{nullptr};
};
TORCH_MODULE(ModConv2d);

struct ManipNoiseInjectionImpl : torch::nn::Cloneable<ManipNoiseInjectionImpl> {
  ManipNoiseInjectionImpl();
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;  // (1), starts at 0
};
TORCH_MODULE(ManipNoiseInjection);

struct ModResBlkImpl : torch::nn::Cloneable<ModResBlkImpl> {
  ModResBlkImpl(int dim_in, int dim_out, int w_dim, bool upsample, bool residual_only);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& s);

  int dim_in, dim_out, w_dim;
  bool upsample, residual_only, learned_sc;
  ManipNoiseInjection noise{nullptr};
  ModConv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Conv2d conv1x1{nullptr};
};
TORCH_MODULE(ModResBlk);

// Depthwise high-pass filter of the official code (w_hpf = 1 in SMILE).
torch::Tensor HighPass(const torch::Tensor& x, double w_hpf = 1.0);


}  // namespace smile::models
