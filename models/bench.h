// Timing of the synthesis-stage networks (`smile bench models`): seconds per
// image (median of timed runs after warm-up, batch 1, no autograd) and parameter
// counts, for each requested model config. Torch stays out of this header.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"

namespace smile::models {

struct ModelBenchOptions {
  std::vector<std::string> configs = {"paper128", "paper"};  // ModelConfig presets
  // generator (plain forward), generator_fast (fixed-style fast path, fp32),
  // generator_fast_cl (same, channels-last), generator_bf16 (bf16, polyphase),
  // style_encoder, mapping, discriminator
  std::vector<std::string> networks = {"generator",     "generator_fast", "generator_fast_cl", "generator_bf16",
                                       "style_encoder", "mapping",        "discriminator"};
  int warmup = 1;
  int iterations = 3;
  int threads = 0;  // 0 = all cores
};

struct ModelBenchRow {
  std::string network;
  std::string config;
  int image_size = 0;
  int64_t params = 0;
  double seconds_per_image = 0;  // median
  double min_seconds = 0;
  int iterations = 0;
  double max_abs_diff = -1;      // fast variants only: vs the plain forward
};

std::vector<std::string> BenchNetworkNames();

// Calls on_row as each row is measured (for live printing).
Result<std::vector<ModelBenchRow>> BenchSynthesisModels(const ModelBenchOptions& options,
                                                        const std::function<void(const ModelBenchRow&)>& on_row = {});

}  // namespace smile::models
