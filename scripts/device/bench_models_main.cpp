// Runs `smile bench models` (models/bench.cpp, Google Benchmark) where only LibTorch exists,
// for scripts/device/gpu_check.sh: the full smile binary needs OpenCV, dlib, FFmpeg and
// GStreamer, which a bare GPU machine lacks. Same benchmark code, same table.
//   bench_models DEVICE CONFIGS NETWORKS ITERS WARMUP
#include <cstdio>
#include <cstdlib>

#include "core/args.h"
#include "models/bench.h"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s DEVICE CONFIGS NETWORKS ITERS WARMUP\n", argv[0]);
    return 2;
  }
  smile::models::ModelBenchOptions o;
  o.device = argv[1];
  o.configs = smile::SplitCommas(argv[2]);
  o.networks = smile::SplitCommas(argv[3]);
  o.iterations = std::atoi(argv[4]);
  o.warmup = std::atoi(argv[5]);
  std::printf("%s\n", smile::models::BenchTableHeader().c_str());
  std::fflush(stdout);
  auto rows = smile::models::BenchSynthesisModels(o, [](const smile::models::ModelBenchRow& r) {
    std::printf("%s\n", smile::models::FormatBenchRow(r).c_str());
    std::fflush(stdout);
  });
  if (!rows.ok()) {
    std::fprintf(stderr, "bench: %s\n", rows.status().ToString().c_str());
    return 1;
  }
  return 0;
}
