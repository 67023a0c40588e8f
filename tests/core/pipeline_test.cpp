#include "core/pipeline.h"

#include <gtest/gtest.h>

#include <csignal>
#include <thread>

#include "core/frame.h"
#include "core/shutdown.h"

namespace smile {
namespace {

// source -> double -> sink over block queues; every frame arrives in order.
TEST(Pipeline, RunsToEndOfStreamWithoutLoss) {
  Pipeline p;
  auto a = p.MakeQueue<Frame>("decoded", 2, QueuePolicy::kBlock);
  auto b = p.MakeQueue<Frame>("processed", 2, QueuePolicy::kBlock);
  constexpr int kN = 100;
  std::vector<int64_t> seen;
  p.AddStage("read", [&](StageContext& ctx) {
    for (int i = 0; i < kN && !ctx.stop_requested(); ++i) {
      a->Push(Frame::FromMat(cv::Mat(8, 8, CV_8UC3, cv::Scalar::all(i)), i * 1000, i));
      ctx.RecordItem(1);
    }
    a->Close();
    return Status::Ok();
  });
  p.AddStage("process", [&](StageContext& ctx) {
    while (auto f = a->Pop()) {
      cv::Mat out = *f->image * 2;
      Frame g = Frame::FromMat(out, f->pts_us, f->sequence);
      b->Push(std::move(g));
      ctx.RecordItem(1);
    }
    b->Close();
    return Status::Ok();
  });
  p.AddStage("write", [&](StageContext& ctx) {
    while (auto f = b->Pop()) {
      seen.push_back(f->sequence);
      ctx.RecordItem(1);
    }
    return Status::Ok();
  });
  ASSERT_TRUE(p.Run().ok());
  ASSERT_EQ(seen.size(), static_cast<size_t>(kN));
  for (int i = 0; i < kN; ++i) EXPECT_EQ(seen[i], i);
  for (const auto& s : p.stage_stats()) EXPECT_EQ(s.items, static_cast<uint64_t>(kN)) << s.name;
  EXPECT_NE(p.StatsReport().find("process"), std::string::npos);
}

// An error in the middle stage stops a producer that is blocked on a full queue.
TEST(Pipeline, ErrorAbortsBlockedStagesAndIsReturned) {
  Pipeline p;
  auto a = p.MakeQueue<int>("a", 1, QueuePolicy::kBlock);
  p.AddStage("read", [&](StageContext&) {
    for (int i = 0; i < 1000000; ++i)
      if (!a->Push(i)) return Status::Ok();  // closed by the abort
    a->Close();
    return Status::Ok();
  });
  p.AddStage("fail", [&](StageContext&) {
    for (int n = 0; auto v = a->Pop(); ++n)
      if (n == 5) return Corrupt("frame 5 is broken");
    return Status::Ok();
  });
  Status s = p.Run();
  EXPECT_EQ(s.code(), StatusCode::kCorrupt);
  EXPECT_NE(s.message().find("fail: frame 5"), std::string::npos) << s.message();
}

TEST(Pipeline, ExceptionBecomesInternalError) {
  Pipeline p;
  p.AddStage("boom", [](StageContext&) -> Status { throw std::runtime_error("bad"); });
  Status s = p.Run();
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_NE(s.message().find("bad"), std::string::npos);
}

// SIGINT: the source ends its stream, the sink drains what is in flight, Run says cancelled.
TEST(Pipeline, SignalStopsSourceAndDrainsInFlightFrames) {
  ResetStopRequest();
  InstallSignalHandlers();
  Pipeline p;
  auto q = p.MakeQueue<int>("q", 4, QueuePolicy::kBlock);
  int produced = 0, consumed = 0;
  p.AddStage("read", [&](StageContext& ctx) {
    while (!ctx.stop_requested()) {
      if (!q->Push(produced)) break;
      ++produced;
      if (produced == 20) std::raise(SIGINT);
    }
    q->Close();
    return Status::Ok();
  });
  p.AddStage("write", [&](StageContext&) {
    while (auto v = q->Pop()) {
      ++consumed;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return Status::Ok();
  });
  Status s = p.Run();
  EXPECT_EQ(s.code(), StatusCode::kCancelled);
  EXPECT_EQ(StopSignal(), SIGINT);
  EXPECT_EQ(consumed, produced) << "frames in flight must reach the sink";
  EXPECT_GE(produced, 20);
  ResetStopRequest();
}

TEST(Pipeline, LocalStopRequestEndsLiveLoop) {
  ResetStopRequest();
  Pipeline p;
  auto q = p.MakeQueue<int>("live", 1, QueuePolicy::kDropOldest);
  p.AddStage("source", [&](StageContext& ctx) {
    for (int i = 0; !ctx.stop_requested(); ++i) {
      q->Push(i);
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    q->Close();
    return Status::Ok();
  });
  p.AddStage("stopper", [&](StageContext&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    p.RequestStop();
    return Status::Ok();
  });
  EXPECT_EQ(p.Run().code(), StatusCode::kCancelled);
}

}  // namespace
}  // namespace smile
