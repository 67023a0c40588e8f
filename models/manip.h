// SMILE stage 1: semantic manipulation (mask -> mask), StarGANv2-like
// (paper tables 5-7; affromero/SMILE models/{generator,mapping,encoder,discriminator}.py
// with MOD, SPLIT_STYLE, TRAIN_MASK and optionally FAN).
//
// Conventions: masks are one-hot (or soft) float tensors (N, num_classes, S, S),
// S = config.manip_size; the style is (N, 144) = one head per attribute, in
// models/attributes.h order; `choices` is an (N, 6) integer tensor of 0/1 (1 =
// second domain of the pair: Female, Eyeglasses, Much_Hair, Bangs, Earrings, Hat).
//
// Widths (paper at 256 px in brackets): generator first width manip_base_width
// [32] doubling up to Width(512); style encoder / discriminator first width
// 2 * manip_base_width * 256 / manip_size [64] up to Width(512); mapping hidden
// Width(512) [512]. Style head dims stay 64/16 (the 144-d interface).
// All networks are Cloneable: net->clone() deep-copies (EMA copies).
#pragma once

#include <vector>

#include <torch/torch.h>

#include "models/attributes.h"
#include "models/config.h"
#include "models/manip_layers.h"

namespace smile::models {

// Encoder features of one mask: bottleneck output + cached encoder features at
// the landmark-skip resolutions (index i <-> resolution skip_sizes[i]).
struct ManipEncoding {
  torch::Tensor bottleneck;
  std::vector<int64_t> skip_sizes;
  std::vector<torch::Tensor> skips;
};

struct ManipGeneratorImpl : torch::nn::Cloneable<ManipGeneratorImpl> {
  explicit ManipGeneratorImpl(const ModelConfig& config);
  void reset() override;

  // mask (N,C,S,S), style (N,144), heatmap optional (N,1|2,h,w) in [0,1]
  // (see manip_heatmap.h): channel 0 (official fan[0], the full heatmap) feeds
  // the 32 px skip, channel 1 (fan[1], without chin, lips and eyebrows; channel
  // 0 when there is only one) the 64/128 px skips. An undefined heatmap is a
  // zero heatmap (the high-pass skip of 0 is 0); without manip_landmark_skips
  // the heatmap is ignored. Returns logits (N,C,S,S) (softmax / argmax -> mask).
  torch::Tensor forward(const torch::Tensor& mask, const torch::Tensor& style,
                        const torch::Tensor& heatmap = {});
  ManipEncoding Encode(const torch::Tensor& mask);
  torch::Tensor Decode(const ManipEncoding& enc, const torch::Tensor& style,
                       const torch::Tensor& heatmap = {});

  ModelConfig config;
  bool landmark_skips;
  torch::nn::Conv2d from_mask{nullptr};
  torch::nn::ModuleList encode{nullptr};  // ManipResBlk: down-sampling, then 2 bottleneck
  torch::nn::ModuleList decode{nullptr};  // ModResBlk, applied in order (bottleneck first)
  ModConv2d to_mask{nullptr};            // 1x1, no demodulation (after ReLU)
};
TORCH_MODULE(ManipGenerator);

// z (N, manip_latent_dim) -> 12 domain styles.
struct ManipMappingImpl : torch::nn::Cloneable<ManipMappingImpl> {
  explicit ManipMappingImpl(const ModelConfig& config);
  void reset() override;
  // One tensor per domain: (N, DomainStyleDim(d)).
  std::vector<torch::Tensor> forward(const torch::Tensor& z);
  // (N,144) style of the chosen domains.
  torch::Tensor Style(const torch::Tensor& z, const torch::Tensor& choices);

  ModelConfig config;
  torch::nn::Sequential shared{nullptr};
  torch::nn::ModuleList unshared{nullptr};  // 12 Sequential heads
};
TORCH_MODULE(ManipMapping);

// mask -> 12 domain styles (table 6, DS_Layer = Linear).
struct ManipStyleEncoderImpl : torch::nn::Cloneable<ManipStyleEncoderImpl> {
  explicit ManipStyleEncoderImpl(const ModelConfig& config);
  void reset() override;
  std::vector<torch::Tensor> forward(const torch::Tensor& mask);
  torch::Tensor Style(const torch::Tensor& mask, const torch::Tensor& choices);

  ModelConfig config;
  torch::nn::Sequential shared{nullptr};
  torch::nn::ModuleList unshared{nullptr};  // 12 Linear heads
};
TORCH_MODULE(ManipStyleEncoder);

// mask -> (N,12) logits, one per domain (table 6, DS_Layer = 1x1 conv).
struct ManipDiscriminatorImpl : torch::nn::Cloneable<ManipDiscriminatorImpl> {
  explicit ManipDiscriminatorImpl(const ModelConfig& config);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& mask);

  ModelConfig config;
  torch::nn::Sequential main{nullptr};
};
TORCH_MODULE(ManipDiscriminator);

// Concatenates, per attribute a, heads[2a + choices[:,a]] -> (N,144).
torch::Tensor AssembleStyle(const std::vector<torch::Tensor>& heads, const torch::Tensor& choices);
// (N,12) logits -> (N,6): the logit of the chosen domain of each attribute.
torch::Tensor SelectDomainLogits(const torch::Tensor& logits, const torch::Tensor& choices);
// Choices (N,6) int64 from a per-attribute list (the same for every sample).
torch::Tensor MakeChoices(const std::vector<int>& per_attribute, int64_t batch);

// Widths used by the networks (exposed for tests and the trainer).
int ManipGeneratorBaseWidth(const ModelConfig& c);
int ManipEncoderBaseWidth(const ModelConfig& c);
int ManipMaxWidth(const ModelConfig& c);

}  // namespace smile::models
