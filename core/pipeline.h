// Pipeline: runs stages on their own threads, connected by BoundedQueues, and
// shuts them down cleanly on end of stream, on the first error, or on SIGINT/SIGTERM.
//
//   Pipeline p;
//   auto q = p.MakeQueue<Frame>("decoded", 8, QueuePolicy::kBlock);
//   p.AddStage("read",  [&](StageContext& ctx) { ... q->Push(f) ...; q->Close(); });
//   p.AddStage("write", [&](StageContext& ctx) { while (auto f = q->Pop()) ...; });
//   Status s = p.Run();
//
// A stage returns Status::Ok() when its input ended. The first non-ok status
// aborts every queue (so blocked stages wake up) and is returned by Run().
// A stop request (signal) does not abort: sources see ctx.stop_requested(),
// end their stream, downstream stages drain, and Run() returns kCancelled.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/bounded_queue.h"
#include "core/status.h"

namespace smile {

struct StageStats {
  std::string name;
  uint64_t items = 0;     // items this stage finished
  int64_t busy_us = 0;    // time spent inside RecordItem-timed work
  double ms_per_item() const { return items ? busy_us / 1000.0 / items : 0.0; }
};

struct QueueStats {
  std::string name;
  uint64_t pushed = 0, dropped = 0;
  size_t capacity = 0, high_water = 0;
};

class StageContext {
 public:
  // True once a signal or an error elsewhere asked the pipeline to stop.
  bool stop_requested() const;
  // Adds one finished item and the microseconds of work it took.
  void RecordItem(int64_t busy_us);
  const std::string& name() const { return stats_->name; }

 private:
  friend class Pipeline;
  StageStats* stats_ = nullptr;
  const class Pipeline* pipeline_ = nullptr;
};

class Pipeline {
 public:
  using StageFn = std::function<Status(StageContext&)>;

  Pipeline();
  ~Pipeline();

  template <typename T>
  std::shared_ptr<BoundedQueue<T>> MakeQueue(const std::string& name, size_t capacity, QueuePolicy policy) {
    auto q = std::make_shared<BoundedQueue<T>>(capacity, policy);
    std::weak_ptr<BoundedQueue<T>> weak = q;
    queues_.push_back({name, [weak] { if (auto s = weak.lock()) s->CloseAndClear(); },
                       [weak, name] {
                         QueueStats st{name};
                         if (auto s = weak.lock()) {
                           st.pushed = s->pushed(); st.dropped = s->dropped();
                           st.capacity = s->capacity(); st.high_water = s->high_water();
                         }
                         return st;
                       }});
    return q;
  }

  void AddStage(const std::string& name, StageFn fn);
  // Runs all stages to completion. Returns the first error, kCancelled after a
  // stop request, or ok.
  Status Run();
  // Asks every stage to stop (as a signal would), without an error.
  void RequestStop();
  bool stop_requested() const;

  std::vector<StageStats> stage_stats() const;
  std::vector<QueueStats> queue_stats() const;
  // Multi-line human summary: per-stage ms/item and per-queue drops.
  std::string StatsReport() const;

 private:
  struct QueueEntry {
    std::string name;
    std::function<void()> abort;
    std::function<QueueStats()> stats;
  };
  struct Stage {
    std::string name;
    StageFn fn;
    std::unique_ptr<StageStats> stats;
  };
  void AbortAll();

  std::vector<QueueEntry> queues_;
  std::vector<Stage> stages_;
  mutable std::mutex mutex_;
  bool local_stop_ = false;
  bool aborted_ = false;
};

}  // namespace smile
