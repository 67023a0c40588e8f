#include "capture/media_job.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "capture/media_info.h"
#include "capture_test_util.h"
#include "core/shutdown.h"

namespace smile::capture {
namespace {

using testing::Exists;
using testing::SyntheticSource;
using testing::TempDir;

JobOptions Quiet() {
  JobOptions o;
  o.progress = false;
  return o;
}

TEST(MediaJob, FileJobLosesNoFrameAndRunsTheStage) {
  TempDir dir;
  SyntheticSource src(40, 64, 48, 30, /*live=*/false);
  auto sink = OpenSink(dir / "out.mp4", SinkOptionsFor(src.info()));
  ASSERT_TRUE(sink.ok());
  std::vector<int64_t> seen;
  FrameStageFn invert = [&](const Frame& f) -> Result<Frame> {
    seen.push_back(f.sequence);
    cv::Mat out = cv::Scalar::all(255) - *f.image;
    return Frame::FromMat(out, f.pts_us, f.sequence);
  };
  JobOptions o = Quiet();
  o.queue_capacity = 2;  // tiny queues: the source must block, not drop
  JobReport r = RunMediaJob(src, **sink, invert, o);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_FALSE(r.live);
  EXPECT_EQ(r.frames_read, 40);
  EXPECT_EQ(r.frames_written, 40);
  EXPECT_EQ(r.frames_dropped, 0);
  EXPECT_TRUE(r.output_kept);
  ASSERT_EQ(seen.size(), 40u);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(seen[i], i);
  auto info = ProbeMedia(dir / "out.mp4", true);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->video()->frame_count, 40);
  EXPECT_NE(r.Summary().find("40 written"), std::string::npos);
}

TEST(MediaJob, MaxFramesStopsEarly) {
  TempDir dir;
  SyntheticSource src(40, 32, 32, 25, false);
  auto sink = OpenSink(dir / "f/", {});
  ASSERT_TRUE(sink.ok());
  JobOptions o = Quiet();
  o.max_frames = 7;
  JobReport r = RunMediaJob(src, **sink, {}, o);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.frames_written, 7);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir / "f"), {}), 7);
}

TEST(MediaJob, LiveSourceDropsOldestAndCountsDrops) {
  TempDir dir;
  // 60 frames arrive every 2 ms; the stage needs 10 ms each -> most are dropped.
  SyntheticSource src(60, 32, 32, 30, /*live=*/true, /*period_us=*/2000);
  auto sink = OpenSink(dir / "live.mp4", SinkOptionsFor(src.info()));
  ASSERT_TRUE(sink.ok());
  FrameStageFn slow = [](const Frame& f) -> Result<Frame> {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return f;
  };
  JobReport r = RunMediaJob(src, **sink, slow, Quiet());
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_TRUE(r.live);
  EXPECT_EQ(r.frames_read, 60);
  EXPECT_GT(r.frames_dropped, 20);
  EXPECT_GT(r.frames_written, 0);
  EXPECT_EQ(r.frames_written + r.frames_dropped, 60);
  auto info = ProbeMedia(dir / "live.mp4", true);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->video()->frame_count, r.frames_written);
}

TEST(MediaJob, StageErrorAbortsAndLeavesNoOutput) {
  TempDir dir;
  SyntheticSource src(50, 32, 32, 25, false);
  auto sink = OpenSink(dir / "fail.mp4", {});
  ASSERT_TRUE(sink.ok());
  FrameStageFn fail_at_20 = [](const Frame& f) -> Result<Frame> {
    if (f.sequence == 20) return Internal("stage broke on frame 20");
    return f;
  };
  JobReport r = RunMediaJob(src, **sink, fail_at_20, Quiet());
  EXPECT_EQ(r.status.code(), StatusCode::kInternal);
  EXPECT_NE(r.status.message().find("frame 20"), std::string::npos);
  EXPECT_FALSE(r.output_kept);
  EXPECT_TRUE(dir.List().empty());
}

TEST(MediaJob, StopRequestKeepsAPlayableFileOfWhatWasDone) {
  TempDir dir;
  SyntheticSource src(1000, 32, 32, 25, false, /*period_us=*/1000);
  auto sink = OpenSink(dir / "stopped.mp4", {});
  ASSERT_TRUE(sink.ok());
  std::thread stopper([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    RequestStop();  // what SIGINT does
  });
  JobReport r = RunMediaJob(src, **sink, {}, Quiet());
  stopper.join();
  ResetStopRequest();
  EXPECT_EQ(r.status.code(), StatusCode::kCancelled);
  EXPECT_TRUE(r.output_kept);
  EXPECT_GT(r.frames_written, 0);
  EXPECT_LT(r.frames_written, 1000);
  EXPECT_EQ(r.frames_written, r.frames_read);  // files: everything read is written
  EXPECT_EQ(dir.List(), std::vector<std::string>{"stopped.mp4"});
  auto back = OpenSource(dir / "stopped.mp4");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  int64_t n = 0;
  while ((*back)->Read().ok()) ++n;
  EXPECT_EQ(n, r.frames_written);
}

TEST(MediaJob, GStreamerLiveSourceThroughDropOldestQueueToFile) {
  if (!OpenCvHasGStreamer()) GTEST_SKIP() << "OpenCV without GStreamer";
  TempDir dir;
  auto src = OpenSource("gst:videotestsrc num-buffers=120 ! video/x-raw,width=160,height=120,framerate=30/1");
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  ASSERT_TRUE((*src)->info().is_live);
  auto sink = OpenSink(dir / "gst.mp4", SinkOptionsFor((*src)->info()));
  ASSERT_TRUE(sink.ok());
  // sync=false: videotestsrc runs far faster than a 5 ms stage, so frames must drop.
  FrameStageFn slow = [](const Frame& f) -> Result<Frame> {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return f;
  };
  JobReport r = RunMediaJob(**src, **sink, slow, Quiet());
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.frames_read, 120);
  EXPECT_GT(r.frames_written, 0);
  EXPECT_GT(r.frames_dropped, 0);
  EXPECT_EQ(r.frames_written + r.frames_dropped, 120);
  auto info = ProbeMedia(dir / "gst.mp4", true);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->video()->codec, "h264");
  EXPECT_EQ(info->video()->frame_count, r.frames_written);
  // Playable: decodes back to the same number of frames.
  auto back = OpenSource(dir / "gst.mp4");
  ASSERT_TRUE(back.ok());
  int64_t n = 0;
  while ((*back)->Read().ok()) ++n;
  EXPECT_EQ(n, r.frames_written);
}

}  // namespace
}  // namespace smile::capture
