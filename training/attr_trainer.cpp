#include "training/attr_trainer.h"

#include "models/checkpoint.h"
#include "training/ema.h"
#include "training/trainer_state.h"

namespace smile::training {
namespace {
namespace F = torch::nn::functional;
}

AttrTrainer::AttrTrainer(const models::ModelConfig& config, const AttrTrainOptions& options, torch::Device device)
    : config_(config), options_(options), device_(device) {
  auto spec = models::AttrSpecFromConfig(config);
  if (!spec.ok()) throw std::invalid_argument(spec.status().message());
  spec_ = *spec;
  torch::manual_seed(options.seed);
  net_ = models::AttrNet(config, spec_);
  net_->to(device);
  auto o = torch::optim::AdamOptions(options.lr).betas({options.beta1, options.beta2}).weight_decay(options.weight_decay);
  opt_ = std::make_unique<torch::optim::Adam>(net_->parameters(), o);
}

torch::Tensor AttrTrainer::Input(const torch::Tensor& images, const torch::Tensor& labels) const {
  if (spec_.mask_input) return net_->MaskInput(labels.to(device_));
  return images.to(device_);
}

std::map<std::string, double> AttrTrainer::Step(const torch::Tensor& images, const torch::Tensor& labels,
                                                 const torch::Tensor& targets) {
  net_->train();
  auto x = Input(images, labels);
  auto t = targets.to(device_).to(torch::kLong);
  auto known = (t >= 0).to(torch::kFloat32);
  auto logits = net_->forward(x);
  auto per = F::binary_cross_entropy_with_logits(logits, t.clamp_min(0).to(torch::kFloat32),
                                                 F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone));
  const double count = known.sum().item<double>();
  auto loss = (per * known).sum() / std::max(1.0, count);
  ClearGradients(*opt_);
  loss.backward();
  if (sync_) sync_(*opt_);
  opt_->step();
  ++iteration_;
  auto correct = (((logits.detach() > 0).to(torch::kLong) == t.clamp_min(0)).to(torch::kFloat32) * known).sum();
  return {{"bce", loss.item<double>()},
          {"accuracy", count > 0 ? correct.item<double>() / count : 0.0},
          {"known", count / static_cast<double>(t.numel())}};
}

void AttrTrainer::RefreshBatchNorm(const torch::Tensor& images, const torch::Tensor& labels, int passes) {
  torch::NoGradGuard ng;
  const bool was = net_->is_training();
  net_->train();
  auto x = Input(images, labels);
  for (int i = 0; i < passes; ++i) net_->forward(x);
  net_->train(was);
}

torch::Tensor AttrTrainer::Predict(const torch::Tensor& images, const torch::Tensor& labels) {
  return net_->Probabilities(Input(images, labels));
}

Status AttrTrainer::SaveState(const std::string& path, const std::map<std::string, std::string>& metadata) {
  auto meta = metadata;
  meta["iteration"] = std::to_string(iteration_);
  TrainerStateParts parts{kKindAttrTrain, config_, net_.get(), nullptr, {{"net", opt_.get()}}};
  return SaveTrainerState(path, parts, meta);
}

Result<std::map<std::string, std::string>> AttrTrainer::LoadState(const std::string& path) {
  TrainerStateParts parts{kKindAttrTrain, config_, net_.get(), nullptr, {{"net", opt_.get()}}};
  SMILE_ASSIGN_OR_RETURN(auto meta, LoadTrainerState(path, parts));
  SMILE_ASSIGN_OR_RETURN(iteration_, MetadataInt(meta, "iteration"));
  return meta;
}

Status AttrTrainer::ExportModel(const std::string& path) {
  models::CheckpointExtras extras;
  for (auto a : models::kAttributeNames) extras.attributes.emplace_back(a);
  extras.metadata["iteration"] = std::to_string(iteration_);
  extras.metadata["input"] = spec_.mask_input ? "one-hot label map" : "RGB image";
  extras.metadata["outputs"] = "6 logits; > 0 = Female, Eyeglasses, Much_Hair, Bangs, Earrings, Hat";
  if (!label_source_.empty()) extras.metadata["labels"] = label_source_;
  return models::SaveCheckpoint(path, models::kKindAttr, config_, *net_, extras);
}

}  // namespace smile::training
