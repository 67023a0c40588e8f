// IdentityModel: what `smile fit` produces and `smile swap/reenact/live/edit` take as
// --identity: a synthesis network fitted to one person, that person's FIXED style
// matrix, which classes it saw, and a default mask (a typical aligned layout).
// Stored as a checkpoint of kind "identity".
#pragma once

#include <map>
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include "core/status.h"
#include "models/config.h"
#include "models/style_bank.h"
#include "models/synthesis.h"

namespace smile::models {

inline constexpr const char* kKindIdentity = "identity";

struct IdentityModelImpl : torch::nn::Module {
  explicit IdentityModelImpl(const ModelConfig& config);
  ModelConfig config;
  SynthesisNetwork network{nullptr};
  torch::Tensor style;           // (1,C,D)
  torch::Tensor present;         // (C) 1 where the fitted footage showed the class
  torch::Tensor default_labels;  // (S,S) uint8
  // The face parser its training masks came from (engine/parser_choice.h); jobs parse with the
  // same one. Stored as metadata "parser"; models made before the field existed: "geometric".
  std::string parser = "geometric";
  // Per-expression styles of the fitted footage (empty for models made before the bank, or
  // with `smile fit --bank 0`); stored as the checkpoint blob "style_bank".
  StyleBank bank;
  // Models with mesh geometry (config.synth_geometry_channels > 0): the identity's mesh topology
  // (engine/mesh_geometry.h), stored as the checkpoint blob "mesh_topology": 468 canonical points
  // (x, y, z) and the triangles (3 indices each) that jobs rasterise each frame's mesh with.
  std::vector<float> mesh_canonical;
  std::vector<int32_t> mesh_triangles;
  cv::Mat DefaultLabels() const;
};
TORCH_MODULE(IdentityModel);

// `metadata` is stored with the model's `parser` added.
Status SaveIdentityModel(const std::string& path, IdentityModel& model,
                         const std::map<std::string, std::string>& metadata);
// Loads and validates (kind, shapes); `metadata` receives the header metadata when given.
Result<IdentityModel> LoadIdentityModel(const std::string& path,
                                        std::map<std::string, std::string>* metadata = nullptr);

}  // namespace smile::models
