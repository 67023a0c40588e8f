// smile: command-line entry point. Global flags come before the subcommand:
//   smile [--quiet] [--verbose] <command> [options]
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "apps/command.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/shutdown.h"

namespace {

void PrintUsage() {
  std::printf("smile %s - semantic head swap, reenactment and attribute editing for video\n\n", SMILE_VERSION);
  std::printf("usage: smile [--quiet] [--verbose] <command> [options]\n\ncommands:\n");
  for (const auto& c : smile::app::Commands()) std::printf("  %-10s %s\n", c.name.c_str(), c.summary.c_str());
  std::printf("\nRun 'smile <command> --help' for the options of one command.\n");
  std::printf("Global flags: --quiet (no progress bars, warnings only), --verbose (debug log).\n");
  std::printf("\nConsent: only use smile on people who have agreed to it, and never present its output as real.\n"
              "Every generated file is tagged synthetic=true (video metadata, PNG text chunk); --watermark also\n"
              "draws a visible 'AI-generated' label (on by default for live streams).\n");
}

}  // namespace

int main(int argc, char** argv) {
  // libgomp reads OMP_WAIT_POLICY once, when it loads, before main. Its default busy-waits
  // at every parallel-region barrier, which collapses LibTorch's speed 4-5x as soon as the
  // cores are shared (pipeline stages, a second job, a build): measured 11-15 s vs 2.7 s for
  // one batch-4 training step under load. OpenBLAS (dlib's and LibTorch's BLAS) likewise reads
  // OPENBLAS_NUM_THREADS at load; its worker threads spin in sched_yield between calls, which took
  // a quarter of the CPU of a swap on 2 cores (perf) and competes with the pipeline's stage threads:
  // one BLAS thread per calling thread swaps d11 at 12.2 fps instead of 10.3, runs the small
  // generator 1.3x faster, and leaves fitting unchanged. Re-exec once with both set unless the
  // user chose them.
  const bool set_omp = std::getenv("OMP_WAIT_POLICY") == nullptr;
  const bool set_blas = std::getenv("OPENBLAS_NUM_THREADS") == nullptr;
  if ((set_omp || set_blas) && argc > 0) {
    if (set_omp) setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    if (set_blas) setenv("OPENBLAS_NUM_THREADS", "1", 1);
    execv("/proc/self/exe", argv);  // returns only on failure: carry on with the defaults
  }
  smile::InstallSignalHandlers();
  std::vector<std::string> args(argv + 1, argv + argc);
  size_t i = 0;
  for (; i < args.size() && args[i].rfind("--", 0) == 0; ++i) {
    if (args[i] == "--quiet" || args[i] == "-q") {
      smile::ProgressBar::SetQuiet(true);
      smile::SetLogLevel(smile::LogLevel::kWarn);
    } else if (args[i] == "--verbose" || args[i] == "-v") {
      smile::SetLogLevel(smile::LogLevel::kDebug);
    } else if (args[i] == "--help" || args[i] == "-h") {
      PrintUsage();
      return 0;
    } else if (args[i] == "--version") {
      std::printf("smile %s\n", SMILE_VERSION);
      return 0;
    } else {
      std::fprintf(stderr, "smile: unknown global flag '%s'; global flags are --quiet, --verbose, --help\n",
                   args[i].c_str());
      return 2;
    }
  }
  if (i >= args.size()) {
    PrintUsage();
    return 2;
  }
  const std::string name = args[i];
  std::vector<std::string> rest(args.begin() + i + 1, args.end());
  // `--quiet` is also accepted after the command.
  for (auto it = rest.begin(); it != rest.end();) {
    if (*it == "--quiet") {
      smile::ProgressBar::SetQuiet(true);
      smile::SetLogLevel(smile::LogLevel::kWarn);
      it = rest.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& c : smile::app::Commands()) {
    if (c.name != name) continue;
    smile::Status s;
    try {
      s = c.fn(rest);
    } catch (const std::exception& e) {
      s = smile::Internal(std::string("unexpected exception: ") + e.what());
    }
    if (!s.ok()) std::fprintf(stderr, "smile %s: error: %s\n", name.c_str(), s.message().c_str());
    return s.ExitCode();
  }
  std::string best;
  size_t best_d = 3;
  for (const auto& c : smile::app::Commands()) {
    size_t d = smile::EditDistance(name, c.name);
    if (d < best_d) best_d = d, best = c.name;
  }
  std::fprintf(stderr, "smile: unknown command '%s'%s; run 'smile --help' for the list\n", name.c_str(),
               best.empty() ? "" : ("; did you mean '" + best + "'?").c_str());
  return 2;
}
