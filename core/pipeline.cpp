#include "core/pipeline.h"

#include <cstdio>
#include <exception>
#include <sstream>
#include <thread>

#include "core/shutdown.h"

namespace smile {

bool StageContext::stop_requested() const { return pipeline_->stop_requested(); }

void StageContext::RecordItem(int64_t busy_us) {
  ++stats_->items;
  stats_->busy_us += busy_us;
}

Pipeline::Pipeline() = default;
Pipeline::~Pipeline() = default;

void Pipeline::AddStage(const std::string& name, StageFn fn) {
  Stage s;
  s.name = name;
  s.fn = std::move(fn);
  s.stats = std::make_unique<StageStats>();
  s.stats->name = name;
  stages_.push_back(std::move(s));
}

void Pipeline::RequestStop() {
  std::lock_guard<std::mutex> lock(mutex_);
  local_stop_ = true;
}

bool Pipeline::stop_requested() const {
  if (StopRequested()) return true;
  std::lock_guard<std::mutex> lock(mutex_);
  return local_stop_ || aborted_;
}

void Pipeline::AbortAll() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    aborted_ = true;
  }
  for (auto& q : queues_) q.abort();
}

Status Pipeline::Run() {
  std::vector<Status> results(stages_.size());
  std::vector<std::thread> threads;
  std::mutex first_error_mutex;
  Status first_error;
  for (size_t i = 0; i < stages_.size(); ++i) {
    threads.emplace_back([&, i] {
      StageContext ctx;
      ctx.stats_ = stages_[i].stats.get();
      ctx.pipeline_ = this;
      Status s;
      try {
        s = stages_[i].fn(ctx);
      } catch (const std::exception& e) {
        s = Internal("stage '" + stages_[i].name + "' threw: " + e.what());
      }
      if (!s.ok() && s.code() != StatusCode::kEndOfStream) {
        bool first = false;
        {
          std::lock_guard<std::mutex> lock(first_error_mutex);
          if (first_error.ok()) {
            first_error = s.WithContext(stages_[i].name);
            first = true;
          }
        }
        if (first) AbortAll();
      }
    });
  }
  for (auto& t : threads) t.join();
  if (!first_error.ok()) return first_error;
  if (StopRequested() || local_stop_) return Cancelled("stopped on request");
  return Status::Ok();
}

std::vector<StageStats> Pipeline::stage_stats() const {
  std::vector<StageStats> out;
  for (const auto& s : stages_) out.push_back(*s.stats);
  return out;
}

std::vector<QueueStats> Pipeline::queue_stats() const {
  std::vector<QueueStats> out;
  for (const auto& q : queues_) out.push_back(q.stats());
  return out;
}

std::string Pipeline::StatsReport() const {
  std::ostringstream os;
  char line[256];
  for (const auto& s : stage_stats()) {
    std::snprintf(line, sizeof(line), "  stage %-12s %8llu items %9.2f ms/item\n", s.name.c_str(),
                  static_cast<unsigned long long>(s.items), s.ms_per_item());
    os << line;
  }
  for (const auto& q : queue_stats()) {
    std::snprintf(line, sizeof(line), "  queue %-12s %8llu pushed %6llu dropped (capacity %zu, peak %zu)\n",
                  q.name.c_str(), static_cast<unsigned long long>(q.pushed),
                  static_cast<unsigned long long>(q.dropped), q.capacity, q.high_water);
    os << line;
  }
  return os.str();
}

}  // namespace smile
