// ManipTrainer: one training iteration of the SMILE semantic manipulation stage
// (mask -> mask, StarGANv2-like), following SMILE_SPEC / the paper (eq. 7) and the
// StarGANv2 recipe:
//   - every iteration: D on a latent-guided fake, D on a reference-guided fake,
//     G on a latent-guided step (updates G, mapping and style encoder), G on a
//     reference-guided step (updates G only), then EMA of G, mapping and E (0.999);
//   - D: non-saturating (BCE) real/fake on the logit of each attribute's chosen domain,
//     R1 on reals (weight 1, 0.5 * sum grad^2);
//   - G: adversarial + style reconstruction L1 (1) + cycle cross-entropy on the mask (1)
//     with the source style DETACHED + diversity (20, linearly decayed to 0 over
//     ds_iters) between two fakes of different styles (the second detached);
//   - Adam lr 1e-4 (mapping 1e-6), betas (0, 0.99), weight decay 1e-4.
// Masks are one-hot (real) or softmax of the generator's logits (fake) at manip_size.
// Domains: a sample's choices (N,6) come from the CelebA file or its mask (training/
// attributes); unknown ones (-1, e.g. gender without the file) are left out of the real
// adversarial term and drawn at random where a style must be picked. EditBatch()
// moves samples into domains they lack with training/mask_edit and counts how many
// of each domain were real, derived or edited.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <torch/torch.h>

#include "core/status.h"
#include "models/attributes.h"
#include "models/config.h"
#include "models/manip.h"

namespace smile::training {

struct ManipBatch {
  torch::Tensor labels;   // (N,S,S) int64 class ids, S = config.manip_size
  torch::Tensor choices;  // (N,6) int64 domain choice per attribute, -1 unknown
};

struct ManipTrainOptions {
  double lr = 1e-4;
  double mapping_lr = 1e-6;
  double beta1 = 0.0, beta2 = 0.99;
  double weight_decay = 1e-4;
  double lambda_r1 = 1.0;
  double lambda_sty = 1.0;
  double lambda_cyc = 1.0;
  double lambda_ds = 20.0;
  int64_t ds_iters = 100000;  // diversity weight reaches 0 here (set to the run's --iters)
  double ema_beta = 0.999;
  // Mixed precision: forward passes under bf16 autocast (training/autocast.h); weights,
  // optimiser moments, EMA and losses stay fp32.
  bool bf16 = false;
  uint64_t seed = 0;
};

// Where each domain's samples came from (what the training log reports).
struct DomainTally {
  std::array<int64_t, models::kNumDomains> real{}, derived{}, edited{};
  int64_t samples = 0;
  std::string ToString() const;  // one line per domain: "Eyeglasses: 3 real, 10 derived, 41 edited"
};

// For each sample, with probability `probability`, edits its label map towards a domain
// it lacks (eyeglasses, bangs, earrings, hat or their absence) and re-derives those
// attributes. Deterministic in (seed, sample index). `attribute_real` (N,6) bool marks
// values from the CelebA file; counted into `tally` when given.
ManipBatch EditBatch(const torch::Tensor& labels, const torch::Tensor& choices, const torch::Tensor& attribute_real,
                     double probability, uint64_t seed, DomainTally* tally);

class ManipTrainer {
 public:
  ManipTrainer(const models::ModelConfig& config, const ManipTrainOptions& options, torch::Device device);

  std::map<std::string, double> Step(const ManipBatch& batch);
  int64_t iteration() const { return iteration_; }
  // Called with each optimiser right before its step (distributed: averages gradients).
  void set_gradient_sync(std::function<void(torch::optim::Optimizer&)> sync) { sync_ = std::move(sync); }
  double LambdaDs(int64_t iteration) const;

  // EMA networks, no gradients: translate `labels` to `choices` with a latent (z given
  // or drawn) -> predicted label map (N,S,S).
  torch::Tensor Translate(const torch::Tensor& labels, const torch::Tensor& choices, const torch::Tensor& z = {});
  // EMA networks: translate to random target choices, then back with the source style;
  // mean IoU (present classes) of the cycle reconstruction against the input.
  double CycleMeanIoU(const ManipBatch& batch, uint64_t seed = 7);

  Status SaveState(const std::string& path, const std::map<std::string, std::string>& metadata = {});
  Result<std::map<std::string, std::string>> LoadState(const std::string& path);
  // Inference checkpoint (kind "manip": generator + mapping + encoder, EMA weights).
  Status ExportModel(const std::string& path);

  models::ManipGenerator& generator() { return g_; }
  models::ManipMapping& mapping() { return f_; }
  models::ManipStyleEncoder& encoder() { return e_; }
  models::ManipDiscriminator& discriminator() { return d_; }

 private:
  torch::Tensor OneHot(const torch::Tensor& labels) const;
  torch::Tensor FillUnknown(const torch::Tensor& choices) const;
  torch::Tensor Latent(int64_t n) const;

  models::ModelConfig config_;
  ManipTrainOptions options_;
  torch::Device device_;
  models::ManipGenerator g_{nullptr}, g_ema_{nullptr};
  models::ManipMapping f_{nullptr}, f_ema_{nullptr};
  models::ManipStyleEncoder e_{nullptr}, e_ema_{nullptr};
  models::ManipDiscriminator d_{nullptr};
  std::unique_ptr<torch::optim::Adam> g_opt_, f_opt_, e_opt_, d_opt_;
  int64_t iteration_ = 0;
  std::function<void(torch::optim::Optimizer&)> sync_;
};

}  // namespace smile::training
