#include "training/train_progress.h"

#include <cstdio>

namespace smile::training {

std::string FormatLosses(const std::map<std::string, double>& losses) {
  std::string out;
  char buf[64];
  for (const auto& [k, v] : losses) {
    std::snprintf(buf, sizeof(buf), "%.4g", v);
    if (!out.empty()) out += ' ';
    out += k + " " + buf;
  }
  return out;
}

TrainingProgress::TrainingProgress(const std::string& label, int64_t total, int64_t start)
    : start_(start), last_(start), bar_(label, total > start ? total - start : 0, "it") {}

std::string TrainingProgress::Render(int64_t iteration, double elapsed_s,
                                     const std::map<std::string, double>& losses) const {
  std::string extra = "iter " + std::to_string(iteration);
  if (!losses.empty()) extra += "  " + FormatLosses(losses);
  return bar_.Render(iteration - start_, elapsed_s, extra);
}

void TrainingProgress::Update(int64_t iteration, const std::map<std::string, double>& losses) {
  last_ = iteration;
  std::string extra = "iter " + std::to_string(iteration);
  if (!losses.empty()) extra += "  " + FormatLosses(losses);
  bar_.Update(iteration - start_, extra);
}

void TrainingProgress::Finish(const std::map<std::string, double>& losses) {
  std::string extra = "iter " + std::to_string(last_);
  if (!losses.empty()) extra += "  " + FormatLosses(losses);
  bar_.Finish(extra);
}

}  // namespace smile::training
