// BenchCollector: a Google Benchmark reporter that keeps each benchmark's per-repetition wall
// seconds per iteration (and any error), so `smile bench` can print medians and ratios to a
// baseline measured in the same process. Shared by bench models (models/bench) and bench faces
// (engine/bench_faces).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

namespace smile::models {

class BenchCollector : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      const std::string& name = r.run_name.function_name;
      if (r.error_occurred) errors[name] = r.error_message;
      if (r.run_type != Run::RT_Iteration || r.error_occurred || r.iterations <= 0) continue;
      seconds[name].push_back(r.real_accumulated_time / static_cast<double>(r.iterations));
    }
  }
  void Finalize() override {}
  std::map<std::string, std::vector<double>> seconds;  // by registered name
  std::map<std::string, std::string> errors;
};

}  // namespace smile::models
