#include "core/bounded_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/frame.h"

namespace smile {
namespace {

TEST(BoundedQueue, BlockPolicyLosesNothingWithASlowConsumer) {
  BoundedQueue<int> q(3, QueuePolicy::kBlock);
  constexpr int kN = 200;
  std::thread producer([&] {
    for (int i = 0; i < kN; ++i) ASSERT_TRUE(q.Push(i));
    q.Close();
  });
  std::vector<int> got;
  while (auto v = q.Pop()) {
    got.push_back(*v);
    if (got.size() % 20 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    EXPECT_LE(q.size(), 3u);
  }
  producer.join();
  ASSERT_EQ(got.size(), static_cast<size_t>(kN));
  for (int i = 0; i < kN; ++i) EXPECT_EQ(got[i], i);
  EXPECT_EQ(q.dropped(), 0u);
  EXPECT_LE(q.high_water(), 3u);
}

TEST(BoundedQueue, DropOldestKeepsNewestAndCountsDrops) {
  BoundedQueue<int> q(2, QueuePolicy::kDropOldest);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(q.Push(i));  // never blocks
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.dropped(), 8u);
  EXPECT_EQ(*q.Pop(), 8);
  EXPECT_EQ(*q.Pop(), 9);
}

TEST(BoundedQueue, DropOldestMemoryStaysBoundedWithFrames) {
  BoundedQueue<Frame> q(1, QueuePolicy::kDropOldest);
  std::weak_ptr<const cv::Mat> first;
  for (int i = 0; i < 50; ++i) {
    Frame f = Frame::FromMat(cv::Mat(64, 64, CV_8UC3, cv::Scalar(i, i, i)), i * 40000, i);
    if (i == 0) first = f.image;
    q.Push(std::move(f));
  }
  EXPECT_TRUE(first.expired()) << "dropped frames must be freed";
  EXPECT_EQ(q.dropped(), 49u);
  EXPECT_EQ(q.Pop()->sequence, 49);
}

TEST(BoundedQueue, CloseWakesBlockedProducerAndConsumer) {
  BoundedQueue<int> full(1, QueuePolicy::kBlock);
  ASSERT_TRUE(full.Push(1));
  std::atomic<bool> push_result{true};
  std::thread producer([&] { push_result = full.Push(2); });  // blocks: queue is full
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  full.CloseAndClear();
  producer.join();
  EXPECT_FALSE(push_result.load());

  BoundedQueue<int> empty(1, QueuePolicy::kBlock);
  std::thread consumer([&] { EXPECT_FALSE(empty.Pop().has_value()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  empty.Close();
  consumer.join();
}

TEST(BoundedQueue, CloseDrainsItemsInFlight) {
  BoundedQueue<int> q(4, QueuePolicy::kBlock);
  q.Push(1);
  q.Push(2);
  q.Close();
  EXPECT_FALSE(q.Push(3));
  EXPECT_EQ(*q.Pop(), 1);
  EXPECT_EQ(*q.Pop(), 2);
  EXPECT_FALSE(q.Pop().has_value());
  EXPECT_TRUE(q.drained());
}

TEST(BoundedQueue, PopForTimesOut) {
  BoundedQueue<int> q(1, QueuePolicy::kBlock);
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(q.PopFor(std::chrono::milliseconds(30)).has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(25));
  EXPECT_FALSE(q.closed());
}

}  // namespace
}  // namespace smile
