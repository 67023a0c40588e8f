// ParserTrainer: trains models/parser_net (RGB -> 19-class logits) with
// cross-entropy + soft Dice over the classes present in the batch; Adam.
// Images arrive at any size and are resized to config.parser_size (bilinear;
// labels nearest) so the loader can run at the parser's resolution directly.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include <torch/torch.h>

#include "core/status.h"
#include "models/config.h"
#include "models/parser_net.h"

namespace smile::training {

struct ParserTrainOptions {
  double lr = 2e-3;
  double beta1 = 0.9, beta2 = 0.999;
  double weight_decay = 0.0;
  double dice_weight = 1.0;
  uint64_t seed = 0;
  // Splits each batch into this many equal parts whose gradients are averaged, each part
  // with its own BatchNorm statistics and Dice sums, and BatchNorm running statistics
  // averaged over the parts: exactly what `micro_batches` data-parallel processes with
  // one part each compute (the single-process reference of distributed training).
  int micro_batches = 1;
  // Mixed precision: the forward pass under bf16 autocast (training/autocast.h); weights,
  // BatchNorm statistics, optimiser moments and losses stay fp32.
  bool bf16 = false;
};

class ParserTrainer {
 public:
  ParserTrainer(const models::ModelConfig& config, const ParserTrainOptions& options, torch::Device device);

  // images (N,3,H,W) in [-1,1], labels (N,H,W) class ids. Returns ce, dice, loss, miou (on the batch).
  std::map<std::string, double> Step(const torch::Tensor& images, const torch::Tensor& labels);
  // Eval-mode prediction (N,S,S) int64 at parser_size and its mean IoU (present classes).
  torch::Tensor Predict(const torch::Tensor& images);
  double MeanIoU(const torch::Tensor& images, const torch::Tensor& labels);
  int64_t iteration() const { return iteration_; }
  // Called with the optimiser right before each step (distributed: averages gradients).
  void set_gradient_sync(std::function<void(torch::optim::Optimizer&)> sync) { sync_ = std::move(sync); }

  Status SaveState(const std::string& path, const std::map<std::string, std::string>& metadata = {});
  Result<std::map<std::string, std::string>> LoadState(const std::string& path);
  Status ExportModel(const std::string& path);  // kind "parser"
  // Starts from the weights (and BatchNorm statistics) of a parser checkpoint of the same config
  // (fine-tuning, e.g. on another parser's labels); the optimiser starts afresh.
  Status InitFrom(const std::string& path);

  models::ParserNet& network() { return net_; }
  torch::optim::Adam& optimizer() { return *opt_; }

 private:
  std::pair<torch::Tensor, torch::Tensor> Resize(const torch::Tensor& images, const torch::Tensor& labels) const;

  models::ModelConfig config_;
  ParserTrainOptions options_;
  torch::Device device_;
  models::ParserNet net_{nullptr};
  std::unique_ptr<torch::optim::Adam> opt_;
  int64_t iteration_ = 0;
  std::function<void(torch::optim::Optimizer&)> sync_;
};

}  // namespace smile::training
