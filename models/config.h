// ModelConfig: one configuration type for every network (synthesis, manipulation,
// parser). Presets: "paper" (256 px, the paper's widths), "paper128", "small"
// (128 px, real-time on CPU), "tiny" (tests). Stored inside every checkpoint as
// "key=value" lines so that a checkpoint rebuilds its own network.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace smile::models {

struct ModelConfig {
  std::string preset = "paper";
  int image_size = 256;          // output / input resolution (power of two, >= 32)
  double channel_multiplier = 1.0;  // scales every width (1.0 = paper)
  int num_classes = 19;          // CelebAMask-HQ labels
  // Synthesis stage (StyleGAN2 + SAC)
  int synth_style_dim = 64;      // per-class style (style matrix is num_classes x this)
  int synth_mask_start = 8;      // resolution the mask encoder starts the generator at
  int synth_mapping_layers = 8;  // PixelNorm + 8 EqualLinear
  double synth_mapping_lr_mul = 0.01;
  int synth_spade_hidden = 128;
  // Continuous geometry channels after the class channels of the generator's mask input
  // (engine/mesh_geometry.h: 7 from FaceMesh); they condition the SPADE branches and the mask
  // encoder but carry no style. 0 (the paper): the mask is the one-hot classes alone.
  int synth_geometry_channels = 0;
  // Neural texture (deferred neural rendering, Thies et al. 2019): with geometry channels in
  // engine/mesh_geometry.h's layout (canonical x, y first, coverage last), the generator keeps
  // a learned T-channel texture over the canonical face (a pyramid image_size .. 16, summed)
  // and appends its samples at each pixel's canonical position to the geometry channels, so
  // a spot of skin brings its own learned appearance to wherever the head puts it. 0: none.
  int synth_texture_channels = 0;
  // Channels after the classes that the generator's inner layers see: geometry, then texture.
  int SynthExtraChannels() const { return synth_geometry_channels + synth_texture_channels; }
  // Manipulation stage (StarGANv2-like, mask -> mask)
  int manip_size = 256;          // mask resolution of the manipulation stage
  int manip_latent_dim = 16;
  int manip_base_width = 32;
  bool manip_landmark_skips = true;  // official high-pass landmark heatmap skips
  // Parser
  int parser_size = 256;
  int parser_base_width = 32;
  // Free-form extra keys (kept through a checkpoint round trip).
  std::map<std::string, std::string> extra;

  // Width of a layer whose paper width is `paper_width` (at least 8).
  int Width(int paper_width) const;

  std::string Serialize() const;
  static Result<ModelConfig> Parse(const std::string& text);
  static Result<ModelConfig> Preset(const std::string& name);
  static std::vector<std::string> PresetNames();
  bool operator==(const ModelConfig& other) const { return Serialize() == other.Serialize(); }
};

}  // namespace smile::models
