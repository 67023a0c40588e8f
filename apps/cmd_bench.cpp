// smile bench models: seconds per image and parameter counts of the synthesis
// networks (plain and fast fixed-style generator, style encoder, mapping,
// discriminator) for the paper configurations at 128 and 256 px.
#include <cstdio>
#include <sstream>

#include "apps/command.h"
#include "models/bench.h"

namespace smile::app {
namespace {

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

Status RunBench(const std::vector<std::string>& args) {
  ArgParser p("bench", "Benchmark smile components. Targets: models (synthesis networks).");
  p.Positional("target", "what to benchmark: models");
  p.Option("configs", "LIST", "comma-separated model presets (paper, paper128, small, tiny)", "paper128,paper");
  p.Option("networks", "LIST",
           "comma-separated: generator, generator_fast, generator_fast_cl, generator_bf16, style_encoder, "
           "mapping, discriminator",
           "generator,generator_fast,generator_fast_cl,generator_bf16,style_encoder,mapping,discriminator");
  p.Option("iters", "N", "timed runs per network (the median is reported)", "3");
  p.Option("warmup", "N", "untimed runs before timing", "1");
  p.Option("threads", "N", "intra-op threads (0 = all cores)", "0");
  p.Epilog("example: smile bench models --configs small,paper128 --iters 5\n");
  Status st;
  if (!ParseOrHelp(p, args, &st)) return st;
  if (p.Get("target") != "models")
    return InvalidArgument("unknown bench target '" + p.Get("target") + "'; the only target is 'models'");
  models::ModelBenchOptions o;
  o.configs = SplitCommas(p.Get("configs"));
  o.networks = SplitCommas(p.Get("networks"));
  SMILE_ASSIGN_OR_RETURN(int64_t iters, p.GetInt("iters", 1, 1000));
  SMILE_ASSIGN_OR_RETURN(int64_t warmup, p.GetInt("warmup", 0, 100));
  SMILE_ASSIGN_OR_RETURN(int64_t threads, p.GetInt("threads", 0, 1024));
  o.iterations = static_cast<int>(iters);
  o.warmup = static_cast<int>(warmup);
  o.threads = static_cast<int>(threads);
  std::printf("%-15s %-9s %5s %12s %10s %10s %s\n", "network", "config", "size", "params", "s/image", "min s",
              "note");
  std::fflush(stdout);
  auto rows = models::BenchSynthesisModels(o, [](const models::ModelBenchRow& r) {
    std::string note;
    if (r.max_abs_diff >= 0) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "max |fast - plain| = %.2e", r.max_abs_diff);
      note = buf;
    }
    std::printf("%-15s %-9s %5d %12lld %10.4f %10.4f %s\n", r.network.c_str(), r.config.c_str(), r.image_size,
                static_cast<long long>(r.params), r.seconds_per_image, r.min_seconds, note.c_str());
    std::fflush(stdout);
  });
  return rows.ok() ? Status::Ok() : rows.status();
}

}  // namespace

SMILE_COMMAND(bench, 90, "Benchmark components (bench models: synthesis network speed and size)", RunBench);

}  // namespace smile::app
