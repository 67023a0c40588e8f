#include "training/synth_trainer.h"

#include <cmath>

#include "models/checkpoint.h"
#include "training/autocast.h"
#include "training/ema.h"
#include "training/trainer_state.h"

namespace smile::training {
namespace {

// Adam for a lazily regularised network: lr and betas scaled by every / (every + 1) (StyleGAN2).
std::unique_ptr<torch::optim::Adam> MakeAdam(std::vector<torch::Tensor> params, const SynthTrainOptions& o,
                                             int reg_every) {
  double ratio = reg_every > 0 ? static_cast<double>(reg_every) / (reg_every + 1) : 1.0;
  auto opts = torch::optim::AdamOptions(o.lr * ratio).betas({std::pow(o.beta1, ratio), std::pow(o.beta2, ratio)});
  return std::make_unique<torch::optim::Adam>(std::move(params), opts);
}

// Mean absolute (or, with `squared`, squared) error, weighted per pixel when the batch carries
// weights.
torch::Tensor WeightedReconError(const torch::Tensor& fake, const SynthBatch& batch, bool squared) {
  auto diff = squared ? (fake - batch.images).square() : (fake - batch.images).abs();
  if (!batch.l1_weights.defined()) return diff.mean();
  return (diff * batch.l1_weights).sum() / (batch.l1_weights.sum() * diff.size(1)).clamp_min(1e-8);
}

}  // namespace

SynthTrainer::SynthTrainer(const models::ModelConfig& config, const SynthTrainOptions& options, torch::Device device)
    : config_(config), options_(options), device_(device) {
  torch::manual_seed(options.seed);
  net_ = models::SynthesisNetwork(config);
  ema_ = models::SynthesisNetwork(config);
  // The discriminator sees the generator's whole mask input: classes and any geometry channels.
  disc_ = models::SynthesisDiscriminator(config, 3 + config.num_classes + config.synth_geometry_channels);
  net_->to(device);
  ema_->to(device);
  disc_->to(device);
  CopyWeights(*net_, *ema_);
  SetRequiresGrad(*ema_, false);
  ema_->eval();
  g_opt_ = MakeAdam(net_->parameters(), options, options.pl_weight > 0 ? options.pl_every : 0);
  d_opt_ = MakeAdam(disc_->parameters(), options, options.r1_every);
  if (!options.adversarial) set_adversarial(false);
}

double SynthTrainer::EmaBeta() const {
  if (options_.ema_rampup <= 0) return options_.ema_beta;
  return std::min(options_.ema_beta, 1.0 - 1.0 / (1.0 + options_.ema_rampup * static_cast<double>(iteration_)));
}

void SynthTrainer::set_adversarial(bool on) {
  options_.adversarial = on;
  for (auto& group : g_opt_->param_groups()) {
    auto& o = static_cast<torch::optim::AdamOptions&>(group.options());
    const double ratio = options_.pl_weight > 0 && options_.pl_every > 0
                             ? static_cast<double>(options_.pl_every) / (options_.pl_every + 1)
                             : 1.0;
    if (on) {
      o.lr(options_.lr * ratio).betas({std::pow(options_.beta1, ratio), std::pow(options_.beta2, ratio)});
    } else {
      o.lr(options_.recon_lr).betas({options_.recon_beta1, options_.beta2});
    }
  }
}

bool SynthTrainer::IsReferenceStep(int64_t iteration) const {
  return options_.reference_every_step || iteration % 2 == 1;
}

torch::Tensor SynthTrainer::StyleFor(const SynthBatch& batch, bool reference, models::SynthesisNetwork& net) {
  const int64_t n = batch.images.size(0);
  auto random = net->mapping->Sample(n, device_);
  if (!reference) return random;
  auto encoded = batch.style_images.defined() ? net->encoder->forward(batch.style_images, batch.style_masks)
                                              : net->encoder->forward(batch.images, batch.masks.narrow(1, 0, net->config.num_classes));
  return models::FillAbsentStyles(encoded, random);
}

std::map<std::string, double> SynthTrainer::Step(const SynthBatch& in) {
  SynthBatch batch{in.images.to(device_), in.masks.to(device_),
                   in.l1_weights.defined() ? in.l1_weights.to(device_) : torch::Tensor(),
                   in.style_images.defined() ? in.style_images.to(device_) : torch::Tensor(),
                   in.style_masks.defined() ? in.style_masks.to(device_) : torch::Tensor()};
  std::map<std::string, double> losses;
  const bool reference = IsReferenceStep(iteration_);
  net_->train();
  disc_->train();
  if (!options_.adversarial) {
    torch::Tensor fake;
    {
      AutocastScope amp(options_.bf16, device_);
      fake = net_->generator->forward(batch.masks, StyleFor(batch, /*reference=*/true, net_));
    }
    auto l1 = WeightedReconError(fake.to(torch::kFloat), batch, options_.recon_l2);
    ClearGradients(*g_opt_);
    l1.backward();
    if (sync_) sync_(*g_opt_);
    g_opt_->step();
    losses["g_l1"] = l1.item<double>();
    AccumulateEma(*ema_, *net_, EmaBeta());
    ++iteration_;
    return losses;
  }

  // Discriminator.
  SetRequiresGrad(*disc_, true);
  torch::Tensor fake, real_logits, fake_logits;
  {
    AutocastScope amp(options_.bf16, device_);
    {
      torch::NoGradGuard no_grad;
      fake = net_->generator->forward(batch.masks, StyleFor(batch, reference, net_));
    }
    real_logits = disc_->forward(torch::cat({batch.images, batch.masks}, 1)).to(torch::kFloat);
    fake_logits = disc_->forward(torch::cat({fake, batch.masks}, 1)).to(torch::kFloat);
  }
  auto d_loss = DiscriminatorLogisticLoss(real_logits, fake_logits);
  ClearGradients(*d_opt_);
  d_loss.backward();
  if (sync_) sync_(*d_opt_);
  d_opt_->step();
  losses["d"] = d_loss.item<double>();
  losses["real_score"] = real_logits.mean().item<double>();
  losses["fake_score"] = fake_logits.mean().item<double>();

  if (options_.r1_every > 0 && iteration_ % options_.r1_every == 0) {
    auto real = batch.images.detach().requires_grad_(true);
    torch::Tensor logits;
    {
      AutocastScope amp(options_.bf16, device_);
      logits = disc_->forward(torch::cat({real, batch.masks}, 1)).to(torch::kFloat);
    }
    auto r1 = R1Penalty(logits, real);
    ClearGradients(*d_opt_);
    (options_.r1_gamma / 2 * r1 * options_.r1_every + 0 * logits[0]).sum().backward();
    if (sync_) sync_(*d_opt_);
    d_opt_->step();
    losses["r1"] = r1.item<double>();
  }

  // Generator (+ mapping + style encoder).
  SetRequiresGrad(*disc_, false);
  torch::Tensor logits;
  std::vector<torch::Tensor> fake_features, real_features;
  {
    AutocastScope amp(options_.bf16, device_);
    fake = net_->generator->forward(batch.masks, StyleFor(batch, reference, net_));
    std::tie(logits, fake_features) = disc_->ForwardWithFeatures(torch::cat({fake, batch.masks}, 1));
    if (reference) {
      torch::NoGradGuard no_grad;
      real_features = disc_->ForwardWithFeatures(torch::cat({batch.images, batch.masks}, 1)).second;
    }
  }
  // Losses in fp32 (a no-op without mixed precision).
  fake = fake.to(torch::kFloat);
  logits = logits.to(torch::kFloat);
  for (auto& f : fake_features) f = f.to(torch::kFloat);
  for (auto& f : real_features) f = f.to(torch::kFloat);
  auto g_loss = GeneratorNonSaturatingLoss(logits);
  losses["g_adv"] = g_loss.item<double>();
  if (reference) {
    auto fm = FeatureMatchingLoss(fake_features, real_features);
    g_loss = g_loss + options_.lambda_feat * fm;
    losses["g_feat"] = fm.item<double>();
    if (options_.lambda_l1 > 0) {
      auto l1 = WeightedReconError(fake, batch, options_.recon_l2);
      g_loss = g_loss + options_.lambda_l1 * l1;
      losses["g_l1"] = l1.item<double>();
    }
  }
  ClearGradients(*g_opt_);
  g_loss.backward();
  if (sync_) sync_(*g_opt_);
  g_opt_->step();
  losses["g"] = g_loss.item<double>();

  if (options_.pl_weight > 0 && options_.pl_every > 0 && iteration_ % options_.pl_every == 0) {
    const int64_t n = std::max<int64_t>(1, batch.images.size(0) / 2);
    torch::Tensor pl_style, pl_images;
    {
      AutocastScope amp(options_.bf16, device_);
      pl_style = net_->mapping->Sample(n, device_);
      pl_images = net_->generator->forward(batch.masks.slice(0, 0, n), pl_style).to(torch::kFloat);
    }
    auto pl = PathLengthPenalty(pl_images, pl_style, &path_state_);
    ClearGradients(*g_opt_);
    (options_.pl_weight * options_.pl_every * pl + 0 * pl_images[0][0][0][0]).backward();
    if (sync_) sync_(*g_opt_);
    g_opt_->step();
    losses["path"] = pl.item<double>();
  }

  AccumulateEma(*ema_, *net_, EmaBeta());
  ++iteration_;
  return losses;
}

torch::Tensor SynthTrainer::Reconstruct(const torch::Tensor& images, const torch::Tensor& masks) {
  torch::NoGradGuard no_grad;
  ema_->eval();
  auto imgs = images.to(device_);
  auto m = masks.to(device_);
  auto encoded = ema_->encoder->forward(imgs, m);
  auto style = models::FillAbsentStyles(encoded, ema_->mapping->Sample(1, device_));
  return ema_->generator->forward(m, style, ema_->generator->MakeNoise(0));
}

Status SynthTrainer::SaveState(const std::string& path, const std::map<std::string, std::string>& metadata) {
  ModuleGroup group;
  group.Add("net", net_);
  group.Add("disc", disc_);
  auto meta = metadata;
  meta["iteration"] = std::to_string(iteration_);
  meta["mean_path_length"] = ExactDouble(path_state_.mean_path_length);
  TrainerStateParts parts{kKindSynthTrain, config_, &group, ema_.get(), {{"g", g_opt_.get()}, {"d", d_opt_.get()}}};
  return SaveTrainerState(path, parts, meta);
}

Result<std::map<std::string, std::string>> SynthTrainer::LoadState(const std::string& path) {
  ModuleGroup group;
  group.Add("net", net_);
  group.Add("disc", disc_);
  TrainerStateParts parts{kKindSynthTrain, config_, &group, ema_.get(), {{"g", g_opt_.get()}, {"d", d_opt_.get()}}};
  SMILE_ASSIGN_OR_RETURN(auto meta, LoadTrainerState(path, parts));
  SMILE_ASSIGN_OR_RETURN(int64_t it, MetadataInt(meta, "iteration"));
  auto pl = meta.count("mean_path_length") ? ParseExactDouble(meta["mean_path_length"])
                                           : Result<double>(Corrupt("no mean_path_length"));
  if (!pl.ok()) return pl.status().WithContext("checkpoint '" + path + "'");
  iteration_ = it;
  path_state_.mean_path_length = *pl;
  return meta;
}

Status SynthTrainer::ExportModel(const std::string& path) {
  models::CheckpointExtras extras;
  extras.metadata["iteration"] = std::to_string(iteration_);
  extras.metadata["weights"] = "EMA";
  return models::SaveCheckpoint(path, models::kKindSynth, config_, *ema_, extras);
}

}  // namespace smile::training
