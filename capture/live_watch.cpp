#include "capture/live_watch.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "core/log.h"
#include "core/shutdown.h"

namespace smile::capture {
namespace {

std::string Seconds(double s) {
  char b[32];
  std::snprintf(b, sizeof(b), "%.1f s", s);
  return b;
}

// Shared by the reader thread and the LiveWatch (the thread may outlive the LiveWatch when
// its source is blocked at shutdown; it then owns the state until the read returns).
struct State {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<std::pair<Frame, int64_t>> slot;  // newest frame and its arrival time
  int64_t last_arrival_us = 0;
  bool finished = false, reader_done = false, reconnecting = false;
  Status final_status;
  LiveWatchStats stats;
  bool quit = false;

  std::unique_ptr<FrameSource> source;  // the reader thread's alone
  SourceOpener reopen;
  LiveWatchOptions options;

  bool Quitting() {
    std::lock_guard<std::mutex> lk(mu);
    return quit;
  }
  void Finish(Status s) {
    std::lock_guard<std::mutex> lk(mu);
    finished = true;
    final_status = std::move(s);
    cv.notify_all();
  }
};

void ReaderLoop(const std::shared_ptr<State>& s) {
  while (!s->Quitting()) {
    Result<Frame> f = s->source->Read();
    if (s->Quitting()) break;
    if (f.ok()) {
      std::lock_guard<std::mutex> lk(s->mu);
      if (s->slot) ++s->stats.replaced;
      const int64_t now = SteadyMicros();
      s->slot.emplace(std::move(*f), now);
      s->last_arrival_us = now;
      s->cv.notify_all();
      continue;
    }
    {
      std::lock_guard<std::mutex> lk(s->mu);
      ++s->stats.losses;
    }
    if (s->options.reconnect_s <= 0 || StopRequested()) {
      s->Finish(f.status());
      break;
    }
    const std::string why = f.status().code() == StatusCode::kEndOfStream ? "it ended" : f.status().message();
    SMILE_LOG(kWarn) << "live source lost (" << why << "); reconnecting for up to " << Seconds(s->options.reconnect_s)
                     << " (Ctrl-C stops)";
    {
      std::lock_guard<std::mutex> lk(s->mu);
      s->reconnecting = true;
    }
    s->source.reset();  // let go of the device / connection before reopening it
    const int64_t t0 = SteadyMicros();
    bool back = false;
    while (!s->Quitting() && !StopRequested()) {
      const double away = (SteadyMicros() - t0) / 1e6;
      if (away > s->options.reconnect_s) break;
      auto r = s->reopen();
      if (r.ok()) {
        s->source = std::move(*r);
        back = true;
        break;
      }
      {
        std::lock_guard<std::mutex> lk(s->mu);
        ++s->stats.reopen_attempts;
      }
      SMILE_LOG(kDebug) << "live source: reopen failed: " << r.status().message();
      const int64_t until = SteadyMicros() + static_cast<int64_t>(s->options.retry_every_s * 1e6);
      while (SteadyMicros() < until && !s->Quitting() && !StopRequested())
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const double away = (SteadyMicros() - t0) / 1e6;
    if (!back && !s->Quitting() && !StopRequested()) {
      SMILE_LOG(kWarn) << "live source did not come back within " << Seconds(s->options.reconnect_s)
                       << "; stopping (a longer --reconnect waits longer)";
    }
    {
      std::lock_guard<std::mutex> lk(s->mu);
      s->reconnecting = false;  // together with `finished`, so Read() never sees a stall in between
      s->stats.longest_stall_s = std::max(s->stats.longest_stall_s, away);
      if (back) ++s->stats.reconnects;
      if (!back) {
        s->finished = true;
        s->final_status = EndOfStream();
        s->cv.notify_all();
      }
    }
    if (!back) break;
    SMILE_LOG(kWarn) << "live source reconnected after " << Seconds(away) << "; resuming";
  }
  std::lock_guard<std::mutex> lk(s->mu);
  s->finished = true;
  s->reader_done = true;
  s->cv.notify_all();
}

class LiveWatchImpl : public LiveWatch {
 public:
  LiveWatchImpl(std::unique_ptr<FrameSource> source, SourceOpener reopen, const LiveWatchOptions& options)
      : state_(std::make_shared<State>()) {
    info_ = source->info();
    info_.description += options.reconnect_s > 0 ? ", reconnects for up to " + Seconds(options.reconnect_s)
                                                 : std::string();
    state_->source = std::move(source);
    state_->reopen = std::move(reopen);
    state_->options = options;
    state_->last_arrival_us = SteadyMicros();
    thread_ = std::thread([s = state_] { ReaderLoop(s); });
  }

  ~LiveWatchImpl() override {
    std::unique_lock<std::mutex> lk(state_->mu);
    state_->quit = true;
    state_->cv.notify_all();
    // A source blocked in a read (a stalled pipeline) cannot be interrupted: leave the
    // thread to it (it holds the state) rather than hang the shutdown.
    const bool done = state_->cv.wait_for(lk, std::chrono::seconds(2), [&] { return state_->reader_done; });
    lk.unlock();
    if (done) {
      thread_.join();
    } else {
      SMILE_LOG(kDebug) << "live source still blocked at shutdown; leaving its reader thread";
      thread_.detach();
    }
  }

  const SourceInfo& info() const override { return info_; }
  int64_t frames_read() const override { return sequence_; }

  Result<Frame> Read() override {
    State& s = *state_;
    std::unique_lock<std::mutex> lk(s.mu);
    bool reported = false;
    int64_t wait_from = s.last_arrival_us;
    while (true) {
      if (s.slot) {
        auto [frame, arrival] = std::move(*s.slot);
        s.slot.reset();
        if (reported) {
          const double waited = (arrival - wait_from) / 1e6;
          s.stats.longest_stall_s = std::max(s.stats.longest_stall_s, waited);
          SMILE_LOG(kWarn) << "live source resumed after " << Seconds(waited) << " without frames";
        }
        lk.unlock();
        // One sequence and increasing pts across reconnections (the gap is the time away).
        int64_t pts = frame.pts_us + pts_offset_;
        if (sequence_ > 0 && pts <= last_pts_) {
          pts_offset_ = last_pts_ + std::max<int64_t>(1, arrival - last_arrival_) - frame.pts_us;
          pts = frame.pts_us + pts_offset_;
        }
        frame.pts_us = pts;
        frame.sequence = sequence_++;
        last_pts_ = pts;
        last_arrival_ = arrival;
        return frame;
      }
      if (s.finished) return s.final_status.ok() ? Status(EndOfStream()) : s.final_status;
      if (StopRequested()) return EndOfStream();
      s.cv.wait_for(lk, std::chrono::milliseconds(100));
      const int64_t now = SteadyMicros();
      if (!reported && !s.reconnecting && !s.finished && !s.slot && now - s.last_arrival_us > s.options.stall_report_s * 1e6) {
        reported = true;
        wait_from = s.last_arrival_us;
        ++s.stats.stalls;
        SMILE_LOG(kWarn) << "live source stalled: no frame for " << Seconds((now - wait_from) / 1e6)
                         << "; waiting (Ctrl-C stops)";
      }
    }
  }

  LiveWatchStats stats() const override {
    std::lock_guard<std::mutex> lk(state_->mu);
    return state_->stats;
  }

  std::string Summary() const override {
    const LiveWatchStats st = stats();
    if (st.stalls == 0 && st.losses == 0) return "";
    char line[256];
    std::snprintf(line, sizeof(line), "source: %lld stall(s), %lld loss(es), %lld reconnection(s); longest gap %.1f s",
                  static_cast<long long>(st.stalls), static_cast<long long>(st.losses),
                  static_cast<long long>(st.reconnects), st.longest_stall_s);
    return line;
  }

 private:
  std::shared_ptr<State> state_;
  std::thread thread_;
  SourceInfo info_;
  int64_t sequence_ = 0, last_pts_ = 0, pts_offset_ = 0, last_arrival_ = 0;
};

}  // namespace

std::unique_ptr<LiveWatch> WatchLiveSource(std::unique_ptr<FrameSource> source, SourceOpener reopen,
                                           const LiveWatchOptions& options) {
  return std::make_unique<LiveWatchImpl>(std::move(source), std::move(reopen), options);
}

}  // namespace smile::capture
