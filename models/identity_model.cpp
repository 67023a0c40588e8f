#include "models/identity_model.h"

#include <cstring>

#include "models/checkpoint.h"

namespace smile::models {

IdentityModelImpl::IdentityModelImpl(const ModelConfig& cfg) : config(cfg) {
  network = register_module("network", SynthesisNetwork(cfg));
  style = register_buffer("style", torch::zeros({1, cfg.num_classes, cfg.synth_style_dim}));
  present = register_buffer("present", torch::zeros({cfg.num_classes}));
  default_labels = register_buffer("default_labels", torch::zeros({cfg.image_size, cfg.image_size}, torch::kUInt8));
}

cv::Mat IdentityModelImpl::DefaultLabels() const {
  auto t = default_labels.to(torch::kUInt8).contiguous();
  return cv::Mat(static_cast<int>(t.size(0)), static_cast<int>(t.size(1)), CV_8UC1, t.data_ptr<uint8_t>()).clone();
}

namespace {

// Blob "mesh_topology": int32 point count, int32 triangle count, then the points' floats and the
// triangles' int32 indices (native byte order, as the checkpoint's tensors).
std::string SerializeMeshTopology(const std::vector<float>& canonical, const std::vector<int32_t>& triangles) {
  const int32_t n = static_cast<int32_t>(canonical.size() / 3), t = static_cast<int32_t>(triangles.size() / 3);
  std::string out(8 + canonical.size() * sizeof(float) + triangles.size() * sizeof(int32_t), '\0');
  std::memcpy(out.data(), &n, 4);
  std::memcpy(out.data() + 4, &t, 4);
  std::memcpy(out.data() + 8, canonical.data(), canonical.size() * sizeof(float));
  std::memcpy(out.data() + 8 + canonical.size() * sizeof(float), triangles.data(), triangles.size() * sizeof(int32_t));
  return out;
}

Status ParseMeshTopology(const std::string& blob, std::vector<float>* canonical, std::vector<int32_t>* triangles) {
  int32_t n = 0, t = 0;
  if (blob.size() < 8) return Corrupt("mesh topology blob too short");
  std::memcpy(&n, blob.data(), 4);
  std::memcpy(&t, blob.data() + 4, 4);
  if (n <= 0 || t <= 0 || blob.size() != 8 + static_cast<size_t>(n) * 3 * sizeof(float) + static_cast<size_t>(t) * 3 * 4)
    return Corrupt("mesh topology blob has a bad size");
  canonical->resize(static_cast<size_t>(n) * 3);
  triangles->resize(static_cast<size_t>(t) * 3);
  std::memcpy(canonical->data(), blob.data() + 8, canonical->size() * sizeof(float));
  std::memcpy(triangles->data(), blob.data() + 8 + canonical->size() * sizeof(float), triangles->size() * 4);
  for (int32_t i : *triangles)
    if (i < 0 || i >= n) return Corrupt("mesh topology has a triangle index out of range");
  return Status::Ok();
}

}  // namespace

Status SaveIdentityModel(const std::string& path, IdentityModel& model,
                         const std::map<std::string, std::string>& metadata) {
  CheckpointExtras extras;
  extras.metadata = metadata;
  extras.metadata["parser"] = model->parser;
  if (!model->bank.empty()) extras.blobs["style_bank"] = SerializeStyleBank(model->bank);
  if (model->config.synth_geometry_channels > 0) {
    if (model->mesh_canonical.empty() || model->mesh_triangles.empty())
      return InvalidArgument("an identity model with geometry channels needs its mesh topology");
    extras.blobs["mesh_topology"] = SerializeMeshTopology(model->mesh_canonical, model->mesh_triangles);
  }
  return SaveCheckpoint(path, kKindIdentity, model->config, *model, extras);
}

Result<IdentityModel> LoadIdentityModel(const std::string& path, std::map<std::string, std::string>* metadata) {
  auto ckpt = LoadCheckpoint(path, kKindIdentity);
  if (!ckpt.ok())
    return ckpt.status().WithContext("identity model '" + path + "' (make one with: smile fit --identity <clip> -o " +
                                     path + ")");
  IdentityModel model(ckpt->header().config);
  SMILE_RETURN_IF_ERROR(ckpt->LoadInto(*model));
  model->eval();
  const auto& meta = ckpt->header().metadata;
  if (auto it = meta.find("parser"); it != meta.end() && !it->second.empty()) model->parser = it->second;
  if (const std::string* blob = ckpt->blob("style_bank")) {
    auto bank = ParseStyleBank(*blob, model->config.num_classes, model->config.synth_style_dim);
    if (!bank.ok()) return bank.status().WithContext("identity model '" + path + "'");
    model->bank = *bank;
  }
  if (model->config.synth_geometry_channels > 0) {
    const std::string* blob = ckpt->blob("mesh_topology");
    if (!blob) return Corrupt("identity model '" + path + "' has geometry channels but no mesh topology");
    SMILE_RETURN_IF_ERROR(ParseMeshTopology(*blob, &model->mesh_canonical, &model->mesh_triangles)
                              .WithContext("identity model '" + path + "'"));
  }
  if (metadata) *metadata = meta;
  return model;
}

}  // namespace smile::models
