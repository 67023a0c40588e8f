// ProgressBar: one status line on stderr for long jobs:
//   swap  [#########.........]  48%  212/441 frames  23.1 fps  ETA 0:10  loss 0.31
// Drawn when stderr is a terminal and not disabled (--quiet); redraws at most ~10
// times a second. When stderr is a file or pipe (logs, nohup), a plain line is
// written every 30 s instead, so long jobs still show progress. Total 0 means unknown length (no percent / ETA).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

namespace smile {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, std::string unit = "frames");
  ~ProgressBar();

  // Globally silence progress bars (--quiet).
  static void SetQuiet(bool quiet);
  static bool quiet();

  void Update(int64_t done, const std::string& extra = "");
  void Increment(const std::string& extra = "") { Update(done_ + 1, extra); }
  void SetTotal(int64_t total) { total_ = total; }
  // A resumed job: `done` items were finished by an earlier run, so the rate (and the ETA)
  // count only what this run does.
  void ResumeFrom(int64_t done) { done_ = resumed_at_ = done; }
  // Draws the final state and moves to a new line.
  void Finish(const std::string& extra = "");

  // Formatting used by the bar (public for tests).
  static std::string FormatDuration(double seconds);
  std::string Render(int64_t done, double elapsed_s, const std::string& extra, int width = 20) const;
  bool enabled() const { return enabled_; }
  bool logging() const { return log_lines_; }
  double rate() const;  // items per second so far
  std::string RateUnit() const;  // "fps" for frames, else "<unit>/s"

 private:
  std::string label_;
  int64_t total_;
  std::string unit_;
  int64_t done_ = 0;
  int64_t resumed_at_ = 0;
  int64_t start_us_;
  int64_t last_draw_us_ = 0;
  bool enabled_;
  bool log_lines_;
  bool finished_ = false;
};

}  // namespace smile
