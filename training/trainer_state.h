// Resumable trainer state on top of models/checkpoint: one file holds the trained
// networks (a holder module, e.g. {net, disc}), the EMA copy, every optimiser's
// Adam state (named blob sections "optim.<name>"), the torch RNG state(s) ("rng.cpu";
// CPU only for now) and free metadata (iteration, loader position, running means).
// The file is written atomically by SaveCheckpoint. Restoring the RNG makes a run
// stopped at k and resumed continue with exactly the draws the uninterrupted run makes.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "core/status.h"
#include "models/config.h"

namespace smile::training {

// Checkpoint kinds of trainer states (a stage's inference checkpoint uses models' kinds).
inline constexpr const char* kKindSynthTrain = "synth_train";
inline constexpr const char* kKindManipTrain = "manip_train";
inline constexpr const char* kKindParserTrain = "parser_train";

struct TrainerStateParts {
  std::string kind;
  models::ModelConfig config;
  torch::nn::Module* weights = nullptr;  // every trained network, registered in one holder
  torch::nn::Module* ema = nullptr;      // optional
  std::vector<std::pair<std::string, torch::optim::Optimizer*>> optimizers;
};

Status SaveTrainerState(const std::string& path, const TrainerStateParts& parts,
                        const std::map<std::string, std::string>& metadata);
// Restores weights, EMA, optimisers and RNG; returns the metadata. Refuses a checkpoint
// of another kind or config with a message naming both.
Result<std::map<std::string, std::string>> LoadTrainerState(const std::string& path, const TrainerStateParts& parts);

// Exact text for a double (hex float) and back.
std::string ExactDouble(double v);
Result<double> ParseExactDouble(const std::string& text);
Result<int64_t> MetadataInt(const std::map<std::string, std::string>& metadata, const std::string& key);

// A module that only registers other modules under names (to save several networks as one).
struct ModuleGroup : torch::nn::Module {
  template <typename M>
  void Add(const std::string& name, M& holder) {
    register_module(name, holder.ptr());
  }
};

}  // namespace smile::training
