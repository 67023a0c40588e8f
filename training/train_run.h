// The training loop shared by `smile train synth|manip|parser` and the tests:
// a StageRunner adapts one stage's trainer to loader batches; RunTraining drives
// it for N iterations with a progress bar (iteration, losses, it/s, ETA), a JSONL
// loss log, a sample grid PNG every K iterations, a loss-curve PNG, and a resumable
// state written atomically every M iterations, at the end and on SIGINT/SIGTERM.
//
// Run folder:  state.ckpt            trainer state (kind <stage>_train) incl. loader position
//              <stage>.ckpt          inference checkpoint (EMA weights where the stage has them)
//              losses.jsonl, losses.png, samples/iter_<n>.png, report.txt (data / domain counts)
// A resumed run (resume = true) continues EXACTLY: same weights as an uninterrupted run.
//
// Data-parallel (RunOptions::dist with world > 1): every rank runs this loop on its shard of
// each global batch (LoaderOptions::shard_*); gradients are averaged before every optimiser
// step, BatchNorm statistics (and synth's path-length mean) after it, and the logged losses
// are the ranks' mean. Rank 0 alone writes the run folder. Ranks agree on stopping (Ctrl-C)
// before each iteration; torch's random draws are reseeded per (seed, iteration, rank), so a
// resumed distributed run also continues exactly. At the end the replicas' weights are
// compared (fingerprint) and a mismatch is an error.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include "core/status.h"
#include "training/distributed.h"
#include "models/config.h"
#include "training/attr_trainer.h"
#include "training/loader.h"
#include "training/manip_trainer.h"
#include "training/parser_trainer.h"
#include "training/synth_trainer.h"

namespace smile::training {

class StageRunner {
 public:
  virtual ~StageRunner() = default;
  virtual std::string stage() const = 0;  // "synth", "manip", "parser", "attr"
  virtual int64_t iteration() const = 0;
  virtual std::map<std::string, double> Step(const Batch& batch) = 0;
  virtual Status SaveState(const std::string& path, const std::map<std::string, std::string>& metadata) = 0;
  virtual Result<std::map<std::string, std::string>> LoadState(const std::string& path) = 0;
  virtual Status ExportModel(const std::string& path) = 0;
  // Starts a new run from a trained network's weights (fine-tuning); parser only.
  virtual Status InitWeights(const std::string& path) {
    (void)path;
    return InvalidArgument("--init is implemented for the parser stage; drop it for " + stage());
  }
  // Rows of the sample grid for this batch (BGR images or CV_8UC1 label maps) and column titles.
  virtual std::vector<std::vector<cv::Mat>> Samples(const Batch& batch, std::vector<std::string>* titles) = 0;
  // Losses shown on the progress bar (all are logged).
  virtual std::vector<std::string> HeadlineLosses() const = 0;
  // Extra lines for report.txt (e.g. the manipulation domain counts); empty if none.
  virtual std::string Report() const { return ""; }
  // Distributed: installs the hook called before every optimiser step.
  virtual void SetGradientSync(GradientSync sync) = 0;
  // Distributed: every tensor that must be identical on all ranks (weights, buffers, EMA).
  virtual std::vector<torch::Tensor> ReplicaTensors() = 0;
  // Distributed: averages the running state a step leaves rank-dependent (BatchNorm
  // statistics, synth's path-length mean). Default: the floating buffers of ReplicaTensors.
  virtual Status SyncAfterStep(Distributed& dist) = 0;
  // Distributed: which rank this replica is (mixes into per-sample random choices).
  virtual void SetRank(int rank) { (void)rank; }
};

std::unique_ptr<StageRunner> MakeSynthRunner(const models::ModelConfig& config, const SynthTrainOptions& options,
                                             torch::Device device);
// edit_probability: share of samples moved into a missing domain by mask editing.
std::unique_ptr<StageRunner> MakeManipRunner(const models::ModelConfig& config, const ManipTrainOptions& options,
                                             double edit_probability, torch::Device device);
// The attribute classifier (kind "attr"); `label_source` is recorded in its checkpoint.
std::unique_ptr<StageRunner> MakeAttrRunner(const models::ModelConfig& config, const AttrTrainOptions& options,
                                            const std::string& label_source, torch::Device device);
std::unique_ptr<StageRunner> MakeParserRunner(const models::ModelConfig& config, const ParserTrainOptions& options,
                                              torch::Device device);

struct RunOptions {
  std::string out_dir;
  int64_t iterations = 1000;     // total (a resumed run continues up to this)
  int64_t checkpoint_every = 500;
  int64_t sample_every = 200;    // 0 = only at the end
  int log_every = 1;             // JSONL window
  bool resume = false;
  bool progress = true;
  std::string data_report;       // written to report.txt (dataset / skip summary)
  Distributed* dist = nullptr;   // data-parallel group (nullptr or world 1 = one process)
  uint64_t seed = 0;             // distributed: torch RNG reseeded from (seed, iteration, rank)
};

struct RunResult {
  int64_t start_iteration = 0, end_iteration = 0;
  double seconds = 0;
  double iterations_per_second = 0;
  bool interrupted = false;
  std::map<std::string, double> last_losses;
  std::string skipped;  // loader skip summary
  int world = 1;        // processes that trained together
};

Result<RunResult> RunTraining(StageRunner& runner, DataLoader& loader, const RunOptions& options);

// Path of the trainer state inside a run folder.
std::string StatePath(const std::string& out_dir);

}  // namespace smile::training
