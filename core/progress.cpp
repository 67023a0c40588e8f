#include "core/progress.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>

#include "core/frame.h"
#include "core/terminal.h"

namespace smile {
namespace {
std::atomic<bool> g_quiet{false};
}

ProgressBar::ProgressBar(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)), total_(total), unit_(std::move(unit)), start_us_(SteadyMicros()),
      enabled_(!g_quiet.load() && StderrIsTty()),
      log_lines_(!g_quiet.load() && !StderrIsTty()) {}

ProgressBar::~ProgressBar() {
  if (enabled_ && !finished_) Finish();
}

void ProgressBar::SetQuiet(bool quiet) { g_quiet = quiet; }
bool ProgressBar::quiet() { return g_quiet.load(); }

double ProgressBar::rate() const {
  double elapsed = (SteadyMicros() - start_us_) / 1e6;
  return elapsed > 0 ? (done_ - resumed_at_) / elapsed : 0.0;
}

std::string ProgressBar::FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof(buf), "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else std::snprintf(buf, sizeof(buf), "%ld:%02ld", s / 60, s % 60);
  return buf;
}

std::string ProgressBar::RateUnit() const { return unit_ == "frames" ? "fps" : unit_ + "/s"; }

std::string ProgressBar::Render(int64_t done, double elapsed_s, const std::string& extra, int width) const {
  char buf[512];
  double rate = elapsed_s > 0 ? std::max<int64_t>(0, done - resumed_at_) / elapsed_s : 0.0;
  std::string out = label_ + " ";
  if (total_ > 0) {
    double frac = std::min(1.0, static_cast<double>(done) / total_);
    int fill = static_cast<int>(frac * width);
    out += "[" + std::string(fill, '#') + std::string(width - fill, '.') + "]";
    double eta = rate > 0 ? (total_ - done) / rate : NAN;
    std::snprintf(buf, sizeof(buf), " %3d%%  %lld/%lld %s  %.1f %s  ETA %s", static_cast<int>(frac * 100),
                  static_cast<long long>(done), static_cast<long long>(total_), unit_.c_str(), rate,
                  RateUnit().c_str(), FormatDuration(eta).c_str());
  } else {
    std::snprintf(buf, sizeof(buf), " %lld %s  %.1f %s  elapsed %s", static_cast<long long>(done),
                  unit_.c_str(), rate, RateUnit().c_str(), FormatDuration(elapsed_s).c_str());
  }
  out += buf;
  if (!extra.empty()) out += "  " + extra;
  return out;
}

void ProgressBar::Update(int64_t done, const std::string& extra) {
  done_ = done;
  int64_t now = SteadyMicros();
  if (log_lines_) {  // not a terminal: one plain line every 30 s
    if (now - last_draw_us_ < 30000000) return;
    if (last_draw_us_ == 0 && now - start_us_ < 30000000) return;
    last_draw_us_ = now;
    std::string line = Render(done, (now - start_us_) / 1e6, extra);
    std::lock_guard<std::mutex> lock(TerminalMutex());
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
    return;
  }
  if (!enabled_) return;
  if (now - last_draw_us_ < 100000 && !(total_ > 0 && done >= total_)) return;
  last_draw_us_ = now;
  std::string line = Render(done, (now - start_us_) / 1e6, extra);
  std::lock_guard<std::mutex> lock(TerminalMutex());
  std::fprintf(stderr, "\r\033[2K%s", line.c_str());
  std::fflush(stderr);
  SetStatusLineShownLocked(true);
}

void ProgressBar::Finish(const std::string& extra) {
  if (finished_) return;
  finished_ = true;
  if (log_lines_ && last_draw_us_ != 0) {  // a logged job also logs its end
    std::string line = Render(done_, (SteadyMicros() - start_us_) / 1e6, extra);
    std::lock_guard<std::mutex> lock(TerminalMutex());
    std::fprintf(stderr, "%s\n", line.c_str());
    return;
  }
  if (!enabled_) return;
  std::string line = Render(done_, (SteadyMicros() - start_us_) / 1e6, extra);
  std::lock_guard<std::mutex> lock(TerminalMutex());
  std::fprintf(stderr, "\r\033[2K%s\n", line.c_str());
  std::fflush(stderr);
  SetStatusLineShownLocked(false);
}

}  // namespace smile
