// AttrTrainer: trains models/attr_net (MobileNetV2-style attribute classifier) with
// binary cross-entropy on the six SMILE attributes, counting only the known labels of
// each sample (CelebA attribute file values, or those derived from the label map;
// Gender is unknown without the file and then never trained). Adam, lr 1e-3.
// Resumable state kind "attr_train"; the exported checkpoint has kind "attr".
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <torch/torch.h>

#include "core/status.h"
#include "models/attr_net.h"
#include "models/attributes.h"
#include "models/config.h"

namespace smile::training {

inline constexpr const char* kKindAttrTrain = "attr_train";

struct AttrTrainOptions {
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.999;
  double weight_decay = 4e-5;
  uint64_t seed = 0;
};

class AttrTrainer {
 public:
  // `config` carries the network spec in its extra keys (models::StoreAttrSpec).
  AttrTrainer(const models::ModelConfig& config, const AttrTrainOptions& options, torch::Device device);

  // images (N,3,H,W) in [-1,1] and labels (N,H,W) (the network uses the one its spec
  // asks for), targets (N,6) int64 choice 0/1 or -1 unknown. Returns bce, accuracy
  // (known labels of the batch) and known (share of known labels).
  std::map<std::string, double> Step(const torch::Tensor& images, const torch::Tensor& labels,
                                     const torch::Tensor& targets);
  // The network's input for a batch (image, or one-hot of the labels).
  torch::Tensor Input(const torch::Tensor& images, const torch::Tensor& labels) const;
  // Recomputes the BatchNorm running statistics for the current weights from `passes`
  // train-mode forward passes over this batch without gradients ("precise BN"): after a
  // short run at a high learning rate the running averages lag behind the weights.
  void RefreshBatchNorm(const torch::Tensor& images, const torch::Tensor& labels, int passes = 30);
  // Eval-mode probabilities (N,6).
  torch::Tensor Predict(const torch::Tensor& images, const torch::Tensor& labels);
  int64_t iteration() const { return iteration_; }
  void set_gradient_sync(std::function<void(torch::optim::Optimizer&)> sync) { sync_ = std::move(sync); }

  Status SaveState(const std::string& path, const std::map<std::string, std::string>& metadata = {});
  Result<std::map<std::string, std::string>> LoadState(const std::string& path);
  // Inference checkpoint, kind "attr"; `label_source` (e.g. "CelebA attribute file" or
  // "derived from masks") is recorded in the metadata.
  Status ExportModel(const std::string& path);
  void set_label_source(std::string s) { label_source_ = std::move(s); }

  models::AttrNet& network() { return net_; }
  const models::AttrNetSpec& spec() const { return spec_; }

 private:
  models::ModelConfig config_;
  models::AttrNetSpec spec_;
  AttrTrainOptions options_;
  torch::Device device_;
  models::AttrNet net_{nullptr};
  std::unique_ptr<torch::optim::Adam> opt_;
  int64_t iteration_ = 0;
  std::string label_source_;
  std::function<void(torch::optim::Optimizer&)> sync_;
};

}  // namespace smile::training
