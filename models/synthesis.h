// SMILE semantic synthesis stage (mask + style matrix -> RGB): StyleGAN2 with SAC
// layers, as in the official code (affromero/SMILE, metrics/smileSYN.py) and the
// paper's tables 8-10. See shared/design/SMILE_SPEC.md.
//
//   mask   (N, C, H, W) one-hot, C = config.num_classes (19), any H, W (resized with
//          nearest neighbour, as the reference); with config.synth_geometry_channels = G > 0,
//          (N, C + G, H, W): the classes, then continuous geometry (engine/mesh_geometry.h)
//          that the mask encoder and SPADE branches see and the style codes do not; with
//          config.synth_texture_channels = T > 0 the generator appends T neural texture channels
//          sampled through that geometry itself (WithNeuralTexture)
//   style  (N, C, D) style matrix, D = config.synth_style_dim (64)
//   output (N, 3, S, S), S = config.image_size; RGB nominally in [-1, 1] (not clamped,
//          as the reference: clamp for display).
//
// Widths: config.Width(paper width). Faithful details worth knowing:
//  - SAC demodulation: conv(gamma^2, w^2) averaged over the whole feature map, i.e.
//    ONE factor per (sample, output channel) (the reference divides by H*W and sums).
//  - toRGB layers are SAC convs too (1x1, no demodulation); the last resolution uses
//    the SPADE term only (SAC*), toRGB included; blending_gamma exists there anyway.
//  - Style encoder: absent classes get zero styles and present[n][c] = false; callers
//    fill them (FillAbsentStyles) from the mapping or a stored default.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "models/config.h"
#include "models/layers.h"

namespace smile::models {

// SPADE gamma branch: ConvLayer(C -> hidden, 3, lrelu) -> ConvLayer(hidden -> ch, 3, bias).
struct SpadeGammaImpl : torch::nn::Module {
  SpadeGammaImpl(int64_t channels, int64_t num_classes, int64_t hidden);
  // mask: the input channels (classes, geometry). texture: optional trailing input channels that
  // carry gradients (the neural texture's samples); the first conv is then split by channels so
  // that only they pay for a gradient with respect to the input (same result as one conv over
  // the concatenation).
  torch::Tensor forward(const torch::Tensor& mask, const torch::Tensor& texture = {});
  ConvLayer mlp_shared{nullptr}, mlp_gamma{nullptr};
};
TORCH_MODULE(SpadeGamma);

// SAC convolution (paper eq. 8; official ModulatedConv2d_SEAN).
struct SacConv2dImpl : torch::nn::Module {
  SacConv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t style_dim, int64_t num_classes, int64_t spade_hidden,
                bool upsample, bool demodulate, bool only_spade, int64_t geometry_channels = 0,
                int64_t texture_channels = 0);
  // x (N,in,h,w), style (N,C,D), mask (N,C+G,H,W) -> (N,out,h',w'). G = geometry_channels, of
  // which the last texture_channels are the neural texture's samples: those alone carry
  // gradients back (the classes and geometry are data).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& style, const torch::Tensor& mask);
  // gamma (N,in,h,w) for the mask (and texture samples, if any) already resized to (h,w).
  torch::Tensor Gamma(const torch::Tensor& style, const torch::Tensor& mask_hw, const torch::Tensor& texture_hw = {});
  // Per-pixel style codes (N,D,h,w): per-class EqualLinear(D->D, bias 1) of the
  // class's style, broadcast over the class's pixels.
  torch::Tensor StyleCodes(const torch::Tensor& style, const torch::Tensor& mask_hw);

  // Demodulation factors (N,out): rsqrt(mean over positions of conv(gamma^2, w^2) + 1e-8).
  // Computed from box sums of gamma^2 (exact for the 1x1 and 3x3 "same" convolutions used
  // here, O(in*h*w) instead of a second full convolution); `reference_demod` switches to the
  // literal convolution (tests compare the two).
  torch::Tensor Demodulation(const torch::Tensor& gamma, const torch::Tensor& scaled_weight) const;
  bool reference_demod = false;

  torch::Tensor blending_gamma;      // (1), init 0 -> sigmoid 0.5
  SpadeGamma spade{nullptr};
  torch::Tensor fc_mu_weight;        // (C, D, D) ~ N(0,1), scale 1/sqrt(D)
  torch::Tensor fc_mu_bias;          // (C, D), init 1
  ConvLayer style_gamma{nullptr};    // ConvLayer(D -> in, 3, bias, no activation)
  Blur blur{nullptr};
  torch::Tensor weight;              // (out, in, k, k)
  int64_t in_ch, out_ch, kernel, style_dim;
  int64_t num_classes;  // the mask's class channels; SPADE also sees the geometry channels after them
  int64_t texture_channels = 0;  // trailing channels of the mask that are neural texture samples
  double scale;
  bool upsample, demodulate, only_spade;
};
TORCH_MODULE(SacConv2d);

// sum over every output position of conv(g2, w2, stride 1, padding k/2), for k = 1 or 3:
// g2 (N,in,h,w) >= 0, w2 (out,in,k,k) -> (N,out). Exact (zero padding respected) via shifted
// box sums of g2. Shared by the training forward and the fixed-style fast path.
torch::Tensor SumOfSameConv(const torch::Tensor& g2, const torch::Tensor& w2);

// SAC conv -> noise injection -> FusedLeakyReLU(out).
struct SacStyledConvImpl : torch::nn::Module {
  SacStyledConvImpl(int64_t in, int64_t out, const ModelConfig& cfg, bool upsample, bool only_spade);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& style, const torch::Tensor& mask,
                        const torch::Tensor& noise = {});
  SacConv2d conv{nullptr};
  NoiseInjection noise{nullptr};
  FusedLeakyReLU act{nullptr};
};
TORCH_MODULE(SacStyledConv);

// 1x1 SAC conv without demodulation + bias, plus the up-sampled RGB skip.
struct SacToRGBImpl : torch::nn::Module {
  SacToRGBImpl(int64_t in, const ModelConfig& cfg, bool upsample, bool only_spade);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& style, const torch::Tensor& mask,
                        const torch::Tensor& skip = {});
  SacConv2d conv{nullptr};
  Upsample up{nullptr};
  torch::Tensor bias;  // (1,3,1,1)
};
TORCH_MODULE(SacToRGB);

// Channel count of the generator at `resolution` (paper widths 8:512 16:512 32:512
// 64:256 128:256 256:128, 512:64, times the config multiplier).
int64_t SynthChannels(const ModelConfig& cfg, int resolution);

// The image path of the synthesis generator (no mapping, no encoder): 29.86 M
// parameters in the paper configuration.
struct SynthesisGeneratorImpl : torch::nn::Module {
  explicit SynthesisGeneratorImpl(const ModelConfig& cfg);
  // noise: empty -> fresh random noise per layer (training); otherwise NumNoises()
  // tensors (1 or N, 1, r, r) from MakeNoise().
  torch::Tensor forward(const torch::Tensor& mask, const torch::Tensor& style,
                        const std::vector<torch::Tensor>& noise = {});
  // Fixed per-layer noise (the reference's make_noise(seed); inference uses seed 0).
  std::vector<torch::Tensor> MakeNoise(uint64_t seed) const;
  int NumNoises() const { return 1 + 2 * static_cast<int>(convs.size() / 2); }
  int MaskInputSize() const { return input_mask_size; }

  ModelConfig config;
  int input_mask_size;  // mask start * 8 (64 in the paper)
  torch::nn::Sequential input{nullptr};  // ConvLayer(C->256) + 3 down-sampling ConvLayers -> 512 x start^2
  SacStyledConv conv1{nullptr};
  SacToRGB to_rgb1{nullptr};
  std::vector<SacStyledConv> convs;  // 2 per resolution: up-sampling, plain
  std::vector<SacToRGB> to_rgbs;
  std::vector<int> resolutions;      // of each stage (16 .. image_size)
  // config.synth_texture_channels > 0: the neural texture pyramid, (1, T, s, s) for s =
  // image_size, image_size / 2, .. 16 (parameters neural_texture_0, _1, ..).
  std::vector<torch::Tensor> texture;
};
TORCH_MODULE(SynthesisGenerator);

// The generator's mask input with the neural texture's samples appended: the pyramid's levels
// up-sampled (bilinear) to the finest and summed, that texture sampled bilinearly (border
// clamped) at the pixel's canonical (x, y) (geometry channels 0-1, [-1, 1] over the crop), times
// coverage (the last geometry channel). No texture: the mask unchanged.
torch::Tensor WithNeuralTexture(const std::vector<torch::Tensor>& texture, const torch::Tensor& mask,
                                int64_t num_classes, int64_t geometry_channels);
// The pyramid as one texture of its finest size (levels up-sampled bilinearly and summed, fp32):
// what WithNeuralTexture samples. A one-level "pyramid" of it samples the same.
torch::Tensor MergeTexturePyramid(const std::vector<torch::Tensor>& texture);

// Mapping: PixelNorm + n x EqualLinear(C*D, C*D, lr_mul 0.01, fused lrelu);
// z (N, C*D) -> style matrix (N, C, D).
struct SynthesisMappingImpl : torch::nn::Module {
  explicit SynthesisMappingImpl(const ModelConfig& cfg);
  torch::Tensor forward(const torch::Tensor& z);
  torch::Tensor Sample(int64_t n, const torch::Device& device = torch::kCPU);  // from z ~ N(0, I)
  int64_t num_classes, style_dim;
  torch::nn::Sequential net{nullptr};
};
TORCH_MODULE(SynthesisMapping);

struct EncodedStyle {
  torch::Tensor style;    // (N, C, D); zero rows for absent classes
  torch::Tensor present;  // (N, C) bool
};

// Style encoder (table 9, official Zencoder): 3->32 conv, 2 down (64, 128), 1 up
// (256), 1 down to D at image_size/4, then mask average pooling per class.
struct SynthesisStyleEncoderImpl : torch::nn::Module {
  explicit SynthesisStyleEncoderImpl(const ModelConfig& cfg);
  torch::Tensor Features(const torch::Tensor& rgb) { return model->forward(rgb); }
  EncodedStyle forward(const torch::Tensor& rgb, const torch::Tensor& mask);
  torch::nn::Sequential model{nullptr};
};
TORCH_MODULE(SynthesisStyleEncoder);

// Mask average pooling: features (N,D,h,w), mask (N,C,H,W) -> per-class means.
EncodedStyle MaskAveragePool(const torch::Tensor& features, const torch::Tensor& mask);
// style where present, fill elsewhere (fill (N or 1, C, D)).
torch::Tensor FillAbsentStyles(const EncodedStyle& enc, const torch::Tensor& fill);

// StyleGAN2 discriminator (rosinality): 1x1 conv from RGB (+ mask channels when
// in_channels > 3), ResBlocks down to 4x4, minibatch stddev (group 4), conv,
// 2 EqualLinear -> (N, 1) logits. Widths 4..32:512, 64:512, 128:256, 256:128 (x multiplier).
struct SynthesisDiscriminatorImpl : torch::nn::Module {
  SynthesisDiscriminatorImpl(const ModelConfig& cfg, int64_t in_channels = 3);
  torch::Tensor forward(const torch::Tensor& x);
  // Logits and the output of every block of `convs` (for feature matching).
  std::pair<torch::Tensor, std::vector<torch::Tensor>> ForwardWithFeatures(const torch::Tensor& x);
  torch::nn::Sequential convs{nullptr};
  ConvLayer final_conv{nullptr};
  EqualLinear final_linear1{nullptr}, final_linear2{nullptr};
  int64_t stddev_group = 4;
};
TORCH_MODULE(SynthesisDiscriminator);

// Everything a synthesis checkpoint ("synth") holds for inference: generator
// (image path), mapping and style encoder.
struct SynthesisNetworkImpl : torch::nn::Module {
  explicit SynthesisNetworkImpl(const ModelConfig& cfg);
  ModelConfig config;
  SynthesisGenerator generator{nullptr};
  SynthesisMapping mapping{nullptr};
  SynthesisStyleEncoder encoder{nullptr};
};
TORCH_MODULE(SynthesisNetwork);

// One-hot (N,C,H,W) float mask from a label map (N,H,W) of integer labels.
torch::Tensor OneHotMask(const torch::Tensor& labels, int64_t num_classes);

}  // namespace smile::models
