#include "training/train_run.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>

#include <opencv2/imgproc.hpp>

#include "core/log.h"
#include "core/shutdown.h"
#include "models/image_tensor.h"
#include "models/synthesis.h"
#include "training/atomic_file.h"
#include "training/loss_log.h"
#include "training/plots.h"
#include "training/rng.h"
#include "training/train_progress.h"
#include "training/trainer_state.h"

namespace smile::training {
namespace {

namespace fs = std::filesystem;

// Keeps the global torch RNG untouched by side work (samples, exports), so that a run's
// random draws do not depend on when it drew pictures.
class RngGuard {
 public:
  RngGuard() : state_(at::detail::getDefaultCPUGenerator().get_state()) {}
  ~RngGuard() {
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    gen.set_state(state_);
  }

 private:
  torch::Tensor state_;
};

int Rows(const Batch& b) { return std::min(4, b.size()); }

void AddModule(std::vector<torch::Tensor>* out, const torch::nn::Module& m) {
  for (const auto& p : m.parameters()) out->push_back(p);
  for (const auto& b : m.buffers()) out->push_back(b);
}

// Averages the floating-point buffers among `tensors` (BatchNorm running statistics).
Status AverageFloatBuffers(Distributed& dist, const std::vector<torch::nn::Module*>& modules) {
  std::vector<torch::Tensor> buffers;
  for (auto* m : modules)
    for (const auto& b : m->buffers())
      if (b.is_floating_point()) buffers.push_back(b);
  return dist.AllReduceMean(buffers);
}

cv::Mat LabelsAt(const Batch& b, int i) { return models::TensorToLabels(b.labels[i]); }

// ------------------------------------------------------------------ synth
class SynthRunner : public StageRunner {
 public:
  SynthRunner(const models::ModelConfig& c, const SynthTrainOptions& o, torch::Device d) : trainer_(c, o, d) {}
  std::string stage() const override { return "synth"; }
  int64_t iteration() const override { return trainer_.iteration(); }
  std::map<std::string, double> Step(const Batch& b) override {
    SynthBatch batch;
    batch.images = b.images;
    batch.masks = b.onehot;
    return trainer_.Step(batch);
  }
  Status SaveState(const std::string& p, const std::map<std::string, std::string>& m) override {
    return trainer_.SaveState(p, m);
  }
  Result<std::map<std::string, std::string>> LoadState(const std::string& p) override { return trainer_.LoadState(p); }
  Status ExportModel(const std::string& p) override { return trainer_.ExportModel(p); }
  std::vector<std::string> HeadlineLosses() const override { return {"d", "g_adv", "g_feat"}; }
  void SetGradientSync(GradientSync sync) override { trainer_.set_gradient_sync(std::move(sync)); }
  std::vector<torch::Tensor> ReplicaTensors() override {
    std::vector<torch::Tensor> t;
    AddModule(&t, *trainer_.network());
    AddModule(&t, *trainer_.ema());
    AddModule(&t, *trainer_.discriminator());
    return t;
  }
  Status SyncAfterStep(Distributed& dist) override {
    auto pl = torch::full({1}, trainer_.mean_path_length(), torch::kFloat64);
    SMILE_RETURN_IF_ERROR(dist.AllReduceMean({pl}));
    trainer_.set_mean_path_length(pl.item<double>());
    return AverageFloatBuffers(dist, {trainer_.network().get(), trainer_.discriminator().get()});
  }
  std::vector<std::vector<cv::Mat>> Samples(const Batch& b, std::vector<std::string>* titles) override {
    *titles = {"mask", "real", "reconstruction", "random style"};
    const int n = Rows(b);
    auto images = b.images.slice(0, 0, n), masks = b.onehot.slice(0, 0, n);
    auto rec_dev = trainer_.Reconstruct(images, masks);
    auto rec = rec_dev.cpu();
    torch::Tensor rnd;
    {
      torch::NoGradGuard ng;
      auto& ema = trainer_.ema();
      auto noise = ema->generator->MakeNoise(0);
      for (auto& t : noise) t = t.to(rec_dev.device());
      rnd = ema->generator->forward(masks.to(rec_dev.device()), ema->mapping->Sample(n, rec_dev.device()), noise).cpu();
    }
    std::vector<std::vector<cv::Mat>> rows;
    for (int i = 0; i < n; ++i)
      rows.push_back({LabelsAt(b, i), models::TensorToImage(b.images[i]), models::TensorToImage(rec[i]),
                      models::TensorToImage(rnd[i])});
    return rows;
  }

 private:
  SynthTrainer trainer_;
};

// ------------------------------------------------------------------ manip
std::string TallyToText(const DomainTally& t) {
  std::ostringstream os;
  os << t.samples;
  for (const auto* arr : {&t.real, &t.derived, &t.edited})
    for (int64_t v : *arr) os << ',' << v;
  return os.str();
}

bool TallyFromText(const std::string& text, DomainTally* t) {
  std::vector<int64_t> v;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      v.push_back(std::stoll(item));
    } catch (const std::exception&) {
      return false;
    }
  }
  if (v.size() != 1 + 3 * models::kNumDomains) return false;
  t->samples = v[0];
  for (int d = 0; d < models::kNumDomains; ++d) {
    t->real[d] = v[1 + d];
    t->derived[d] = v[1 + models::kNumDomains + d];
    t->edited[d] = v[1 + 2 * models::kNumDomains + d];
  }
  return true;
}

class ManipRunner : public StageRunner {
 public:
  ManipRunner(const models::ModelConfig& c, const ManipTrainOptions& o, double edit, torch::Device d)
      : config_(c), seed_(o.seed), edit_(edit), trainer_(c, o, d) {}
  std::string stage() const override { return "manip"; }
  int64_t iteration() const override { return trainer_.iteration(); }
  std::map<std::string, double> Step(const Batch& b) override {
    // Rank 0 (and a single process) keeps the historical seed; other ranks draw their own edits.
    const uint64_t stream = rank_ == 0 ? 0x3A41u : HashSeed(0x3A41u, static_cast<uint64_t>(rank_));
    auto mb = EditBatch(b.labels, b.attributes, b.attribute_real, edit_,
                        HashSeed(seed_, static_cast<uint64_t>(trainer_.iteration()), stream), &tally_);
    return trainer_.Step(mb);
  }
  Status SaveState(const std::string& p, const std::map<std::string, std::string>& m) override {
    auto meta = m;
    meta["domain_tally"] = TallyToText(tally_);
    return trainer_.SaveState(p, meta);
  }
  Result<std::map<std::string, std::string>> LoadState(const std::string& p) override {
    SMILE_ASSIGN_OR_RETURN(auto meta, trainer_.LoadState(p));
    if (!meta.count("domain_tally") || !TallyFromText(meta["domain_tally"], &tally_))
      return Corrupt("checkpoint '" + p + "' lacks a readable domain tally");
    return meta;
  }
  Status ExportModel(const std::string& p) override { return trainer_.ExportModel(p); }
  std::vector<std::string> HeadlineLosses() const override {
    return {"d_real_lat", "d_fake_lat", "g_adv_lat", "g_cyc_lat", "cycle_miou"};
  }
  std::string Report() const override { return "manipulation domains seen in training: " + tally_.ToString(); }
  void SetGradientSync(GradientSync sync) override { trainer_.set_gradient_sync(std::move(sync)); }
  std::vector<torch::Tensor> ReplicaTensors() override {
    std::vector<torch::Tensor> t;
    AddModule(&t, *trainer_.generator());
    AddModule(&t, *trainer_.mapping());
    AddModule(&t, *trainer_.encoder());
    AddModule(&t, *trainer_.discriminator());
    return t;
  }
  Status SyncAfterStep(Distributed& dist) override {
    return AverageFloatBuffers(dist, {trainer_.generator().get(), trainer_.mapping().get(), trainer_.encoder().get(),
                                      trainer_.discriminator().get()});
  }
  void SetRank(int rank) override { rank_ = rank; }
  std::vector<std::vector<cv::Mat>> Samples(const Batch& b, std::vector<std::string>* titles) override {
    const int n = Rows(b);
    const std::vector<int> toggles = {kAttrEyeglasses, kAttrBangs, kAttrHat, kAttrEarrings, kAttrHair};
    *titles = {"input"};
    for (int a : toggles) titles->push_back(std::string("toggle ") + std::string(models::kAttributeNames[a]));
    auto labels = b.labels.slice(0, 0, n);
    auto base = b.attributes.slice(0, 0, n).clamp(0, 1);
    auto gen = at::detail::createCPUGenerator(1234);
    auto z = torch::randn({n, config_.manip_latent_dim}, gen);
    std::vector<std::vector<cv::Mat>> rows(n);
    for (int i = 0; i < n; ++i) rows[i].push_back(LabelsAt(b, i));
    for (int a : toggles) {
      auto ch = base.clone();
      ch.select(1, a).fill_(1).sub_(base.select(1, a));
      auto out = trainer_.Translate(labels, ch, z).cpu();
      for (int i = 0; i < n; ++i) rows[i].push_back(models::TensorToLabels(out[i]));
    }
    return rows;
  }

 private:
  models::ModelConfig config_;
  uint64_t seed_;
  double edit_;
  ManipTrainer trainer_;
  DomainTally tally_;
  int rank_ = 0;
};

// ------------------------------------------------------------------ parser
class ParserRunner : public StageRunner {
 public:
  ParserRunner(const models::ModelConfig& c, const ParserTrainOptions& o, torch::Device d) : trainer_(c, o, d) {}
  std::string stage() const override { return "parser"; }
  int64_t iteration() const override { return trainer_.iteration(); }
  std::map<std::string, double> Step(const Batch& b) override { return trainer_.Step(b.images, b.labels); }
  Status SaveState(const std::string& p, const std::map<std::string, std::string>& m) override {
    return trainer_.SaveState(p, m);
  }
  Result<std::map<std::string, std::string>> LoadState(const std::string& p) override { return trainer_.LoadState(p); }
  Status ExportModel(const std::string& p) override { return trainer_.ExportModel(p); }
  Status InitWeights(const std::string& p) override { return trainer_.InitFrom(p); }
  std::vector<std::string> HeadlineLosses() const override { return {"ce", "dice", "miou"}; }
  void SetGradientSync(GradientSync sync) override { trainer_.set_gradient_sync(std::move(sync)); }
  std::vector<torch::Tensor> ReplicaTensors() override {
    std::vector<torch::Tensor> t;
    AddModule(&t, *trainer_.network());
    return t;
  }
  Status SyncAfterStep(Distributed& dist) override { return AverageFloatBuffers(dist, {trainer_.network().get()}); }
  std::vector<std::vector<cv::Mat>> Samples(const Batch& b, std::vector<std::string>* titles) override {
    *titles = {"image", "truth", "prediction"};
    const int n = Rows(b);
    auto pred = trainer_.Predict(b.images.slice(0, 0, n)).cpu();
    std::vector<std::vector<cv::Mat>> rows;
    for (int i = 0; i < n; ++i)
      rows.push_back({models::TensorToImage(b.images[i]), LabelsAt(b, i), models::TensorToLabels(pred[i])});
    return rows;
  }

 private:
  ParserTrainer trainer_;
};

// ------------------------------------------------------------------ attr
class AttrRunner : public StageRunner {
 public:
  AttrRunner(const models::ModelConfig& c, const AttrTrainOptions& o, const std::string& source, torch::Device d)
      : trainer_(c, o, d) {
    trainer_.set_label_source(source);
  }
  std::string stage() const override { return "attr"; }
  int64_t iteration() const override { return trainer_.iteration(); }
  std::map<std::string, double> Step(const Batch& b) override {
    return trainer_.Step(b.images, b.labels, b.attributes);
  }
  Status SaveState(const std::string& p, const std::map<std::string, std::string>& m) override {
    return trainer_.SaveState(p, m);
  }
  Result<std::map<std::string, std::string>> LoadState(const std::string& p) override { return trainer_.LoadState(p); }
  Status ExportModel(const std::string& p) override { return trainer_.ExportModel(p); }
  std::vector<std::string> HeadlineLosses() const override { return {"bce", "accuracy"}; }
  void SetGradientSync(GradientSync sync) override { trainer_.set_gradient_sync(std::move(sync)); }
  std::vector<torch::Tensor> ReplicaTensors() override {
    std::vector<torch::Tensor> t;
    AddModule(&t, *trainer_.network());
    return t;
  }
  Status SyncAfterStep(Distributed& dist) override { return AverageFloatBuffers(dist, {trainer_.network().get()}); }
  std::vector<std::vector<cv::Mat>> Samples(const Batch& b, std::vector<std::string>* titles) override {
    const int n = Rows(b);
    *titles = {trainer_.spec().mask_input ? "input mask" : "input image", "predicted (truth)"};
    auto probs = trainer_.Predict(b.images.slice(0, 0, n), b.labels.slice(0, 0, n)).cpu();
    std::vector<std::vector<cv::Mat>> rows;
    for (int i = 0; i < n; ++i) {
      cv::Mat input = trainer_.spec().mask_input ? LabelsAt(b, i) : models::TensorToImage(b.images[i]);
      cv::Mat panel(160, 160, CV_8UC3, cv::Scalar(255, 255, 255));  // the grid scales cells to 128 px
      for (int a = 0; a < models::kNumAttributes; ++a) {
        const double p = probs[i][a].item<double>();
        const int64_t truth = b.attributes[i][a].item<int64_t>();
        char line[96];
        std::snprintf(line, sizeof(line), "%s %.2f (%s)", std::string(models::kDomainNames[2 * a + 1]).c_str(), p,
                      truth < 0 ? "?" : truth ? "1" : "0");
        const bool right = truth >= 0 && (p > 0.5) == (truth == 1);
        cv::putText(panel, line, cv::Point(3, 18 + 24 * a), cv::FONT_HERSHEY_PLAIN, 0.85,
                    truth < 0 ? cv::Scalar(128, 128, 128) : right ? cv::Scalar(0, 140, 0) : cv::Scalar(0, 0, 200));
      }
      rows.push_back({input, panel});
    }
    return rows;
  }

 private:
  AttrTrainer trainer_;
};

std::map<std::string, double> Pick(const std::map<std::string, double>& all, const std::vector<std::string>& keys) {
  std::map<std::string, double> out;
  for (const auto& k : keys) {
    auto it = all.find(k);
    if (it != all.end()) out[k] = it->second;
  }
  return out;
}

}  // namespace

std::unique_ptr<StageRunner> MakeSynthRunner(const models::ModelConfig& c, const SynthTrainOptions& o, torch::Device d) {
  return std::make_unique<SynthRunner>(c, o, d);
}
std::unique_ptr<StageRunner> MakeManipRunner(const models::ModelConfig& c, const ManipTrainOptions& o, double edit,
                                             torch::Device d) {
  return std::make_unique<ManipRunner>(c, o, edit, d);
}
std::unique_ptr<StageRunner> MakeAttrRunner(const models::ModelConfig& c, const AttrTrainOptions& o,
                                            const std::string& source, torch::Device d) {
  return std::make_unique<AttrRunner>(c, o, source, d);
}
std::unique_ptr<StageRunner> MakeParserRunner(const models::ModelConfig& c, const ParserTrainOptions& o,
                                              torch::Device d) {
  return std::make_unique<ParserRunner>(c, o, d);
}

std::string StatePath(const std::string& out_dir) { return (fs::path(out_dir) / "state.ckpt").string(); }

Result<RunResult> RunTraining(StageRunner& runner, DataLoader& loader, const RunOptions& o) {
  if (o.out_dir.empty()) return InvalidArgument("training needs an output folder (--out)");
  Distributed* dist = o.dist != nullptr && o.dist->world() > 1 ? o.dist : nullptr;
  const bool main_rank = dist == nullptr || dist->is_main();
  std::error_code ec;
  if (main_rank) fs::create_directories(fs::path(o.out_dir) / "samples", ec);
  if (ec) return IoError("cannot create the run folder '" + o.out_dir + "': " + ec.message() + "; check the path");
  const std::string state_path = StatePath(o.out_dir);
  const std::string model_path = (fs::path(o.out_dir) / (runner.stage() + ".ckpt")).string();
  const std::string log_path = (fs::path(o.out_dir) / "losses.jsonl").string();
  const std::string curve_path = (fs::path(o.out_dir) / "losses.png").string();

  RunResult result;
  result.world = dist ? dist->world() : 1;
  if (o.resume) {
    if (!fs::exists(state_path))
      return NotFound("--resume: no trainer state at '" + state_path + "'; start without --resume");
    SMILE_ASSIGN_OR_RETURN(auto meta, runner.LoadState(state_path));
    auto it = meta.find("loader");
    if (it == meta.end()) return Corrupt("checkpoint '" + state_path + "' lacks the data loader position");
    auto ls = LoaderState::Parse(it->second);
    if (!ls.ok()) return ls.status().WithContext(state_path);
    SMILE_RETURN_IF_ERROR(loader.Restore(*ls));
    if (main_rank) SMILE_LOG(kInfo) << "resumed " << runner.stage() << " training at iteration " << runner.iteration();
  } else if (fs::exists(state_path)) {
    return InvalidArgument("'" + o.out_dir + "' already holds a " + runner.stage() +
                           " run (state.ckpt); pass --resume to continue it or choose another --out");
  }
  if (dist) {
    runner.SetRank(dist->rank());
    // Same starting point everywhere (all ranks seed alike or load the same state; this makes sure).
    SMILE_RETURN_IF_ERROR(dist->Broadcast(runner.ReplicaTensors(), 0));
    runner.SetGradientSync([dist](torch::optim::Optimizer& opt) { AverageGradients(*dist, opt); });
  }
  result.start_iteration = runner.iteration();
  std::unique_ptr<LossLog> log;
  if (main_rank) {
    SMILE_ASSIGN_OR_RETURN(log, LossLog::Open(log_path, o.log_every, o.resume ? runner.iteration() : -1));
  }

  auto save = [&]() -> Status {
    if (!main_rank) return Status::Ok();
    RngGuard guard;
    std::map<std::string, std::string> meta;
    meta["loader"] = loader.state().Serialize();
    meta["stage"] = runner.stage();
    if (dist) meta["world"] = std::to_string(dist->world());
    SMILE_RETURN_IF_ERROR(runner.SaveState(state_path, meta));
    SMILE_RETURN_IF_ERROR(runner.ExportModel(model_path));
    std::string report = o.data_report;
    if (!runner.Report().empty()) report += (report.empty() ? "" : "\n") + runner.Report();
    if (dist)
      report += "\ndata-parallel: " + std::to_string(dist->world()) +
                " processes (rank 0's loading counts and domain tally shown)";
    report += "\nskipped while loading: " + loader.skipped().ToString() + "\n";
    return WriteFileAtomic((fs::path(o.out_dir) / "report.txt").string(), report);
  };
  auto pictures = [&](const Batch& batch) -> Status {
    if (!main_rank) return Status::Ok();
    RngGuard guard;
    std::vector<std::string> titles;
    auto rows = runner.Samples(batch, &titles);
    GridOptions g;
    g.column_titles = titles;
    char name[64];
    std::snprintf(name, sizeof(name), "iter_%07lld.png", static_cast<long long>(runner.iteration()));
    SMILE_RETURN_IF_ERROR(SaveImageGrid((fs::path(o.out_dir) / "samples" / name).string(), rows, g));
    SMILE_RETURN_IF_ERROR(log->Flush());
    PlotOptions p;
    p.title = runner.stage() + " training losses";
    return SaveLossCurvePng(log_path, curve_path, p);
  };
  // Distributed: the ranks' mean of each loss (same keys on every rank: same code path).
  auto average_losses = [&](std::map<std::string, double>* losses) -> Status {
    if (!dist || losses->empty()) return Status::Ok();
    auto t = torch::empty({static_cast<int64_t>(losses->size())}, torch::kFloat64);
    int64_t i = 0;
    for (const auto& kv : *losses) t[i++] = kv.second;
    SMILE_RETURN_IF_ERROR(dist->AllReduceMean({t}));
    i = 0;
    for (auto& kv : *losses) kv.second = t[i++].item<double>();
    return Status::Ok();
  };

  const bool show = o.progress && main_rank;
  TrainingProgress progress(runner.stage(), o.iterations, runner.iteration());
  const auto t0 = std::chrono::steady_clock::now();
  Batch last_batch;
  bool have_batch = false;
  while (runner.iteration() < o.iterations) {
    bool stop = StopRequested();
    if (dist) {  // stop together, or a rank would wait in a collective for one that left
      auto flag = torch::full({1}, stop ? 1 : 0, torch::kInt32);
      SMILE_RETURN_IF_ERROR(dist->AllReduceMax(flag));
      stop = flag.item<int>() != 0;
    }
    if (stop) {
      result.interrupted = true;
      break;
    }
    SMILE_ASSIGN_OR_RETURN(Batch batch, loader.Next());
    if (dist) torch::manual_seed(HashSeed(o.seed, static_cast<uint64_t>(runner.iteration()), 0xD157u,
                                          static_cast<uint64_t>(dist->rank())));
    std::map<std::string, double> losses;
    try {
      losses = runner.Step(batch);
    } catch (const std::runtime_error& e) {
      if (!dist) throw;
      return Internal(std::string(e.what()));
    }
    if (dist) {
      SMILE_RETURN_IF_ERROR(runner.SyncAfterStep(*dist));
      SMILE_RETURN_IF_ERROR(average_losses(&losses));
    }
    for (const auto& [k, v] : losses)
      if (!std::isfinite(v))
        return Internal(runner.stage() + " training diverged at iteration " + std::to_string(runner.iteration()) +
                        ": loss '" + k + "' is not finite; lower --lr or resume from the last checkpoint");
    const int64_t it = runner.iteration();
    if (log) SMILE_RETURN_IF_ERROR(log->Add(it, losses));
    if (show) progress.Update(it, Pick(losses, runner.HeadlineLosses()));
    result.last_losses = losses;
    last_batch = std::move(batch);
    have_batch = true;
    if (o.checkpoint_every > 0 && it % o.checkpoint_every == 0 && it < o.iterations) SMILE_RETURN_IF_ERROR(save());
    if (o.sample_every > 0 && it % o.sample_every == 0) SMILE_RETURN_IF_ERROR(pictures(last_batch));
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (show) progress.Finish(Pick(result.last_losses, runner.HeadlineLosses()));
  if (dist) {
    // The replicas must still be identical (same steps from the same start).
    auto [sum, sq] = Fingerprint(runner.ReplicaTensors());
    auto hi = torch::tensor({sum, sq}, torch::kFloat64), lo = hi.clone();
    SMILE_RETURN_IF_ERROR(dist->AllReduceMax(hi));
    SMILE_RETURN_IF_ERROR(dist->AllReduceMin(lo));
    const double spread = (hi - lo).abs().max().item<double>();
    const double scale = std::max(1.0, std::abs(sq));
    if (spread > 1e-9 * scale)
      return Internal("distributed training: the " + std::to_string(dist->world()) +
                      " replicas' weights differ at the end (fingerprint spread " + std::to_string(spread) +
                      "); this is a bug, please report it");
  }
  if (log) SMILE_RETURN_IF_ERROR(log->Flush());
  SMILE_RETURN_IF_ERROR(save());
  if (have_batch) SMILE_RETURN_IF_ERROR(pictures(last_batch));
  result.end_iteration = runner.iteration();
  const int64_t done = result.end_iteration - result.start_iteration;
  result.iterations_per_second = result.seconds > 0 ? done / result.seconds : 0;
  result.skipped = loader.skipped().ToString();
  return result;
}

}  // namespace smile::training
