// SynthTrainer: one training iteration of the SMILE semantic synthesis stage
// (StyleGAN2 + SAC), following the paper and the StyleGAN2 recipe:
//   - iterations alternate RANDOM steps (style matrix from the mapping network) and
//     REFERENCE steps (style matrix from the style encoder on the real image);
//   - non-saturating adversarial loss, logistic D loss, lazy R1 (gamma 10, every 16),
//     path-length regularisation (weight 2, every 4, on random steps), EMA generator;
//   - feature matching (lambda 10) and an optional L1 reconstruction on reference steps
//     (the L1 term is what per-identity fitting leans on; the paper recipe sets it to 0).
// The discriminator sees RGB concatenated with the one-hot mask (conditional).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>

#include <torch/torch.h>

#include "core/status.h"
#include "models/config.h"
#include "models/synthesis.h"
#include "training/losses.h"

namespace smile::training {

struct SynthBatch {
  torch::Tensor images;  // (N,3,S,S) float in [-1,1]
  torch::Tensor masks;   // (N,C,S,S) one-hot float (+ config.synth_geometry_channels geometry channels after them)
  torch::Tensor l1_weights;  // optional (N,1,S,S) per-pixel weights of the L1 term (fit: heads count more)
  // Optional: reference steps encode the style from these images + masks instead of the
  // targets'. Fitting passes OTHER frames of the same person, so the generator learns to
  // render any frame from its mask and a style that is not that frame's own, which is what
  // a job does with the identity's one fixed style matrix.
  torch::Tensor style_images, style_masks;
};

struct SynthTrainOptions {
  double lr = 0.002;
  double beta1 = 0.0, beta2 = 0.99;
  int r1_every = 16;
  double r1_gamma = 10.0;
  int pl_every = 4;
  double pl_weight = 2.0;
  double lambda_feat = 10.0;
  double lambda_l1 = 0.0;         // reconstruction on reference steps (fit: 10)
  // The reconstruction term on squared instead of absolute errors (logged as g_l1 either
  // way): squared errors pull uncertain pixels to their mean, which is what PSNR rewards.
  bool recon_l2 = false;
  double ema_beta = 0.999;
  // EMA ramp-up (StyleGAN2's ema_rampup): the averaging horizon is at most this share of
  // the iterations done so far (beta_t = min(ema_beta, 1 - 1 / (1 + rampup * t))), so a
  // short run's EMA does not lag behind its first improvements. 0 = off.
  double ema_rampup = 0.0;
  bool reference_every_step = false;  // fit: every step is a reference step
  // false: reconstruction-only steps (style encoder + generator under the L1 term, no
  // discriminator pass), about 3x cheaper; fitting starts this way and adds the adversarial
  // and feature-matching terms for the rest of its budget.
  bool adversarial = true;
  double recon_beta1 = 0.9;
  double recon_lr = 0.004;
  uint64_t seed = 0;
  // Mixed precision: forward passes under bf16 autocast (training/autocast.h); weights,
  // optimiser moments and losses stay fp32.
  bool bf16 = false;
};

class SynthTrainer {
 public:
  SynthTrainer(const models::ModelConfig& config, const SynthTrainOptions& options, torch::Device device);

  // One generator + discriminator iteration; returns the named losses.
  std::map<std::string, double> Step(const SynthBatch& batch);
  int64_t iteration() const { return iteration_; }
  // Called with each optimiser right before its step (distributed: averages gradients).
  void set_gradient_sync(std::function<void(torch::optim::Optimizer&)> sync) { sync_ = std::move(sync); }
  // Switches between reconstruction-only and adversarial steps; reconstruction steps use
  // Adam with momentum (beta1 `recon_beta1`), adversarial ones the StyleGAN2 betas.
  void set_adversarial(bool on);
  double EmaBeta() const;  // the EMA decay used at the current iteration
  bool IsReferenceStep(int64_t iteration) const;

  // Renders `masks` with styles encoded from `images` using the EMA networks (eval mode).
  torch::Tensor Reconstruct(const torch::Tensor& images, const torch::Tensor& masks);

  models::SynthesisNetwork& network() { return net_; }
  models::SynthesisNetwork& ema() { return ema_; }
  models::SynthesisDiscriminator& discriminator() { return disc_; }
  torch::optim::Adam& g_optimizer() { return *g_opt_; }
  torch::optim::Adam& d_optimizer() { return *d_opt_; }
  void set_iteration(int64_t it) { iteration_ = it; }
  double mean_path_length() const { return path_state_.mean_path_length; }
  void set_mean_path_length(double v) { path_state_.mean_path_length = v; }

  // Full resumable state (networks, EMA, both Adam states, iteration, path-length mean,
  // torch RNG) plus the caller's metadata (e.g. the loader position), written atomically.
  Status SaveState(const std::string& path, const std::map<std::string, std::string>& metadata = {});
  // Restores a SaveState file written with the same config; returns its metadata.
  Result<std::map<std::string, std::string>> LoadState(const std::string& path);
  // Inference checkpoint (kind "synth") of the EMA network.
  Status ExportModel(const std::string& path);

 private:
  torch::Tensor StyleFor(const SynthBatch& batch, bool reference, models::SynthesisNetwork& net);

  models::ModelConfig config_;
  SynthTrainOptions options_;
  torch::Device device_;
  models::SynthesisNetwork net_{nullptr}, ema_{nullptr};
  models::SynthesisDiscriminator disc_{nullptr};
  std::unique_ptr<torch::optim::Adam> g_opt_, d_opt_;
  int64_t iteration_ = 0;
  std::function<void(torch::optim::Optimizer&)> sync_;
  PathLengthState path_state_;
};

}  // namespace smile::training
