// Attribute classifier for evaluating the manipulation stage (issue 9, paper sec. 3.4):
// a MobileNetV2-style network (Sandler et al. 2018) predicting the six SMILE attributes
// (models/attributes.h: Gender, Eyeglasses, Hair, Bangs, Earrings, Hat) as six binary
// logits (logit > 0 = the attribute's second domain: Female, Eyeglasses, Much_Hair,
// Bangs, Earrings, Hat).
//   stem  : conv 3x3 stride 2 + BN + ReLU6                         -> 32w
//   blocks: inverted residuals (1x1 expand t, depthwise 3x3, 1x1 linear project;
//           residual when stride 1 and in == out), MobileNetV2's table 2:
//           (t, c, n, s) = (1,16,1,1) (6,24,2,2) (6,32,3,2) (6,64,4,2) (6,96,3,1)
//           (6,160,3,2) (6,320,1,1), channels scaled by w (rounded to multiples of 8)
//   head  : conv 1x1 -> max(1280, 1280w) + BN + ReLU6, global average pool,
//           dropout 0.2, linear -> 6
// Input: either an RGB photo (3 channels, [-1,1]) or a label map as a one-hot mask
// (config.num_classes channels): the manipulation stage outputs masks, so a mask
// classifier scores its edits directly. The choice, width and input size live in
// ModelConfig::extra ("attr_input" = image|mask, "attr_width", "attr_size") so that a
// checkpoint (kind "attr") rebuilds its own network.
#pragma once

#include <string>

#include <torch/torch.h>

#include "core/status.h"
#include "models/config.h"

namespace smile::models {

inline constexpr const char* kKindAttr = "attr";

struct AttrNetSpec {
  bool mask_input = true;  // false = RGB image
  double width = 1.0;      // MobileNetV2 width multiplier
  int size = 128;          // input resolution (multiple of 32)
  int in_channels(const ModelConfig& c) const { return mask_input ? c.num_classes : 3; }
};

// Reads / writes the spec in config.extra. Missing keys: the preset's default
// (tiny: width 0.25, 64 px; small: 0.5, 128 px; paper128 / paper: 1.0, 128 / 224 px; mask input).
Result<AttrNetSpec> AttrSpecFromConfig(const ModelConfig& config);
void StoreAttrSpec(const AttrNetSpec& spec, ModelConfig* config);

struct InvertedResidualImpl : torch::nn::Module {
  InvertedResidualImpl(int in, int out, int stride, int expand);
  torch::Tensor forward(const torch::Tensor& x);
  bool residual;
  torch::nn::Sequential body{nullptr};
};
TORCH_MODULE(InvertedResidual);

struct AttrNetImpl : torch::nn::Module {
  AttrNetImpl(const ModelConfig& config, const AttrNetSpec& spec);
  // (N,C,H,W) -> (N,6) logits; inputs are resized to spec.size when they differ.
  torch::Tensor forward(const torch::Tensor& x);
  // Eval mode, no gradients: probabilities (N,6) of the second domain of each attribute.
  torch::Tensor Probabilities(const torch::Tensor& x);
  // Label maps (N,H,W) integer ids -> the one-hot input this network expects (mask input only).
  torch::Tensor MaskInput(const torch::Tensor& labels) const;

  ModelConfig config;
  AttrNetSpec spec;
  torch::nn::Sequential features{nullptr};
  torch::nn::Dropout dropout{nullptr};
  torch::nn::Linear classifier{nullptr};
};
TORCH_MODULE(AttrNet);

// Loads an "attr" checkpoint into a new network (eval mode).
Result<AttrNet> LoadAttrNet(const std::string& path, torch::Device device = torch::kCPU);

}  // namespace smile::models
