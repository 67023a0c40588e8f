// BoundedQueue<T>: the link between two pipeline stages.
//   kBlock      - Push waits for room: nothing is ever lost (files, offline jobs).
//   kDropOldest - Push never waits: when full the oldest item is discarded and
//                 counted (live sources: newest frame wins, latency stays bounded).
// Close() ends the stream: Pop drains what is left, then reports closed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

namespace smile {

enum class QueuePolicy { kBlock, kDropOldest };

template <typename T>
class BoundedQueue {
 public:
  BoundedQueue(size_t capacity, QueuePolicy policy)
      : capacity_(capacity == 0 ? 1 : capacity), policy_(policy) {}

  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  // Returns false if the queue was closed (the item is not queued).
  bool Push(T item) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (policy_ == QueuePolicy::kBlock) {
      not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    }
    if (closed_) return false;
    if (items_.size() >= capacity_) {  // only reachable in kDropOldest
      items_.pop_front();
      ++dropped_;
    }
    items_.push_back(std::move(item));
    ++pushed_;
    if (items_.size() > high_water_) high_water_ = items_.size();
    not_empty_.notify_one();
    return true;
  }

  // Waits for an item; std::nullopt once the queue is closed and empty.
  std::optional<T> Pop() {
    std::unique_lock<std::mutex> lock(mutex_);
    not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
    return TakeLocked();
  }

  // Like Pop but gives up after `timeout` (std::nullopt; check closed()).
  template <typename Rep, typename Period>
  std::optional<T> PopFor(std::chrono::duration<Rep, Period> timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    not_empty_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); });
    return TakeLocked();
  }

  // No more pushes; consumers drain the remaining items.
  void Close() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  // Close and discard what is queued (abort path).
  void CloseAndClear() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    items_.clear();
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  bool closed() const { std::lock_guard<std::mutex> l(mutex_); return closed_; }
  bool drained() const { std::lock_guard<std::mutex> l(mutex_); return closed_ && items_.empty(); }
  size_t size() const { std::lock_guard<std::mutex> l(mutex_); return items_.size(); }
  size_t capacity() const { return capacity_; }
  QueuePolicy policy() const { return policy_; }
  uint64_t dropped() const { std::lock_guard<std::mutex> l(mutex_); return dropped_; }
  uint64_t pushed() const { std::lock_guard<std::mutex> l(mutex_); return pushed_; }
  size_t high_water() const { std::lock_guard<std::mutex> l(mutex_); return high_water_; }

 private:
  std::optional<T> TakeLocked() {
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }

  const size_t capacity_;
  const QueuePolicy policy_;
  mutable std::mutex mutex_;
  std::condition_variable not_empty_, not_full_;
  std::deque<T> items_;
  bool closed_ = false;
  uint64_t dropped_ = 0, pushed_ = 0;
  size_t high_water_ = 0;
};

}  // namespace smile
