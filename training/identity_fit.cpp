#include "training/identity_fit.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <sstream>

#include "core/face_labels.h"
#include "core/image_metrics.h"
#include "core/log.h"
#include "core/shutdown.h"
#include "models/checkpoint.h"
#include "models/image_tensor.h"
#include "training/augment.h"
#include "training/ema.h"
#include "training/trainer_state.h"

namespace smile::training {
namespace {

// Subject left/right labels swap under a horizontal flip.
torch::Tensor FlipLabelTable(int num_classes) {
  std::vector<int64_t> t(num_classes);
  for (int c = 0; c < num_classes; ++c) t[c] = MirrorLabel(c);
  return torch::tensor(t, torch::kLong);
}

struct Tensors {
  torch::Tensor images;    // (M,3,S,S)
  torch::Tensor labels;    // (M,S,S) long
  torch::Tensor geometry;  // (M,G,S,S) float; undefined without geometry channels
};

// (1,G,S,S) geometry channels of a sample (zeros where it has none).
torch::Tensor GeometryTensor(const FitSample& smp, int channels, int size) {
  return models::ChannelsToTensor(smp.geometry, channels, cv::Size(size, size));
}

Tensors ToTensors(const std::vector<FitSample>& samples, const std::vector<size_t>& idx, int geometry_channels,
                  int size) {
  std::vector<torch::Tensor> im, lb, ge;
  for (size_t i : idx) {
    im.push_back(models::ImageToTensor(samples[i].image));
    lb.push_back(models::LabelsToTensor(samples[i].labels));
    if (geometry_channels > 0) ge.push_back(GeometryTensor(samples[i], geometry_channels, size));
  }
  return {torch::cat(im), torch::cat(lb), ge.empty() ? torch::Tensor() : torch::cat(ge)};
}

// The generator's mask input: the one-hot classes, then the geometry channels if any.
torch::Tensor GeneratorMask(const torch::Tensor& one_hot, const torch::Tensor& geometry) {
  return geometry.defined() ? torch::cat({one_hot, geometry}, 1) : one_hot;
}

}  // namespace

void AugmentBatch(torch::Tensor* images, torch::Tensor* labels, torch::Tensor* geometry, double share,
                  std::mt19937_64& rng) {
  const int64_t n = images->size(0);
  std::uniform_real_distribution<double> u(-1, 1);
  std::bernoulli_distribution move(share);
  std::vector<float> theta;
  bool any = false;
  for (int64_t i = 0; i < n; ++i) {
    double s = 1, a = 0, tx = 0, ty = 0;
    if (move(rng)) {
      any = true;
      s = 1 + 0.06 * u(rng);
      a = 6 * M_PI / 180 * u(rng);
      tx = 0.1 * u(rng);  // normalised coordinates span 2: 0.1 = 5 % of the crop
      ty = 0.1 * u(rng);
    }
    const double c = std::cos(a) / s, sn = std::sin(a) / s;
    theta.insert(theta.end(), {static_cast<float>(c), static_cast<float>(-sn), static_cast<float>(tx),
                               static_cast<float>(sn), static_cast<float>(c), static_cast<float>(ty)});
  }
  if (!any) return;
  namespace F = torch::nn::functional;
  auto grid = F::affine_grid(torch::tensor(theta).view({n, 2, 3}), images->sizes().vec(), /*align_corners=*/false);
  *images = F::grid_sample(*images, grid,
                           F::GridSampleFuncOptions().mode(torch::kBilinear).padding_mode(torch::kBorder).align_corners(false));
  auto l = F::grid_sample(labels->unsqueeze(1).to(torch::kFloat), grid,
                          F::GridSampleFuncOptions().mode(torch::kNearest).padding_mode(torch::kBorder).align_corners(false));
  *labels = l.squeeze(1).round().to(torch::kLong);
  if (geometry->defined())
    *geometry = F::grid_sample(*geometry, grid,
                               F::GridSampleFuncOptions().mode(torch::kNearest).padding_mode(torch::kZeros).align_corners(false));
}

double NearestTrainingPsnr(const std::vector<FitSample>& train, const std::vector<FitSample>& held) {
  if (train.empty() || held.empty()) return NAN;
  double sum = 0;
  int n = 0;
  for (const auto& h : held) {
    const cv::Mat region = HeadRegion(h.labels);
    const double count = static_cast<double>(cv::countNonZero(region)) * h.image.channels();
    if (count <= 0) continue;
    double best = std::numeric_limits<double>::infinity();
    for (const auto& t : train) {
      if (t.image.size() != h.image.size() || t.image.type() != h.image.type()) continue;
      best = std::min(best, cv::norm(t.image, h.image, cv::NORM_L2SQR, region));
    }
    if (!std::isfinite(best)) continue;
    // Same figure as Psnr (mean squared error over the region's pixels and channels); an exact
    // copy counts as 99 dB so that the mean stays finite.
    const double mse = best / count;
    sum += mse > 0 ? std::min(99.0, 10.0 * std::log10(255.0 * 255.0 / mse)) : 99.0;
    ++n;
  }
  return n ? sum / n : NAN;
}

size_t HoldoutCount(size_t samples, double holdout) {
  return std::max<size_t>(1, static_cast<size_t>(std::lround(samples * holdout)));
}

FitOptions DefaultFitOptions() {
  FitOptions o;
  o.train.lambda_l1 = 10.0;
  o.train.lambda_feat = 10.0;
  o.train.reference_every_step = true;
  o.train.pl_weight = 0.0;  // path length regularises the random-style space; fitting uses the encoder only
  o.train.r1_every = 16;
  o.train.ema_beta = 0.99;  // short runs: a slower EMA would lag far behind
  o.train.ema_rampup = 0.1;
  // Squared reconstruction errors: what the held-out PSNR measures (15 minutes from scratch:
  // d14 24.42 vs 23.99 dB, d10 23.07 vs 22.70 dB against L1). `smile train synth` keeps L1.
  o.train.recon_l2 = true;
  return o;
}

torch::Tensor IdentityStyle(models::SynthesisNetwork& network, const std::vector<FitSample>& samples,
                            torch::Tensor* present) {
  torch::NoGradGuard no_grad;
  network->eval();
  const int64_t c = network->config.num_classes, d = network->config.synth_style_dim;
  auto sum = torch::zeros({c, d});
  auto count = torch::zeros({c});
  const size_t step = std::max<size_t>(1, samples.size() / 64);
  for (size_t i = 0; i < samples.size(); i += step) {
    auto img = models::ImageToTensor(samples[i].image);
    auto mask = models::LabelsToOneHot(samples[i].labels, static_cast<int>(c));
    auto enc = network->encoder->forward(img, mask);
    auto p = enc.present[0].to(torch::kFloat);
    sum += enc.style[0] * p.unsqueeze(1);
    count += p;
  }
  auto fill = network->mapping->forward(torch::zeros({1, c * d}))[0];  // mapping of the mean latent
  auto seen = count > 0;
  auto mean = sum / count.clamp_min(1).unsqueeze(1);
  auto style = torch::where(seen.unsqueeze(1), mean, fill);
  if (present) *present = seen;
  return style.unsqueeze(0);
}

models::StyleBank BuildStyleBank(models::SynthesisNetwork& network, const std::vector<FitSample>& samples,
                                 const torch::Tensor& identity_style, int size) {
  models::StyleBank bank;
  if (size <= 0 || samples.empty()) return bank;
  torch::NoGradGuard no_grad;
  network->eval();
  const int64_t c = network->config.num_classes;
  const size_t n = std::min<size_t>(samples.size(), static_cast<size_t>(size));
  std::vector<torch::Tensor> styles, keys;
  constexpr size_t kChunk = 16;
  for (size_t start = 0; start < n; start += kChunk) {
    std::vector<torch::Tensor> im, mk;
    for (size_t j = start; j < std::min(n, start + kChunk); ++j) {
      const auto& smp = samples[j * samples.size() / n];  // evenly spaced over the footage
      im.push_back(models::ImageToTensor(smp.image));
      mk.push_back(models::LabelsToOneHot(smp.labels, static_cast<int>(c)));
    }
    auto images = torch::cat(im), masks = torch::cat(mk);
    auto enc = network->encoder->forward(images, masks);
    styles.push_back(models::FillAbsentStyles(enc, identity_style.expand({images.size(0), -1, -1})));
    keys.push_back(models::StyleBankKeys(masks));
  }
  bank.styles = torch::cat(styles).contiguous();
  bank.keys = torch::cat(keys).contiguous();
  return bank;
}

Result<FitResult> FitIdentity(const std::vector<FitSample>& samples, const models::ModelConfig& config,
                              const FitOptions& options,
                              const std::function<void(int64_t, const std::map<std::string, double>&, double)>&
                                  on_progress) {
  const int s = config.image_size;
  for (const auto& smp : samples)
    if (smp.image.size() != cv::Size(s, s) || smp.labels.size() != cv::Size(s, s) || smp.labels.type() != CV_8UC1)
      return InvalidArgument("fit samples must be " + std::to_string(s) + "x" + std::to_string(s) +
                             " BGR images with CV_8U label maps of the same size");
  if (samples.empty()) return InvalidArgument("fitting needs at least one face sample; give a clip or photos "
                                              "in which a face is found");
  const int geo = config.synth_geometry_channels;
  for (const auto& smp : samples)
    if (!smp.geometry.empty() && (smp.geometry.size() != cv::Size(s, s) || smp.geometry.type() != CV_32FC(geo)))
      return InvalidArgument("fit samples' geometry must be " + std::to_string(s) + "x" + std::to_string(s) + " with " +
                             std::to_string(geo) + " float channels (the config's synth_geometry_channels)");
  if (geo > 0 && options.flip) return InvalidArgument("mirrored batches do not mirror geometry channels; fit without flip");
  std::vector<size_t> train_idx, hold_idx;
  std::vector<FitSample> train_samples;
  const bool few_shot = static_cast<int>(samples.size()) < options.few_shot_below;
  if (few_shot) {
    // Train on augmented copies; measure on the originals (which were seen in training).
    AugmentOptions ao;
    ao.size = s;
    ao.flip_probability = 0;
    for (int k = 0; static_cast<int>(train_samples.size()) < std::max<int>(options.augment_to, samples.size()); ++k) {
      const auto& src = samples[k % samples.size()];
      if (k < static_cast<int>(samples.size())) {
        train_samples.push_back(src);
        continue;
      }
      FitSample aug;
      ApplyAugment(src.image, src.labels, DrawAugmentParams(ao, options.seed * 7919 + k), s, &aug.image, &aug.labels);
      train_samples.push_back(aug);
    }
    for (size_t i = 0; i < train_samples.size(); ++i) train_idx.push_back(i);
    for (size_t i = 0; i < samples.size(); ++i) hold_idx.push_back(i);
  } else {
    // Hold out the LAST contiguous slice (neighbouring video frames are near-duplicates).
    const size_t n_hold = HoldoutCount(samples.size(), options.holdout);
    for (size_t i = 0; i < samples.size(); ++i) (i + n_hold < samples.size() ? train_idx : hold_idx).push_back(i);
    for (size_t i : train_idx) train_samples.push_back(samples[i]);
  }
  std::vector<size_t> all_train(train_samples.size());
  for (size_t i = 0; i < all_train.size(); ++i) all_train[i] = i;
  if (geo > 0 && few_shot)
    return InvalidArgument("mesh geometry needs footage of at least " + std::to_string(options.few_shot_below) +
                           " frames (the few-shot copies of a photo have no mesh); fit photos without it");
  Tensors train = ToTensors(train_samples, all_train, geo, s);
  const auto flip_table = FlipLabelTable(config.num_classes);
  std::vector<float> head(config.num_classes);
  for (int c = 0; c < config.num_classes; ++c) head[c] = IsHeadLabel(c) ? static_cast<float>(options.head_weight) : 1.f;
  const auto head_table = torch::tensor(head);

  SynthTrainOptions topt = options.train;
  topt.seed = options.seed;
  SynthTrainer trainer(config, topt, torch::kCPU);
  models::SynthesisNetwork best(config);
  best->eval();

  FitResult result;
  result.train_samples = static_cast<int>(train_idx.size());
  result.holdout_samples = static_cast<int>(hold_idx.size());
  result.holdout_is_training = few_shot;
  if (!few_shot) {
    std::vector<FitSample> held;
    for (size_t i : hold_idx) held.push_back(samples[i]);
    result.holdout_nearest_train_psnr = NearestTrainingPsnr(train_samples, held);
    SMILE_LOG(kInfo) << "fit: " << held.size() << " held-out crops; the closest training crop to each scores "
                     << result.holdout_nearest_train_psnr << " dB head PSNR on average";
  }
  std::mt19937_64 rng(options.seed);
  double prior_seconds = 0;  // time spent before a resume
  int64_t first_iteration = 0;
  double last_psnr = 0, last_train_psnr = 0, last_fixed_psnr = 0;
  const std::string best_path = options.state_path + ".best";
  // The figures a fit state carries (written with ExactDouble, so they read back exactly);
  // fit_seconds is written as the time spent so far.
  const std::pair<const char*, double*> figures[] = {
      {"fit_seconds", &prior_seconds},   {"best_psnr", &result.best_psnr},
      {"best_ssim", &result.best_ssim},   {"best_psnr_fixed", &result.best_psnr_fixed},
      {"last_psnr", &last_psnr},          {"last_train_psnr", &last_train_psnr},
      {"last_fixed_psnr", &last_fixed_psnr}};
  if (options.resume && !options.state_path.empty() && std::filesystem::exists(options.state_path)) {
    auto meta = trainer.LoadState(options.state_path);
    if (!meta.ok()) return meta.status().WithContext("resuming the fit from '" + options.state_path + "'");
    auto get = [&](const char* key) { auto it = meta->find(key); return it == meta->end() ? std::string() : it->second; };
    if (get("fit_samples") != std::to_string(samples.size()) || get("fit_holdout") != std::to_string(hold_idx.size()))
      return InvalidArgument("the fit state '" + options.state_path + "' was made from other footage (" +
                                get("fit_samples") + " samples, this one has " + std::to_string(samples.size()) +
                                "); drop --resume or delete that file to start afresh");
    auto ckpt = models::LoadCheckpoint(best_path, models::kKindSynth);
    if (!ckpt.ok()) return ckpt.status().WithContext("best weights of the fit state");
    SMILE_RETURN_IF_ERROR(ckpt->LoadInto(*best));
    if (!(std::istringstream(get("fit_rng")) >> rng))
      return Corrupt("the fit state '" + options.state_path + "' has no readable fit_rng; delete it to start afresh");
    first_iteration = trainer.iteration();
    for (const auto& [key, value] : figures) {
      auto v = ParseExactDouble(get(key));
      if (!v.ok()) return v.status().WithContext("the fit state '" + options.state_path + "', " + key);
      *value = *v;
    }
    result.iterations = first_iteration;
    result.resumed_from = first_iteration;
    SMILE_LOG(kInfo) << "fit: resumed at iteration " << first_iteration << " after " << prior_seconds / 60
                     << " min (best held-out " << result.best_psnr << " dB)";
  }
  const bool from_base = options.base && first_iteration == 0;
  if (from_base) {
    if (!(options.base->config == config))
      return InvalidArgument("the base model's configuration (" + options.base->config.preset + ", " +
                             std::to_string(options.base->config.image_size) + " px) differs from the fit's (" +
                             config.preset + ", " + std::to_string(s) +
                             " px); fit with the base model's configuration");
    CopyWeights(*options.base, *trainer.network());
    CopyWeights(*options.base, *trainer.ema());
    CopyWeights(*options.base, *best);
  }
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return prior_seconds + std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  auto save_state = [&]() -> Status {
    if (options.state_path.empty()) return Status::Ok();
    // The best weights first: a state on disk always has its matching best file.
    SMILE_RETURN_IF_ERROR(models::SaveCheckpoint(best_path, models::kKindSynth, config, *best));
    std::ostringstream r;
    r << rng;
    std::map<std::string, std::string> meta = {{"fit_samples", std::to_string(samples.size())},
                                               {"fit_holdout", std::to_string(hold_idx.size())},
                                               {"fit_rng", r.str()}};
    for (const auto& [key, value] : figures) meta[key] = ExactDouble(*value);
    meta["fit_seconds"] = ExactDouble(elapsed());
    return trainer.SaveState(options.state_path, meta);
  };

  auto evaluate = [&](bool final_eval) {
    auto& ema = trainer.ema();
    auto style = IdentityStyle(ema, train_samples);
    auto bank = BuildStyleBank(ema, train_samples, style, options.bank_size);
    std::vector<double> psnr, psnr_fixed, psnr_own, ssim;
    torch::NoGradGuard no_grad;
    auto noise = ema->generator->MakeNoise(0);
    for (size_t i : hold_idx) {
      const auto& smp = samples[i];
      auto mask = models::LabelsToOneHot(smp.labels, config.num_classes);
      auto gin = geo > 0 ? GeneratorMask(mask, GeometryTensor(smp, geo, s)) : mask;
      cv::Mat region = HeadRegion(smp.labels);
      cv::Mat out = models::TensorToImage(ema->generator->forward(gin, style, noise));
      psnr_fixed.push_back(Psnr(out, smp.image, region));
      if (!bank.empty()) out = models::TensorToImage(ema->generator->forward(gin, bank.Select(mask), noise));
      psnr.push_back(Psnr(out, smp.image, region));
      ssim.push_back(Ssim(out, smp.image, region));
      if (final_eval) {
        auto enc = ema->encoder->forward(models::ImageToTensor(smp.image), mask);
        auto own = models::FillAbsentStyles(enc, style);
        psnr_own.push_back(Psnr(models::TensorToImage(ema->generator->forward(gin, own, noise)), smp.image, region));
      }
    }
    auto mean = [](const std::vector<double>& v) {
      double t = 0;
      int n = 0;
      for (double x : v)
        if (std::isfinite(x)) t += x, ++n;
      return n ? t / n : 0.0;
    };
    // The same figure on a few training crops: a large train / held-out gap means the
    // held-out frames show poses or expressions the training frames lack.
    std::vector<double> train_psnr;
    const size_t step = std::max<size_t>(1, train_samples.size() / 16);
    for (size_t i = 0; i < train_samples.size(); i += step) {
      const auto& smp = train_samples[i];
      auto mask = models::LabelsToOneHot(smp.labels, config.num_classes);
      auto gin = geo > 0 ? GeneratorMask(mask, GeometryTensor(smp, geo, s)) : mask;
      cv::Mat out = models::TensorToImage(
          ema->generator->forward(gin, bank.empty() ? style : bank.Select(mask), noise));
      train_psnr.push_back(Psnr(out, smp.image, HeadRegion(smp.labels)));
    }
    last_train_psnr = mean(train_psnr);
    last_psnr = mean(psnr);
    last_fixed_psnr = mean(psnr_fixed);
    if (last_psnr > result.best_psnr || result.iterations == 0) {
      result.best_psnr = last_psnr;
      result.best_ssim = mean(ssim);
      result.best_psnr_fixed = mean(psnr_fixed);
      CopyWeights(*ema, *best);
    }
    if (final_eval) result.best_psnr_own_style = mean(psnr_own);
  };

  if (from_base) {
    // What the base renders before any fitting: the figure fine-tuning starts from.
    evaluate(false);
    result.base_psnr = last_psnr;
    SMILE_LOG(kInfo) << "fit: the base model scores " << last_psnr << " dB head PSNR on the held-out crops "
                     << "before fitting (training crops " << last_train_psnr << " dB)";
  }
  for (int64_t it = first_iteration;; ++it) {
    if (StopRequested()) {
      result.interrupted = true;
      break;
    }
    if (options.iters > 0 && it >= options.iters) break;
    if (options.minutes > 0 && elapsed() > options.minutes * 60) break;
    if (options.iters <= 0 && options.minutes <= 0) break;
    double done = 0;  // share of the budget spent
    if (options.iters > 0) done = static_cast<double>(it) / options.iters;
    if (options.minutes > 0) done = std::max(done, elapsed() / (options.minutes * 60));
    trainer.set_adversarial(done >= options.recon_fraction);
    std::uniform_int_distribution<int64_t> pick(0, train.images.size(0) - 1);
    std::vector<int64_t> ids(options.batch);
    for (auto& v : ids) v = pick(rng);
    std::vector<int64_t> style_ids(options.batch);
    for (auto& v : style_ids) v = pick(rng);
    const bool flip = (rng() % 2) && options.flip;  // flip the whole batch: image mirrored, subject left/right swapped
    auto gather = [&](const std::vector<int64_t>& which, torch::Tensor* images, torch::Tensor* labels,
                      torch::Tensor* geometry = nullptr) {
      auto index = torch::tensor(which, torch::kLong);
      *images = train.images.index_select(0, index);
      *labels = train.labels.index_select(0, index);
      if (geometry && train.geometry.defined()) *geometry = train.geometry.index_select(0, index);
      if (flip) {
        *images = images->flip({3});
        *labels = flip_table.index({labels->flip({2})});
      }
    };
    auto one_hot = [&](const torch::Tensor& labels) {
      return torch::nn::functional::one_hot(labels, config.num_classes).permute({0, 3, 1, 2}).to(torch::kFloat);
    };
    torch::Tensor images, labels, geometry;
    gather(ids, &images, &labels, &geometry);
    if (options.augment > 0) AugmentBatch(&images, &labels, &geometry, options.augment, rng);
    SynthBatch batch;
    batch.images = images;
    batch.masks = GeneratorMask(one_hot(labels), geometry);
    batch.l1_weights = head_table.index({labels}).unsqueeze(1);
    if (options.self_style < 1) {
      std::bernoulli_distribution own(options.self_style);
      for (int i = 0; i < options.batch; ++i)
        if (own(rng)) style_ids[i] = ids[i];
      torch::Tensor style_labels;
      gather(style_ids, &batch.style_images, &style_labels);
      batch.style_masks = one_hot(style_labels);
    }
    auto losses = trainer.Step(batch);
    result.iterations = it + 1;
    if ((it + 1) % options.eval_every == 0) evaluate(false);
    losses["train_psnr"] = last_train_psnr;
    losses["fixed_psnr"] = last_fixed_psnr;
    if (on_progress) on_progress(it + 1, losses, last_psnr);
    if (options.state_every > 0 && (it + 1) % options.state_every == 0) SMILE_RETURN_IF_ERROR(save_state());
  }
  // Where it stopped (budget or Ctrl-C), saved before the final evaluation copies the best
  // weights into the EMA: a later --resume continues exactly from here.
  if (result.iterations > result.resumed_from || result.interrupted) SMILE_RETURN_IF_ERROR(save_state());
  if (result.iterations == 0) return InvalidArgument("no fitting iteration ran: give --minutes or --iters > 0");
  evaluate(false);
  // Final figures for the kept (best) weights.
  CopyWeights(*best, *trainer.ema());
  evaluate(true);
  result.seconds = elapsed();
  result.network = best;
  result.style = IdentityStyle(best, train_samples, &result.style_present);
  result.bank = BuildStyleBank(best, train_samples, result.style, options.bank_size);
  // Default mask: the training crop whose one-hot mask is closest to the mean mask.
  {
    auto onehot = torch::nn::functional::one_hot(train.labels, config.num_classes).to(torch::kFloat);
    auto mean = onehot.mean(0, true);
    auto dist = (onehot - mean).pow(2).sum({1, 2, 3});
    result.default_labels = train_samples[dist.argmin().item<int64_t>()].labels.clone();
  }
  return result;
}

}  // namespace smile::training
