// LiveWatch: a live source that stalls, disconnects and comes back. Scripted sources
// check the rules exactly (stall reported once, reopen until back, one sequence, Ctrl-C
// while blocked); a real GStreamer TCP source fed by this test stalls, drops the
// connection and comes back on the same port.
#include "capture/live_watch.h"


#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "core/shutdown.h"
#include "frame_server.h"

namespace smile::capture {
namespace {

using Clock = std::chrono::steady_clock;

// One scripted step: sleep, then return a frame (pts from `pts_ms`), or end / fail.
struct Step {
  enum Kind { kFrame, kEnd, kError } kind = kFrame;
  int sleep_ms = 0;
  int64_t pts_ms = 0;
};

class ScriptedSource : public FrameSource {
 public:
  explicit ScriptedSource(std::vector<Step> steps) : steps_(std::move(steps)) {
    info_.uri = "scripted";
    info_.kind = SourceKind::kWebcam;
    info_.is_live = true;
    info_.width = 8, info_.height = 8, info_.fps = 25;
    info_.description = "scripted";
  }
  const SourceInfo& info() const override { return info_; }
  int64_t frames_read() const override { return n_; }
  Result<Frame> Read() override {
    if (i_ >= steps_.size()) return EndOfStream();
    const Step s = steps_[i_++];
    if (s.sleep_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(s.sleep_ms));
    if (s.kind == Step::kEnd) return EndOfStream();
    if (s.kind == Step::kError) return IoError("device unplugged");
    const int64_t n = n_++;
    return Frame::FromMat(cv::Mat(8, 8, CV_8UC3, cv::Scalar::all(static_cast<double>(n))), s.pts_ms * 1000, n);
  }

 private:
  std::vector<Step> steps_;
  size_t i_ = 0;
  int64_t n_ = 0;
  SourceInfo info_;
};

std::vector<Step> Frames(int n, int every_ms = 30) {
  std::vector<Step> s;
  for (int i = 0; i < n; ++i) s.push_back({Step::kFrame, every_ms, i * 40});
  return s;
}

// Reads to the end; checks one sequence and increasing pts.
int64_t ReadAll(FrameSource& src, Status* end = nullptr) {
  int64_t n = 0, last_pts = -1;
  while (true) {
    auto f = src.Read();
    if (!f.ok()) {
      if (end) *end = f.status();
      return n;
    }
    EXPECT_EQ(f->sequence, n);
    EXPECT_GT(f->pts_us, last_pts) << "frame " << n;
    last_pts = f->pts_us;
    ++n;
  }
}

TEST(LiveWatch, StallIsReportedOnceAndReadingResumes) {
  auto steps = Frames(3);
  steps.push_back({Step::kFrame, 1500, 120});  // the source delivers nothing for 1.5 s
  for (int i = 0; i < 3; ++i) steps.push_back({Step::kFrame, 30, 160 + 40 * i});
  LiveWatchOptions o;
  o.stall_report_s = 0.4;
  o.reconnect_s = 0;
  auto w = WatchLiveSource(std::make_unique<ScriptedSource>(steps), [] {
    return Result<std::unique_ptr<FrameSource>>(Internal("never reopened"));
  }, o);
  Status end;
  const int64_t n = ReadAll(*w, &end);
  EXPECT_EQ(end.code(), StatusCode::kEndOfStream);
  const LiveWatchStats st = w->stats();
  EXPECT_EQ(n + st.replaced, 7) << "every frame read or replaced by a newer one";
  EXPECT_GE(n, 5);
  EXPECT_EQ(st.stalls, 1);
  EXPECT_GE(st.longest_stall_s, 1.2);
  EXPECT_EQ(st.reconnects, 0);
  EXPECT_NE(w->Summary().find("1 stall"), std::string::npos) << w->Summary();
}

TEST(LiveWatch, LostSourceIsReopenedUntilItComesBack) {
  auto first = Frames(3);
  first.push_back({Step::kError, 0, 0});
  std::atomic<int> attempts{0};
  LiveWatchOptions o;
  o.retry_every_s = 0.05;
  o.reconnect_s = 1.0;
  auto w = WatchLiveSource(std::make_unique<ScriptedSource>(first), [&]() -> Result<std::unique_ptr<FrameSource>> {
    const int a = ++attempts;
    if (a <= 3) return IoError("no such device");          // unplugged for a while
    if (a == 4) return std::unique_ptr<FrameSource>(new ScriptedSource(Frames(4)));  // back, pts from 0 again
    return IoError("gone for good");
  }, o);
  const auto t0 = Clock::now();
  Status end;
  const int64_t n = ReadAll(*w, &end);
  EXPECT_EQ(end.code(), StatusCode::kEndOfStream) << "gave up after --reconnect: a clean end";
  const LiveWatchStats st = w->stats();
  EXPECT_EQ(n + st.replaced, 7) << "3 frames, the loss, 4 frames after reconnecting";
  EXPECT_EQ(st.losses, 2);
  EXPECT_EQ(st.reconnects, 1);
  EXPECT_GE(st.reopen_attempts, 4);
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_GE(secs, 1.0) << "waited --reconnect after the second loss";
  EXPECT_LT(secs, 5.0);
}

TEST(LiveWatch, WithoutReconnectTheErrorPassesThrough) {
  auto steps = Frames(2);
  steps.push_back({Step::kError, 0, 0});
  LiveWatchOptions o;
  o.reconnect_s = 0;
  auto w = WatchLiveSource(std::make_unique<ScriptedSource>(steps), [] {
    return Result<std::unique_ptr<FrameSource>>(Internal("never reopened"));
  }, o);
  Status end;
  EXPECT_EQ(ReadAll(*w, &end), 2);
  EXPECT_EQ(end.code(), StatusCode::kIoError);
  EXPECT_NE(end.message().find("unplugged"), std::string::npos);
}

TEST(LiveWatch, StopWhileTheSourceIsBlockedEndsAtOnce) {
  auto steps = Frames(1);
  steps.push_back({Step::kFrame, 8000, 40});  // blocked in a read (a stalled pipeline)
  auto w = WatchLiveSource(std::make_unique<ScriptedSource>(steps), [] {
    return Result<std::unique_ptr<FrameSource>>(Internal("never reopened"));
  });
  ASSERT_TRUE(w->Read().ok());
  std::thread stopper([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    RequestStop();  // what Ctrl-C does
  });
  const auto t0 = Clock::now();
  auto f = w->Read();
  stopper.join();
  EXPECT_EQ(f.status().code(), StatusCode::kEndOfStream);
  w.reset();  // must not wait for the blocked read
  ResetStopRequest();
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - t0).count(), 4.0);
}

// ---- a real GStreamer source over TCP ----

TEST(LiveWatch, GStreamerTcpSourceStallsDropsAndComesBack) {
  if (!OpenCvHasGStreamer()) GTEST_SKIP() << "OpenCV without GStreamer";
  if (!CheckGstPipeline("tcpclientsrc ! rawvideoparse ! fakesink").ok())
    GTEST_SKIP() << "GStreamer lacks tcpclientsrc or rawvideoparse (gstreamer1.0-plugins-base/-bad)";
  smile_test::FrameServer server;
  ASSERT_GT(server.port(), 0);
  server.Start(15, 1500, 15, 1200, 15);
  const std::string uri = smile_test::FrameServerPipeline(server.port());
  auto src = OpenSource(uri);
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  LiveWatchOptions o;
  o.stall_report_s = 0.6;
  o.reconnect_s = 2.0;
  o.retry_every_s = 0.1;
  auto w = WatchLiveSource(std::move(*src), [uri] { return OpenSource(uri); }, o);
  Status end;
  const int64_t n = ReadAll(*w, &end);
  EXPECT_EQ(end.code(), StatusCode::kEndOfStream);
  const LiveWatchStats st = w->stats();
  // Frames can be replaced in the slot when the reader is late; most arrive.
  EXPECT_GE(n + st.replaced, 40) << "45 frames were sent";
  EXPECT_LE(n, 45);
  EXPECT_GE(st.stalls, 1) << w->Summary();
  EXPECT_EQ(st.reconnects, 1) << w->Summary();
  EXPECT_GE(st.reopen_attempts, 1) << "the server was away for 1.2 s: " << w->Summary();
  EXPECT_GE(st.longest_stall_s, 1.0) << w->Summary();
  std::printf("TCP source: %lld frames read, %s\n", static_cast<long long>(n), w->Summary().c_str());
}

}  // namespace
}  // namespace smile::capture
