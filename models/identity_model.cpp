#include "models/identity_model.h"

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

Status SaveIdentityModel(const std::string& path, IdentityModel& model,
                         const std::map<std::string, std::string>& metadata) {
  CheckpointExtras extras;
  extras.metadata = metadata;
  extras.metadata["parser"] = model->parser;
  if (!model->bank.empty()) extras.blobs["style_bank"] = SerializeStyleBank(model->bank);
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
  if (metadata) *metadata = meta;
  return model;
}

}  // namespace smile::models
