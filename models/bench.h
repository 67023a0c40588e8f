// `smile bench models`: Google Benchmark runs of every network of both SMILE stages and the
// face parser (batch 1, no autograd), per model config, with parameter counts; the fixed-style
// synthesis fast paths are reported as speed ratios against the plain generator forward run in
// the same process, with their max |fast - plain| error. Torch stays out of this header.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"

namespace smile::models {

std::vector<std::string> BenchNetworkNames();

struct ModelBenchOptions {
  std::vector<std::string> configs = {"paper128", "paper"};  // ModelConfig presets
  // Synthesis: generator (plain forward), generator_fast (fixed-style fast path, fp32),
  // generator_fast_cl (same, channels-last), generator_bf16 (same, channels-last bf16), style_encoder,
  // mapping, discriminator. Manipulation: manip_generator, manip_style_encoder, manip_mapping,
  // manip_discriminator. Parser: parser.
  std::vector<std::string> networks = BenchNetworkNames();
  int warmup = 1;      // untimed runs first (allocator, oneDNN primitive caches)
  int iterations = 3;  // timed repetitions of one image each (median and min reported)
  int threads = 0;     // 0 = all cores
  std::string device = "cpu";  // "cpu", "cuda" or "cuda:N" (models/runtime.h ChooseDevice)
  // Label map (class indices, row-major mask_height x mask_width, e.g. a CelebAMask-HQ map read
  // by the caller) the generators and the manipulation networks run on, resized (nearest) to each
  // network's size; empty: a synthetic face-like layout. The fast path's speed depends on how
  // much of the mask is class boundary. mask_name names it in errors.
  std::vector<uint8_t> mask_labels;
  int mask_width = 0, mask_height = 0;
  std::string mask_name;
};

struct ModelBenchRow {
  std::string network;
  std::string config;
  std::string device;            // "cpu" or "cuda:N"
  int image_size = 0;
  int64_t params = 0;
  double seconds_per_image = 0;  // median of the repetitions
  double min_seconds = 0;
  int iterations = 0;
  double max_abs_diff = -1;      // fast variants only: vs the plain forward
  double speedup = 0;            // fast variants only: plain generator s / this s (same run); 0 = no baseline
  double boundary_share = -1;    // fast variants only: share of pixels at the largest resolution whose 5x5
                                 // mask window mixes classes (the rest use per-class tables)
};

// The table `smile bench models` prints: header line and one line per row.
std::string BenchTableHeader();
std::string FormatBenchRow(const ModelBenchRow& row);

// Calls on_row as each row is measured (for live printing).
Result<std::vector<ModelBenchRow>> BenchSynthesisModels(const ModelBenchOptions& options,
                                                        const std::function<void(const ModelBenchRow&)>& on_row = {});

}  // namespace smile::models
