// Checkpoint format shared by every smile network (synthesis, manipulation, parser).
//
// File layout (little-endian; version 1):
//   "SMILECKP"                 8-byte magic
//   u32 format_version         readers refuse newer versions ("upgrade smile")
//   u64 total_file_size        detects truncation with an exact byte count
//   header record              kind string, ModelConfig::Serialize() text, labels,
//                              attributes, free-form metadata (key/value strings)
//   u32 section count, then sections: "weights" (named tensors, always),
//                              "ema" (named tensors, optional), "optimizer" (blob:
//                              torch::serialize archive of the optimiser state, optional)
//   u64 FNV-1a-64 checksum of every byte before it, then "SMILEEND"
// Strings are u32 length + bytes; tensors are name, dtype, rank, dims, u64 byte
// count, raw contiguous CPU bytes.
//
// Saving is atomic (write "<path>.tmp-<pid>", flush, rename over <path>). Loading
// validates magic, version, size, checksum, network kind and, in LoadInto, every
// parameter name and shape, with messages that say what is wrong and what to do.
//
// The header stays free of torch includes: torch::nn::Module and
// torch::optim::Optimizer are only forward-declared (callers pass references).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "models/config.h"

namespace torch {
namespace nn {
class Module;
}  // namespace nn
namespace optim {
class Optimizer;
}  // namespace optim
}  // namespace torch

namespace smile::models {

inline constexpr uint32_t kCheckpointFormatVersion = 1;

// Network kinds used by smile (any non-empty string is accepted by the format).
inline constexpr const char* kKindSynth = "synth";            // SynthesisNetwork (G + mapping + encoder)
inline constexpr const char* kKindSynthDisc = "synth_disc";  // synthesis discriminator
inline constexpr const char* kKindManip = "manip";
inline constexpr const char* kKindParser = "parser";

struct CheckpointHeader {
  uint32_t format_version = kCheckpointFormatVersion;
  std::string kind;
  ModelConfig config;
  std::vector<std::string> labels;      // class names, e.g. the 19 CelebAMask-HQ labels
  std::vector<std::string> attributes;  // manipulation domains, if any
  std::map<std::string, std::string> metadata;  // iteration, data set, notes ...
};

struct CheckpointExtras {
  std::vector<std::string> labels;
  std::vector<std::string> attributes;
  std::map<std::string, std::string> metadata;
  const torch::nn::Module* ema = nullptr;          // EMA copy of the same network
  const torch::optim::Optimizer* optimizer = nullptr;
  // Further named binary sections (e.g. a second optimiser, RNG states of a trainer's
  // resumable state); names must differ from "weights", "ema" and "optimizer".
  std::map<std::string, std::string> blobs;
};

Status SaveCheckpoint(const std::string& path, const std::string& kind, const ModelConfig& config,
                      const torch::nn::Module& module, const CheckpointExtras& extras = {});

class Checkpoint {
 public:
  struct Data;  // tensors (defined in checkpoint.cpp)

  const CheckpointHeader& header() const;
  const std::string& path() const { return path_; }
  bool has_ema() const;
  bool has_optimizer() const;
  std::vector<std::string> WeightNames() const;

  // Copies the weights into `module` (strict: same names, same shapes).
  Status LoadInto(torch::nn::Module& module) const;
  Status LoadEmaInto(torch::nn::Module& module) const;
  Status LoadOptimizerInto(torch::optim::Optimizer& optimizer) const;
  // A named blob section written through CheckpointExtras::blobs; nullptr when absent.
  const std::string* blob(const std::string& name) const;

 private:
  friend Result<Checkpoint> LoadCheckpoint(const std::string& path, const std::string& expected_kind);
  std::string path_;
  std::shared_ptr<const Data> data_;
};

// expected_kind empty = accept any kind.
Result<Checkpoint> LoadCheckpoint(const std::string& path, const std::string& expected_kind);

// Header only (still validates magic, version, size and checksum).
Result<CheckpointHeader> ReadCheckpointHeader(const std::string& path);

}  // namespace smile::models
