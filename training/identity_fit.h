// Per-identity fitting: trains the synthesis stage on one person's aligned face
// crops and masks (SMILE_SPEC "Data we have": a small network learns one person
// from their own clip in minutes on a CPU). Holds out a slice for evaluation,
// reports the held-out PSNR inside the head region as it improves, keeps the best
// EMA weights, and computes the identity's fixed style matrix.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include "core/status.h"
#include "models/config.h"
#include "models/synthesis.h"
#include "training/synth_trainer.h"

namespace smile::training {

struct FitSample {
  cv::Mat image;   // BGR, config.image_size square
  cv::Mat labels;  // CV_8U class ids, same size
};

struct FitOptions {
  double minutes = 20;        // wall-clock budget (0: only --iters)
  int64_t iters = 0;          // iteration budget (0: only minutes)
  int batch = 4;
  double holdout = 0.1;       // fraction of samples held out (every k-th)
  int eval_every = 50;        // iterations between held-out evaluations
  // Share of the budget (time or iterations) spent on reconstruction-only steps before
  // the adversarial + feature-matching terms join (1 = never, 0 = from the start).
  double recon_fraction = 0.7;
  double head_weight = 4.0;
  // Encode each training step's style from other random frames of the person rather than
  // from the target frame itself (see SynthBatch::style_images).
  bool cross_frame_style = true;
  // Mirror half of the batches (subject left/right swapped). Off by default: one person's
  // face and hair are not symmetric (parting, moles), and mirrored copies teach the network
  // two appearances for the same mask (d6, 300 iterations: training-crop PSNR 20.0 dB with
  // flips, 20.8 dB without; held-out 18.7 / 18.4 dB, within run-to-run noise).
  bool flip = false;
  // Few-shot: with fewer than this many samples (e.g. one photo) each sample is expanded by
  // paired augmentation (small scale / rotation / shift, no flip: the training loop flips)
  // to `augment_to` samples, and the figures are measured on the original photos, which
  // were trained on (FitResult::holdout_is_training).
  int few_shot_below = 8;
  int augment_to = 96;   // L1 weight of head pixels relative to the rest (the metric is the head)
  uint64_t seed = 0;
  SynthTrainOptions train;    // losses / optimiser (fit defaults set by DefaultFitOptions)
};

FitOptions DefaultFitOptions();

struct FitResult {
  models::SynthesisNetwork network{nullptr};  // best EMA weights (held-out PSNR)
  torch::Tensor style;                         // (1,C,D) identity style matrix
  torch::Tensor style_present;                 // (C) bool: classes seen in the training crops
  cv::Mat default_labels;                      // the training crop whose mask is closest to the mean
  int64_t iterations = 0;
  double seconds = 0;
  double best_psnr = 0;                        // held-out, head region, identity style matrix
  double best_psnr_own_style = 0;              // held-out, each frame's own encoded style
  double best_ssim = 0;
  int train_samples = 0, holdout_samples = 0;
  bool holdout_is_training = false;            // few-shot: no frame could be held out
  bool interrupted = false;
};

// Trains until the budget is spent or a stop is requested (the best model so far is kept).
// `on_progress(iteration, losses, held_out_psnr)` is called after every iteration.
Result<FitResult> FitIdentity(const std::vector<FitSample>& samples, const models::ModelConfig& config,
                              const FitOptions& options,
                              const std::function<void(int64_t, const std::map<std::string, double>&, double)>&
                                  on_progress = nullptr);

// Mean of the encoded styles over `samples` (present classes only); classes never present
// come from the mean of the mapping network.
torch::Tensor IdentityStyle(models::SynthesisNetwork& network, const std::vector<FitSample>& samples,
                            torch::Tensor* present = nullptr);

}  // namespace smile::training
