#include "capture/sink.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include <opencv2/imgcodecs.hpp>

#include "capture/media_info.h"
#include "capture_test_util.h"

namespace smile::capture {
namespace {

using testing::Exists;
using testing::TempDir;
using testing::TestImage;

Frame MakeFrame(int w, int h, int i, double fps = 25) {
  return Frame::FromMat(TestImage(w, h, i), static_cast<int64_t>(i * 1e6 / fps), i);
}

TEST(SinkPaths, PartialNameSitsBesideTheFinalName) {
  EXPECT_EQ(PartialPathFor("out/clip.mp4"), "out/.clip.partial.mp4");
  EXPECT_EQ(PartialPathFor("clip.mkv"), ".clip.partial.mkv");
  EXPECT_EQ(PartialPathFor("/a/b/f0001.png"), "/a/b/.f0001.partial.png");
}

TEST(SinkPaths, PartialNameOfAVeryLongNameFitsNameMax) {
  const std::string a = "d/" + std::string(250, 'a') + ".mp4", b = "d/" + std::string(249, 'a') + "b.mp4";
  const std::string pa = PartialPathFor(a), pb = PartialPathFor(b);
  EXPECT_LE(pa.size() - 2, 255u);
  EXPECT_EQ(pa.substr(0, 3), "d/.");
  EXPECT_EQ(pa.substr(pa.size() - 12), ".partial.mp4");
  EXPECT_NE(pa, pb) << "names that differ only past the cut still get different temporary names";
}

TEST(SinkPaths, ClassifiesOutputs) {
  TempDir dir;
  EXPECT_EQ(*ClassifySink("x.mp4"), SinkKind::kVideoFile);
  EXPECT_EQ(*ClassifySink("x.MOV"), SinkKind::kVideoFile);
  EXPECT_EQ(*ClassifySink("x.mkv"), SinkKind::kVideoFile);
  EXPECT_EQ(*ClassifySink("out/%05d.png"), SinkKind::kImageSequence);
  EXPECT_EQ(*ClassifySink(dir.path()), SinkKind::kImageSequence);
  EXPECT_EQ(*ClassifySink("frames/"), SinkKind::kImageSequence);
  EXPECT_EQ(*ClassifySink("window"), SinkKind::kPreview);
  EXPECT_EQ(*ClassifySink("gst:fakesink"), SinkKind::kGStreamer);
  auto bad = ClassifySink("out.avi");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find(".mp4"), std::string::npos);
}

TEST(VideoFileSink, WritesH264AtTheSourceRateAndRenamesOnClose) {
  TempDir dir;
  SinkOptions o;
  o.fps = 25;
  o.fps_num = 25;
  auto sink = OpenSink(dir / "out.mp4", o);
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  for (int i = 0; i < 30; ++i) ASSERT_TRUE((*sink)->Write(MakeFrame(66, 50, i)).ok());
  EXPECT_FALSE(Exists(dir / "out.mp4"));  // not before Close
  EXPECT_TRUE(Exists(dir / ".out.partial.mp4"));
  ASSERT_TRUE((*sink)->Close().ok());
  EXPECT_EQ(dir.List(), std::vector<std::string>{"out.mp4"});
  auto info = ProbeMedia(dir / "out.mp4", /*count_packets=*/true);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  ASSERT_NE(info->video(), nullptr);
  EXPECT_EQ(info->video()->codec, "h264");
  EXPECT_EQ(info->video()->frame_count, 30);
  EXPECT_EQ(info->video()->width, 66);
  EXPECT_EQ(info->video()->height, 50);
  EXPECT_NEAR(info->video()->fps, 25.0, 1e-6);
  EXPECT_NEAR(info->video()->duration_s, 30 / 25.0, 1 / 25.0);
  EXPECT_EQ(info->audio(), nullptr);
}

TEST(VideoFileSink, OddSizeIsPaddedToEvenAndFramesDecodeBack) {
  TempDir dir;
  auto sink = OpenSink(dir / "odd.mkv", {});
  ASSERT_TRUE(sink.ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*sink)->Write(MakeFrame(33, 21, i)).ok());
  ASSERT_TRUE((*sink)->Close().ok());
  auto src = OpenSource(dir / "odd.mkv");
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  int n = 0;
  while (true) {
    auto f = (*src)->Read();
    if (!f.ok()) break;
    EXPECT_EQ(f->width(), 34);
    EXPECT_EQ(f->height(), 22);
    ++n;
  }
  EXPECT_EQ(n, 5);
}

TEST(VideoFileSink, AbortLeavesNothing) {
  TempDir dir;
  auto sink = OpenSink(dir / "gone.mp4", {});
  ASSERT_TRUE(sink.ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*sink)->Write(MakeFrame(32, 32, i)).ok());
  (*sink)->Abort();
  EXPECT_TRUE(dir.List().empty());
  // Destroying an unclosed sink is an abort too.
  {
    auto s2 = OpenSink(dir / "gone2.mp4", {});
    ASSERT_TRUE(s2.ok());
    ASSERT_TRUE((*s2)->Write(MakeFrame(32, 32, 0)).ok());
  }
  EXPECT_TRUE(dir.List().empty());
}

TEST(VideoFileSink, CloseWithoutFramesIsAnErrorAndLeavesNothing) {
  TempDir dir;
  auto sink = OpenSink(dir / "none.mp4", {});
  ASSERT_TRUE(sink.ok());
  Status s = (*sink)->Close();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_TRUE(dir.List().empty());
}

TEST(VideoFileSink, UnwritableFolderFailsBeforeAnyFrame) {
  // /proc refuses new files and folders even for root.
  auto sink = OpenSink("/proc/smile-no-such-dir/out.mp4", {});
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.status().code(), StatusCode::kIoError);
  EXPECT_NE(sink.status().message().find("/proc/smile-no-such-dir"), std::string::npos);
  TempDir dir;
  std::ofstream(dir / "file") << "x";
  auto under_file = OpenSink(dir / "file/out.mp4", {});
  ASSERT_FALSE(under_file.ok());
  EXPECT_NE(under_file.status().message().find("not a folder"), std::string::npos);
}

TEST(ImageSequenceSink, WritesNumberedPngsIntoAFolder) {
  TempDir dir;
  auto sink = OpenSink(dir / "frames/", {});
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*sink)->Write(MakeFrame(20, 10, i)).ok());
  ASSERT_TRUE((*sink)->Close().ok());
  std::vector<std::string> names;
  for (auto& e : std::filesystem::directory_iterator(dir / "frames")) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"000000.png", "000001.png", "000002.png"}));
  cv::Mat back = cv::imread(dir / "frames/000002.png");
  cv::Mat want = TestImage(20, 10, 2);
  ASSERT_EQ(back.size(), want.size());
  EXPECT_EQ(cv::norm(back, want, cv::NORM_INF), 0.0);  // PNG is lossless
}

TEST(ImageSequenceSink, PatternAndAbortRemovesWrittenImages) {
  TempDir dir;
  auto sink = OpenSink(dir / "f_%03d.png", {});
  ASSERT_TRUE(sink.ok());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE((*sink)->Write(MakeFrame(8, 8, i)).ok());
  EXPECT_EQ(dir.List(), (std::vector<std::string>{"f_000.png", "f_001.png", "f_002.png", "f_003.png"}));
  (*sink)->Abort();
  EXPECT_TRUE(dir.List().empty());
}

TEST(PreviewSink, WithoutDisplayTellsToUseAFile) {
  const char* old = std::getenv("DISPLAY");
  std::string saved = old ? old : "";
  unsetenv("DISPLAY");
  const char* wl = std::getenv("WAYLAND_DISPLAY");
  std::string saved_wl = wl ? wl : "";
  unsetenv("WAYLAND_DISPLAY");
  auto sink = OpenSink("window", {});
  if (!saved.empty()) setenv("DISPLAY", saved.c_str(), 1);
  if (!saved_wl.empty()) setenv("WAYLAND_DISPLAY", saved_wl.c_str(), 1);
  ASSERT_FALSE(sink.ok());
  EXPECT_NE(sink.status().message().find("DISPLAY"), std::string::npos);
  EXPECT_NE(sink.status().message().find("--sink"), std::string::npos);
}

TEST(GstSink, PipelineReceivesFrames) {
  if (!OpenCvHasGStreamer()) GTEST_SKIP() << "OpenCV without GStreamer";
  TempDir dir;
  // A GStreamer pipeline that writes PNGs lets us check what arrived.
  auto sink = OpenSink("gst:pngenc ! multifilesink location=" + (dir / "g%02d.png"), {});
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE((*sink)->Write(MakeFrame(32, 24, i)).ok());
  ASSERT_TRUE((*sink)->Close().ok());
  EXPECT_EQ(dir.List().size(), 4u);
  cv::Mat back = cv::imread(dir / "g03.png");
  EXPECT_EQ(back.cols, 32);
  EXPECT_EQ(back.rows, 24);
}

}  // namespace
}  // namespace smile::capture
