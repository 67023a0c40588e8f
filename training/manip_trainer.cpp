#include "training/manip_trainer.h"

#include <sstream>

#include <ATen/CPUGeneratorImpl.h>

#include "models/checkpoint.h"
#include "models/synthesis.h"
#include "training/autocast.h"
#include "training/attributes.h"
#include "training/ema.h"
#include "training/losses.h"
#include "training/mask_edit.h"
#include "training/rng.h"
#include "training/seg_metrics.h"
#include "training/trainer_state.h"

namespace smile::training {
namespace {

namespace F = torch::nn::functional;

std::unique_ptr<torch::optim::Adam> MakeAdam(std::vector<torch::Tensor> params, double lr, const ManipTrainOptions& o) {
  auto opts = torch::optim::AdamOptions(lr).betas({o.beta1, o.beta2}).weight_decay(o.weight_decay);
  return std::make_unique<torch::optim::Adam>(std::move(params), opts);
}

// BCE with logits against a constant target, over the (N,6) chosen-domain logits,
// counting only entries where `known` (N,6) is true (all when undefined).
torch::Tensor AdvLoss(const torch::Tensor& logits, double target, const torch::Tensor& known = {}) {
  auto per = F::binary_cross_entropy_with_logits(logits, torch::full_like(logits, target),
                                                 F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kNone));
  if (!known.defined()) return per.mean();
  auto k = known.to(per.dtype());
  return (per * k).sum() / k.sum().clamp_min(1.0);
}

// The groups of ManipTrainer's resumable state.
struct Parts {
  ModuleGroup nets, ema;
};

}  // namespace

std::string DomainTally::ToString() const {
  std::ostringstream os;
  os << samples << " samples; per domain (real = CelebA attribute file, derived = read from the mask, "
     << "edited = procedurally drawn into the mask):";
  for (int d = 0; d < models::kNumDomains; ++d)
    os << "\n  " << models::kDomainNames[d] << ": " << real[d] << " real, " << derived[d] << " derived, " << edited[d]
       << " edited";
  return os.str();
}

ManipBatch EditBatch(const torch::Tensor& labels, const torch::Tensor& choices, const torch::Tensor& attribute_real,
                     double probability, uint64_t seed, DomainTally* tally) {
  auto lab = labels.to(torch::kCPU).to(torch::kUInt8).contiguous().clone();
  auto ch = choices.to(torch::kCPU).to(torch::kLong).contiguous().clone();
  const int64_t n = lab.size(0), h = lab.size(1), w = lab.size(2);
  for (int64_t i = 0; i < n; ++i) {
    cv::Mat view(static_cast<int>(h), static_cast<int>(w), CV_8UC1, lab[i].data_ptr<uint8_t>());
    cv::Mat map = view.clone();  // EditTowardsDomain may replace the Mat; copied back below
    Rng rng(HashSeed(seed, static_cast<uint64_t>(i), 0xED17u));
    std::array<bool, models::kNumAttributes> edited{};
    if (probability > 0 && rng.Uniform() < probability) {
      // Candidate domains the sample is not in (editable attributes only).
      std::vector<int> targets;
      for (int d = 0; d < models::kNumDomains; ++d) {
        const int a = models::AttributeOfDomain(d);
        if (!CanEditTowards(d)) continue;
        if (ch[i][a].item<int64_t>() == models::ChoiceOfDomain(d)) continue;
        targets.push_back(d);
      }
      if (!targets.empty()) {
        const int d = targets[rng.Below(targets.size())];
        if (EditTowardsDomain(&map, d, rng.Next())) {
          map.copyTo(view);
          AttributeTargets derived = DeriveAttributes(map);
          for (int a = 1; a < models::kNumAttributes; ++a) {
            if (!derived.known(a) || derived.value[a] == ch[i][a].item<int64_t>()) continue;
            ch[i][a] = derived.value[a];
            edited[a] = true;
          }
          // Labels follow the same mask-derivation rule as unedited samples: an edit that the
          // rule does not read as the target domain (e.g. a hat too small) keeps the old choice.
        }
      }
    }
    if (tally) {
      ++tally->samples;
      for (int a = 0; a < models::kNumAttributes; ++a) {
        const int64_t c = ch[i][a].item<int64_t>();
        if (c < 0) continue;
        const int d = models::DomainIndex(a, static_cast<int>(c));
        if (edited[a]) ++tally->edited[d];
        else if (attribute_real.defined() && attribute_real[i][a].item<bool>()) ++tally->real[d];
        else ++tally->derived[d];
      }
    }
  }
  return {lab.to(torch::kLong), ch};
}

ManipTrainer::ManipTrainer(const models::ModelConfig& config, const ManipTrainOptions& options, torch::Device device)
    : config_(config), options_(options), device_(device) {
  torch::manual_seed(options.seed);
  g_ = models::ManipGenerator(config);
  f_ = models::ManipMapping(config);
  e_ = models::ManipStyleEncoder(config);
  d_ = models::ManipDiscriminator(config);
  g_->to(device);
  f_->to(device);
  e_->to(device);
  d_->to(device);
  g_ema_ = models::ManipGenerator(std::dynamic_pointer_cast<models::ManipGeneratorImpl>(g_->clone()));
  f_ema_ = models::ManipMapping(std::dynamic_pointer_cast<models::ManipMappingImpl>(f_->clone()));
  e_ema_ = models::ManipStyleEncoder(std::dynamic_pointer_cast<models::ManipStyleEncoderImpl>(e_->clone()));
  for (torch::nn::Module* m : {static_cast<torch::nn::Module*>(g_ema_.get()), static_cast<torch::nn::Module*>(f_ema_.get()),
                               static_cast<torch::nn::Module*>(e_ema_.get())}) {
    SetRequiresGrad(*m, false);
    m->eval();
  }
  g_opt_ = MakeAdam(g_->parameters(), options.lr, options);
  f_opt_ = MakeAdam(f_->parameters(), options.mapping_lr, options);
  e_opt_ = MakeAdam(e_->parameters(), options.lr, options);
  d_opt_ = MakeAdam(d_->parameters(), options.lr, options);
}

double ManipTrainer::LambdaDs(int64_t iteration) const {
  if (options_.ds_iters <= 0) return 0.0;
  return options_.lambda_ds * std::max(0.0, 1.0 - static_cast<double>(iteration) / options_.ds_iters);
}

torch::Tensor ManipTrainer::OneHot(const torch::Tensor& labels) const {
  return models::OneHotMask(labels.to(device_).to(torch::kLong), config_.num_classes);
}

torch::Tensor ManipTrainer::FillUnknown(const torch::Tensor& choices) const {
  auto c = choices.to(device_).to(torch::kLong);
  auto random = torch::randint(0, 2, c.sizes(), torch::TensorOptions().dtype(torch::kLong).device(device_));
  return torch::where(c < 0, random, c);
}

torch::Tensor ManipTrainer::Latent(int64_t n) const {
  return torch::randn({n, config_.manip_latent_dim}, torch::TensorOptions().device(device_));
}

std::map<std::string, double> ManipTrainer::Step(const ManipBatch& in) {
  std::map<std::string, double> out;
  const int64_t n = in.labels.size(0);
  auto labels = in.labels.to(device_).to(torch::kLong);
  auto x_real = OneHot(labels);
  auto known = in.choices.to(device_) >= 0;
  auto y_org = FillUnknown(in.choices);
  auto y_trg = torch::randint(0, 2, {n, models::kNumAttributes}, torch::TensorOptions().dtype(torch::kLong).device(device_));
  // References: other samples of the batch (their own domains), a second one for diversity.
  auto ref_index = torch::roll(torch::arange(n, torch::TensorOptions().dtype(torch::kLong).device(device_)), 1);
  auto ref2_index = torch::roll(ref_index, 1);
  auto x_ref = x_real.index_select(0, ref_index), x_ref2 = x_real.index_select(0, ref2_index);
  auto y_ref = y_org.index_select(0, ref_index);
  auto z1 = Latent(n), z2 = Latent(n);
  g_->train();
  f_->train();
  e_->train();
  d_->train();

  // ---- Discriminator: latent-guided, then reference-guided.
  SetRequiresGrad(*d_, true);
  auto d_step = [&](bool reference) {
    const auto& y = reference ? y_ref : y_trg;
    torch::Tensor fake, real_out, fake_out;
    {
      torch::NoGradGuard ng;
      AutocastScope amp(options_.bf16, device_);
      auto s = reference ? e_->Style(x_ref, y) : f_->Style(z1, y);
      fake = torch::softmax(g_->forward(x_real, s).to(torch::kFloat), 1);
    }
    auto real = x_real.detach().clone().requires_grad_(true);
    {
      AutocastScope amp(options_.bf16, device_);
      real_out = d_->forward(real);
      fake_out = d_->forward(fake);
    }
    // Losses in fp32 (the casts are no-ops without mixed precision).
    auto real_logits = models::SelectDomainLogits(real_out.to(torch::kFloat), y_org);
    auto loss_real = AdvLoss(real_logits, 1.0, known);
    auto r1 = R1Penalty(real_logits.masked_fill(~known, 0.0), real);
    auto fake_logits = models::SelectDomainLogits(fake_out.to(torch::kFloat), y);
    auto loss_fake = AdvLoss(fake_logits, 0.0);
    auto loss = loss_real + loss_fake + options_.lambda_r1 * 0.5 * r1;
    ClearGradients(*d_opt_);
    loss.backward();
    if (sync_) sync_(*d_opt_);
    d_opt_->step();
    const std::string tag = reference ? "_ref" : "_lat";
    out["d_real" + tag] = loss_real.item<double>();
    out["d_fake" + tag] = loss_fake.item<double>();
    out["d_r1" + tag] = r1.item<double>();
  };
  d_step(false);
  d_step(true);

  // ---- Generator: latent-guided (G, mapping, encoder), then reference-guided (G only).
  SetRequiresGrad(*d_, false);
  const double lambda_ds = LambdaDs(iteration_);
  torch::Tensor last_cycle_logits;
  auto g_step = [&](bool reference) {
    const auto& y = reference ? y_ref : y_trg;
    torch::Tensor s_trg, fake, d_out, s_pred, fake2, rec_logits;
    {
      AutocastScope amp(options_.bf16, device_);
      auto f32 = [](const torch::Tensor& t) { return t.to(torch::kFloat); };
      s_trg = f32(reference ? e_->Style(x_ref, y) : f_->Style(z1, y));
      fake = torch::softmax(f32(g_->forward(x_real, s_trg)), 1);
      d_out = f32(d_->forward(fake));
      s_pred = f32(e_->Style(fake, y));
      torch::Tensor s_trg2 = reference ? e_->Style(x_ref2, y) : f_->Style(z2, y);
      fake2 = torch::softmax(f32(g_->forward(x_real, f32(s_trg2))), 1).detach();
      auto s_org = f32(e_->Style(x_real, y_org)).detach();  // detached source style (paper table 2, B)
      rec_logits = f32(g_->forward(fake, s_org));
    }
    auto adv = AdvLoss(models::SelectDomainLogits(d_out, y), 1.0);
    auto sty = (s_pred - s_trg).abs().mean();
    auto ds = DiversityLoss(fake, fake2);
    auto cyc = MaskCrossEntropy(rec_logits, labels);
    auto loss = adv + options_.lambda_sty * sty - lambda_ds * ds + options_.lambda_cyc * cyc;
    ClearGradients(*g_opt_);
    ClearGradients(*f_opt_);
    ClearGradients(*e_opt_);
    loss.backward();
    if (sync_) sync_(*g_opt_);
    g_opt_->step();
    if (!reference) {
      if (sync_) sync_(*f_opt_);
      f_opt_->step();
      if (sync_) sync_(*e_opt_);
      e_opt_->step();
    }
    const std::string tag = reference ? "_ref" : "_lat";
    out["g_adv" + tag] = adv.item<double>();
    out["g_sty" + tag] = sty.item<double>();
    out["g_ds" + tag] = ds.item<double>();
    out["g_cyc" + tag] = cyc.item<double>();
    last_cycle_logits = rec_logits.detach();
  };
  g_step(false);
  g_step(true);
  out["lambda_ds"] = lambda_ds;
  out["cycle_miou"] = MeanIoUPresent(last_cycle_logits.argmax(1), labels, config_.num_classes);

  AccumulateEma(*g_ema_, *g_, options_.ema_beta);
  AccumulateEma(*f_ema_, *f_, options_.ema_beta);
  AccumulateEma(*e_ema_, *e_, options_.ema_beta);
  ++iteration_;
  return out;
}

torch::Tensor ManipTrainer::Translate(const torch::Tensor& labels, const torch::Tensor& choices, const torch::Tensor& z) {
  torch::NoGradGuard ng;
  auto x = OneHot(labels);
  auto latent = z.defined() ? z.to(device_) : Latent(x.size(0));
  auto s = f_ema_->Style(latent, choices.to(device_).to(torch::kLong).clamp(0, 1));
  return g_ema_->forward(x, s).argmax(1);
}

double ManipTrainer::CycleMeanIoU(const ManipBatch& batch, uint64_t seed) {
  torch::NoGradGuard ng;
  auto gen = at::detail::createCPUGenerator(seed);
  const int64_t n = batch.labels.size(0);
  auto y_trg = torch::randint(0, 2, {n, models::kNumAttributes}, gen, torch::TensorOptions().dtype(torch::kLong));
  auto z = torch::randn({n, config_.manip_latent_dim}, gen);
  auto y_org = batch.choices.to(torch::kLong).clamp(0, 1);
  auto x = OneHot(batch.labels);
  auto fake = torch::softmax(g_ema_->forward(x, f_ema_->Style(z.to(device_), y_trg.to(device_))), 1);
  auto rec = g_ema_->forward(fake, e_ema_->Style(x, y_org.to(device_))).argmax(1);
  return MeanIoUPresent(rec, batch.labels, config_.num_classes);
}

Status ManipTrainer::SaveState(const std::string& path, const std::map<std::string, std::string>& metadata) {
  Parts p;
  p.nets.Add("g", g_);
  p.nets.Add("f", f_);
  p.nets.Add("e", e_);
  p.nets.Add("d", d_);
  p.ema.Add("g", g_ema_);
  p.ema.Add("f", f_ema_);
  p.ema.Add("e", e_ema_);
  auto meta = metadata;
  meta["iteration"] = std::to_string(iteration_);
  TrainerStateParts parts{kKindManipTrain, config_, &p.nets, &p.ema,
                          {{"g", g_opt_.get()}, {"f", f_opt_.get()}, {"e", e_opt_.get()}, {"d", d_opt_.get()}}};
  return SaveTrainerState(path, parts, meta);
}

Result<std::map<std::string, std::string>> ManipTrainer::LoadState(const std::string& path) {
  Parts p;
  p.nets.Add("g", g_);
  p.nets.Add("f", f_);
  p.nets.Add("e", e_);
  p.nets.Add("d", d_);
  p.ema.Add("g", g_ema_);
  p.ema.Add("f", f_ema_);
  p.ema.Add("e", e_ema_);
  TrainerStateParts parts{kKindManipTrain, config_, &p.nets, &p.ema,
                          {{"g", g_opt_.get()}, {"f", f_opt_.get()}, {"e", e_opt_.get()}, {"d", d_opt_.get()}}};
  SMILE_ASSIGN_OR_RETURN(auto meta, LoadTrainerState(path, parts));
  SMILE_ASSIGN_OR_RETURN(iteration_, MetadataInt(meta, "iteration"));
  return meta;
}

Status ManipTrainer::ExportModel(const std::string& path) {
  ModuleGroup ema;
  ema.Add("generator", g_ema_);
  ema.Add("mapping", f_ema_);
  ema.Add("encoder", e_ema_);
  models::CheckpointExtras extras;
  for (auto d : models::kDomainNames) extras.attributes.emplace_back(d);
  extras.metadata["iteration"] = std::to_string(iteration_);
  extras.metadata["weights"] = "EMA of generator, mapping and style encoder";
  return models::SaveCheckpoint(path, models::kKindManip, config_, ema, extras);
}

}  // namespace smile::training
