#include "training/parser_trainer.h"

#include "models/checkpoint.h"
#include "training/autocast.h"
#include "training/ema.h"
#include "training/labels.h"
#include "training/losses.h"
#include "training/seg_metrics.h"
#include "training/trainer_state.h"

namespace smile::training {
namespace {
namespace F = torch::nn::functional;
}

ParserTrainer::ParserTrainer(const models::ModelConfig& config, const ParserTrainOptions& options, torch::Device device)
    : config_(config), options_(options), device_(device) {
  torch::manual_seed(options.seed);
  net_ = models::ParserNet(config);
  net_->to(device);
  auto o = torch::optim::AdamOptions(options.lr).betas({options.beta1, options.beta2}).weight_decay(options.weight_decay);
  opt_ = std::make_unique<torch::optim::Adam>(net_->parameters(), o);
}

std::pair<torch::Tensor, torch::Tensor> ParserTrainer::Resize(const torch::Tensor& images,
                                                               const torch::Tensor& labels) const {
  auto x = images.to(device_);
  auto y = labels.defined() ? labels.to(device_).to(torch::kLong) : labels;
  const int64_t s = config_.parser_size;
  if (x.size(2) != s || x.size(3) != s) {
    x = F::interpolate(x, F::InterpolateFuncOptions().size(std::vector<int64_t>{s, s}).mode(torch::kBilinear).align_corners(false));
    if (y.defined())
      y = F::interpolate(y.unsqueeze(1).to(torch::kFloat32),
                         F::InterpolateFuncOptions().size(std::vector<int64_t>{s, s}).mode(torch::kNearest))
              .squeeze(1)
              .to(torch::kLong);
  }
  return {x, y};
}

std::map<std::string, double> ParserTrainer::Step(const torch::Tensor& images, const torch::Tensor& labels) {
  auto [x, y] = Resize(images, labels);
  net_->train();
  const int64_t parts = std::max<int64_t>(1, options_.micro_batches);
  TORCH_CHECK(x.size(0) % parts == 0, "parser step: batch ", x.size(0), " is not divisible into ", parts,
              " micro-batches");
  const int64_t n = x.size(0) / parts;
  // BatchNorm running statistics: every part starts from the same values and the results
  // are averaged (what averaging them over data-parallel processes gives).
  std::vector<torch::Tensor> buffers, start, sum;
  if (parts > 1) {
    for (auto& b : net_->buffers())
      if (b.is_floating_point()) {
        buffers.push_back(b);
        start.push_back(b.detach().clone());
        sum.push_back(torch::zeros_like(b));
      }
  }
  ClearGradients(*opt_);
  double ce_sum = 0, dice_sum = 0, loss_sum = 0, miou_sum = 0;
  for (int64_t k = 0; k < parts; ++k) {
    auto xk = parts > 1 ? x.slice(0, k * n, (k + 1) * n) : x;
    auto yk = parts > 1 ? y.slice(0, k * n, (k + 1) * n) : y;
    if (parts > 1) {
      torch::NoGradGuard ng;
      for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(start[i]);
    }
    torch::Tensor logits;
    {
      AutocastScope amp(options_.bf16, device_);
      logits = net_->forward(xk);
    }
    logits = logits.to(torch::kFloat);  // losses in fp32 (a no-op without mixed precision)
    auto ce = MaskCrossEntropy(logits, yk);
    auto dice = MaskDiceLoss(logits, yk, config_.num_classes);
    auto loss = ce + options_.dice_weight * dice;
    (parts > 1 ? loss / static_cast<double>(parts) : loss).backward();
    ce_sum += ce.item<double>();
    dice_sum += dice.item<double>();
    loss_sum += loss.item<double>();
    miou_sum += MeanIoUPresent(logits.detach().argmax(1), yk, config_.num_classes);
    if (parts > 1) {
      torch::NoGradGuard ng;
      for (size_t i = 0; i < buffers.size(); ++i) sum[i].add_(buffers[i]);
    }
  }
  if (parts > 1) {
    torch::NoGradGuard ng;
    for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(sum[i] / static_cast<double>(parts));
  }
  if (sync_) sync_(*opt_);
  opt_->step();
  ++iteration_;
  const double p = static_cast<double>(parts);
  return {{"ce", ce_sum / p}, {"dice", dice_sum / p}, {"loss", loss_sum / p}, {"miou", miou_sum / p}};
}

torch::Tensor ParserTrainer::Predict(const torch::Tensor& images) {
  torch::NoGradGuard ng;
  auto x = Resize(images, {}).first;
  const bool was_training = net_->is_training();
  net_->eval();
  auto pred = net_->forward(x).argmax(1);
  net_->train(was_training);
  return pred;
}

double ParserTrainer::MeanIoU(const torch::Tensor& images, const torch::Tensor& labels) {
  auto y = Resize(images, labels).second;
  return MeanIoUPresent(Predict(images), y, config_.num_classes);
}

Status ParserTrainer::SaveState(const std::string& path, const std::map<std::string, std::string>& metadata) {
  auto meta = metadata;
  meta["iteration"] = std::to_string(iteration_);
  TrainerStateParts parts{kKindParserTrain, config_, net_.get(), nullptr, {{"net", opt_.get()}}};
  return SaveTrainerState(path, parts, meta);
}

Result<std::map<std::string, std::string>> ParserTrainer::LoadState(const std::string& path) {
  TrainerStateParts parts{kKindParserTrain, config_, net_.get(), nullptr, {{"net", opt_.get()}}};
  SMILE_ASSIGN_OR_RETURN(auto meta, LoadTrainerState(path, parts));
  SMILE_ASSIGN_OR_RETURN(iteration_, MetadataInt(meta, "iteration"));
  return meta;
}

Status ParserTrainer::InitFrom(const std::string& path) {
  SMILE_ASSIGN_OR_RETURN(models::Checkpoint ck, models::LoadCheckpoint(path, models::kKindParser));
  return ck.LoadInto(*net_).WithContext("--init '" + path + "' (a parser checkpoint of the same --config)");
}

Status ParserTrainer::ExportModel(const std::string& path) {
  models::CheckpointExtras extras;
  for (const auto& n : LabelNames()) extras.labels.push_back(n);
  extras.metadata["iteration"] = std::to_string(iteration_);
  return models::SaveCheckpoint(path, models::kKindParser, config_, *net_, extras);
}

}  // namespace smile::training
