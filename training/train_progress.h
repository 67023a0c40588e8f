// TrainingProgress: the trainer's status line on a core ProgressBar,
//   train [####......]  40%  2000/5000 it  3.1 it/s  ETA 16:07  iter 7000  d_adv 0.693 g_adv 1.21
// Resumed runs count from the resumed iteration so it/s and ETA stay right.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "core/progress.h"

namespace smile::training {

// "d_adv 0.693 g_adv 1.21" (4 significant digits, names sorted).
std::string FormatLosses(const std::map<std::string, double>& losses);

class TrainingProgress {
 public:
  TrainingProgress(const std::string& label, int64_t total_iterations, int64_t start_iteration = 0);
  void Update(int64_t iteration, const std::map<std::string, double>& losses);
  void Finish(const std::map<std::string, double>& losses = {});
  // The line the bar would show now (for logs and tests).
  std::string Render(int64_t iteration, double elapsed_s, const std::map<std::string, double>& losses) const;
  const ProgressBar& bar() const { return bar_; }

 private:
  int64_t start_;
  int64_t last_ = 0;
  ProgressBar bar_;
};

}  // namespace smile::training
