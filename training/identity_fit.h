// Per-identity fitting: trains the synthesis stage on one person's aligned face
// crops and masks (SMILE_SPEC "Data we have": a small network learns one person
// from their own clip in minutes on a CPU). Holds out a slice for evaluation,
// reports the held-out PSNR inside the head region as it improves, keeps the best
// EMA weights, and computes the identity's fixed style matrix.
#pragma once

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include "core/status.h"
#include "models/config.h"
#include "models/style_bank.h"
#include "models/synthesis.h"
#include "training/synth_trainer.h"

namespace smile::training {

struct FitSample {
  cv::Mat image;   // BGR, config.image_size square
  cv::Mat labels;  // CV_8U class ids, same size
  // config.synth_geometry_channels > 0: CV_32FC(that many) geometry channels of the same size
  // (engine/mesh_geometry.h); empty = all zero (no mesh found on this frame).
  cv::Mat geometry;
};

struct FitOptions {
  double minutes = 20;        // wall-clock budget (0: only --iters)
  int64_t iters = 0;          // iteration budget (0: only minutes)
  int batch = 4;
  double holdout = 0.1;       // fraction of samples held out (every k-th)
  int eval_every = 50;        // iterations between held-out evaluations
  // Share of the budget (time or iterations) spent on reconstruction-only steps before
  // the adversarial + feature-matching terms join (1 = never, 0 = from the start). 1 by
  // default: on every measured 15-minute fit (d14 x7, d10 x2, d3) the kept, best held-out
  // model came from the reconstruction phase or within 0.15 dB of it, and the adversarial
  // phase lowered the held-out PSNR by 0.3-0.5 dB, so its share of the budget was lost.
  double recon_fraction = 1.0;
  double head_weight = 4.0;
  // Share of the training samples whose style is encoded from the target frame itself; the
  // rest take it from another random frame of the person (SynthBatch::style_images). Other
  // frames teach the generator to render any frame from the person's one style; its own frame
  // lets the style carry what the mask cannot (gaze, teeth), which the style bank then supplies.
  double self_style = 0.0;
  // Style bank: encode this many training crops (evenly spaced; 0 = no bank) and pick each
  // frame's style from them by mask similarity (models::StyleBank).
  int bank_size = 0;
  // Share of training samples moved by a small random similarity (scale 0.94-1.06, rotation
  // +-6 degrees, shift +-5 %), image, mask and geometry together (AugmentBatch), so the generator
  // learns rules that hold anywhere in the crop instead of the exact layouts of neighbouring
  // frames. `smile fit` defaults to 0.3: it delays the overfitting that ends long fits (d14 with
  // geometry, 60 minutes on 2 cores: 28.11 dB held out, where fits without it peak at 26.54 and fall).
  double augment = 0.0;
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
  // Resumable state: the trainer (networks, EMA, discriminator, Adam states, RNGs), the
  // fit's own counters and the best weights so far (`state_path` + ".best"), written every
  // `state_every` iterations, when stopped and at the end. With `resume`, a fit continues
  // from it; --minutes / --iters then count the whole fit, the resumed part included.
  std::string state_path;
  bool resume = false;
  int state_every = 100;
  SynthTrainOptions train;    // losses / optimiser (fit defaults set by DefaultFitOptions)
  // Fine-tuning: start from these synthesis weights (same config; e.g. another identity's
  // model or a general `smile train synth` model) instead of from scratch. Null: from scratch.
  // Ignored when resuming (the state holds the weights). The discriminator and Adam states
  // start fresh.
  models::SynthesisNetwork base{nullptr};
};

FitOptions DefaultFitOptions();

// How many samples of a clip FitIdentity holds out (the last ones): `holdout` of them, at least 1.
size_t HoldoutCount(size_t samples, double holdout);

struct FitResult {
  models::SynthesisNetwork network{nullptr};  // best EMA weights (held-out PSNR)
  torch::Tensor style;                         // (1,C,D) identity style matrix
  torch::Tensor style_present;                 // (C) bool: classes seen in the training crops
  cv::Mat default_labels;                      // the training crop whose mask is closest to the mean
  int64_t iterations = 0;
  double seconds = 0;
  double best_psnr = 0;                        // held-out, head region, as jobs render: bank if any, else the mean style
  double best_psnr_own_style = 0;              // held-out, each frame's own encoded style
  double best_psnr_fixed = 0;                  // held-out, the one mean style (= best_psnr without a bank)
  models::StyleBank bank;                      // empty unless FitOptions::bank_size > 0
  double best_ssim = 0;
  int train_samples = 0, holdout_samples = 0;
  bool holdout_is_training = false;            // few-shot: no frame could be held out
  bool interrupted = false;
  int64_t resumed_from = 0;                    // iteration the fit resumed at (0: fresh)
  double base_psnr = NAN;                      // held-out PSNR of FitOptions::base before fitting (NaN: no base)
  // How new the held-out crops are: each held-out crop's best head-region PSNR against any
  // training crop (what showing the closest training frame would score), averaged; NaN for
  // few-shot fits. A model that only recalls its training frames scores about this.
  double holdout_nearest_train_psnr = NAN;
};

// The mean over `held` of the best head-region PSNR (HeadRegion of the held-out mask) of any
// crop in `train` against it (NaN when either is empty).
double NearestTrainingPsnr(const std::vector<FitSample>& train, const std::vector<FitSample>& held);

// Moves a random `share` of a batch, each sample by its own small random similarity (FitOptions::
// augment): images [N,3,H,W] bilinear with border padding, labels [N,H,W] (long) nearest, and the
// geometry channels [N,G,H,W] (when defined) nearest with zeros outside, so that each moved pixel
// keeps its class and its point on the canonical face. Samples not drawn go through the identity
// grid (the same values up to float rounding; labels exactly); a batch with none drawn is untouched.
void AugmentBatch(torch::Tensor* images, torch::Tensor* labels, torch::Tensor* geometry, double share,
                  std::mt19937_64& rng);

// Trains until the budget is spent or a stop is requested (the best model so far is kept).
// `on_progress(iteration, losses, held_out_psnr)` is called after every iteration.
Result<FitResult> FitIdentity(const std::vector<FitSample>& samples, const models::ModelConfig& config,
                              const FitOptions& options,
                              const std::function<void(int64_t, const std::map<std::string, double>&, double)>&
                                  on_progress = nullptr);

// Mean of the encoded styles over `samples` (present classes only); classes never present
// come from the mean of the mapping network.
// Bank of the styles of up to `size` evenly spaced samples (absent classes from `identity_style`).
models::StyleBank BuildStyleBank(models::SynthesisNetwork& network, const std::vector<FitSample>& samples,
                                 const torch::Tensor& identity_style, int size);

torch::Tensor IdentityStyle(models::SynthesisNetwork& network, const std::vector<FitSample>& samples,
                            torch::Tensor* present = nullptr);

}  // namespace smile::training
