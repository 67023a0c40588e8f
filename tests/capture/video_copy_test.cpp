// Copies of the real clips (media tests): frame count, fps, duration and audio
// are kept; broken inputs fail clearly and leave nothing under the output name.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "capture/media_info.h"
#include "capture/media_job.h"
#include "capture/sink.h"
#include "capture/source.h"
#include "capture_test_util.h"

namespace smile::capture {
namespace {

using testing::CopyPrefix;
using testing::Exists;
using testing::TempDir;
using testing::VideoDir;

JobReport Copy(const std::string& in, const std::string& out, Status* open_status, int64_t max_frames = -1) {
  JobReport r;
  auto src = OpenSource(in);
  if (!src.ok()) {
    *open_status = src.status();
    return r;
  }
  auto sink = OpenSink(out, SinkOptionsFor((*src)->info()));
  if (!sink.ok()) {
    *open_status = sink.status();
    return r;
  }
  JobOptions o;
  o.progress = false;
  o.max_frames = max_frames;
  return RunMediaJob(**src, **sink, {}, o);
}

class ClipCopyMedia : public ::testing::TestWithParam<std::string> {};

TEST_P(ClipCopyMedia, KeepsFramesRateDurationAndAudio) {
  SMILE_SKIP_WITHOUT_MEDIA();
  const std::string in = VideoDir() + "/" + GetParam() + ".mp4";
  TempDir dir;
  const std::string out = dir / (GetParam() + ".mp4");
  auto want = ProbeMedia(in, /*count_packets=*/true);
  ASSERT_TRUE(want.ok()) << want.status().ToString();
  ASSERT_NE(want->video(), nullptr);

  Status open_status;
  JobReport r = Copy(in, out, &open_status);
  ASSERT_TRUE(open_status.ok()) << open_status.ToString();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(dir.List(), std::vector<std::string>{GetParam() + ".mp4"});  // no partial file left

  auto got = ProbeMedia(out, /*count_packets=*/true);  // read back with libavformat
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_NE(got->video(), nullptr);
  const StreamInfo& gv = *got->video();
  const StreamInfo& wv = *want->video();
  const double frame_s = 1.0 / wv.fps;
  EXPECT_EQ(gv.codec, "h264");
  EXPECT_EQ(gv.frame_count, wv.frame_count);
  EXPECT_EQ(r.frames_read, wv.frame_count);
  EXPECT_EQ(r.frames_written, wv.frame_count);
  EXPECT_EQ(gv.width, wv.width);
  EXPECT_EQ(gv.height, wv.height);
  EXPECT_NEAR(gv.fps, wv.fps, 1e-3);
  EXPECT_NEAR(gv.duration_s, wv.duration_s, frame_s);
  EXPECT_NEAR(got->duration_s, want->duration_s, frame_s);
  ASSERT_NE(want->audio(), nullptr) << "every shared clip has audio";
  ASSERT_NE(got->audio(), nullptr) << "the audio stream was lost";
  EXPECT_EQ(got->audio()->codec, want->audio()->codec);
  EXPECT_EQ(got->audio()->sample_rate, want->audio()->sample_rate);
  EXPECT_EQ(got->audio()->channels, want->audio()->channels);
  EXPECT_NEAR(got->audio()->duration_s, want->audio()->duration_s, frame_s);
  std::printf("[ measure  ] %s: %lld frames in/out %lld/%lld, %.2f s, %.1f fps, %lld -> %lld bytes\n",
              GetParam().c_str(), static_cast<long long>(wv.frame_count), static_cast<long long>(r.frames_read),
              static_cast<long long>(gv.frame_count), r.seconds, r.fps(), static_cast<long long>(want->size_bytes),
              static_cast<long long>(got->size_bytes));
}

INSTANTIATE_TEST_SUITE_P(Clips, ClipCopyMedia,
                         ::testing::Values("d3", "d6", "d10", "d11", "d14", "d18", "d20", "s18", "s20"));

TEST(VideoSourceMedia, DecodedFramesMatchTheContainerAndAreTimed) {
  SMILE_SKIP_WITHOUT_MEDIA();
  auto src = OpenSource(VideoDir() + "/d11.mp4");  // 25 fps, 225 frames
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  const SourceInfo& i = (*src)->info();
  EXPECT_EQ(i.kind, SourceKind::kVideoFile);
  EXPECT_EQ(i.frame_count, 225);
  EXPECT_EQ(i.fps_num, 25);
  EXPECT_TRUE(i.has_audio);
  EXPECT_EQ(i.audio_codec, "aac");
  EXPECT_EQ(i.audio_sample_rate, 44100);
  EXPECT_EQ(i.audio_channels, 2);
  EXPECT_FALSE(i.is_live);
  int64_t n = 0;
  while (true) {
    auto f = (*src)->Read();
    if (!f.ok()) {
      EXPECT_EQ(f.status().code(), StatusCode::kEndOfStream);
      break;
    }
    EXPECT_EQ(f->sequence, n);
    EXPECT_EQ(f->pts_us, n * 40000);
    EXPECT_EQ(f->width(), 512);
    ++n;
  }
  EXPECT_EQ(n, 225);
}

TEST(VideoCopyMedia, MkvAndMaxFramesCutAudioAtTheVideoEnd) {
  SMILE_SKIP_WITHOUT_MEDIA();
  TempDir dir;
  Status open_status;
  JobReport r = Copy(VideoDir() + "/d18.mp4", dir / "cut.mkv", &open_status, /*max_frames=*/60);
  ASSERT_TRUE(open_status.ok()) << open_status.ToString();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  auto got = ProbeMedia(dir / "cut.mkv", true);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->video()->frame_count, 60);
  ASSERT_NE(got->audio(), nullptr);
  EXPECT_NEAR(got->duration_s, 2.0, 1 / 30.0 + 0.03);  // audio cut with the video (+ one AAC packet)
}

TEST(VideoCopyMedia, AudioTheContainerCannotHoldIsReencodedToAac) {
  SMILE_SKIP_WITHOUT_MEDIA();
  if (std::system("ffmpeg -version > /dev/null 2>&1") != 0) GTEST_SKIP() << "needs the ffmpeg tool to make a PCM clip";
  TempDir dir;
  const std::string pcm = dir / "pcm.mkv";
  const std::string cmd = "ffmpeg -v error -y -i '" + VideoDir() + "/d18.mp4' -c:v copy -c:a pcm_s16le '" + pcm + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto src = OpenSource(pcm);
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  EXPECT_EQ((*src)->info().frame_count, 216);  // counted: mkv stores no frame count
  EXPECT_EQ((*src)->info().audio_codec, "pcm_s16le");
  Status open_status;
  JobReport r = Copy(pcm, dir / "out.mp4", &open_status);  // MP4 cannot hold PCM
  ASSERT_TRUE(open_status.ok() && r.status.ok()) << open_status.ToString() << r.status.ToString();
  auto got = ProbeMedia(dir / "out.mp4", true);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->video()->frame_count, 216);
  ASSERT_NE(got->audio(), nullptr);
  EXPECT_EQ(got->audio()->codec, "aac");
  EXPECT_EQ(got->audio()->sample_rate, 44100);
  EXPECT_EQ(got->audio()->channels, 2);
  EXPECT_NEAR(got->audio()->duration_s, 7.2, 0.05);
}

// --- bad inputs, made from the real clips -----------------------------------------

void ExpectCleanFailure(const std::string& in, const std::string& name_in_message, const TempDir& dir,
                        const std::string& out) {
  Status open_status;
  JobReport r = Copy(in, out, &open_status);
  Status s = open_status.ok() ? r.status : open_status;
  EXPECT_FALSE(s.ok()) << in;
  EXPECT_NE(s.message().find(name_in_message), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find('\n'), std::string::npos) << "one line: " << s.message();
  EXPECT_FALSE(Exists(out)) << "partial output left under the final name";
  for (const auto& f : dir.List()) EXPECT_EQ(f.find(".partial"), std::string::npos) << f;
}

TEST(BadInputMedia, MissingZeroByteAndRenamedTextFail) {
  SMILE_SKIP_WITHOUT_MEDIA();
  TempDir dir;
  ExpectCleanFailure(dir / "missing.mp4", "missing.mp4", dir, dir / "o1.mp4");
  std::ofstream(dir / "zero.mp4");
  ExpectCleanFailure(dir / "zero.mp4", "zero.mp4", dir, dir / "o2.mp4");
  std::ofstream(dir / "notes.mp4") << "these are meeting notes, not a video\n";
  ExpectCleanFailure(dir / "notes.mp4", "notes.mp4", dir, dir / "o3.mp4");
}

TEST(BadInputMedia, TruncatedClipWithIndexAtTheEndFailsClearly) {
  SMILE_SKIP_WITHOUT_MEDIA();
  TempDir dir;
  CopyPrefix(VideoDir() + "/d3.mp4", dir / "cut.mp4", 0.3);  // its moov atom is at the end
  ExpectCleanFailure(dir / "cut.mp4", "cut.mp4", dir, dir / "o.mp4");
}

TEST(BadInputMedia, TruncatedFaststartClipDecodesWhatIsThere) {
  SMILE_SKIP_WITHOUT_MEDIA();
  TempDir dir;
  // Our own outputs put the index first (faststart), so a cut copy still decodes.
  Status open_status;
  JobReport full = Copy(VideoDir() + "/d20.mp4", dir / "full.mp4", &open_status);
  ASSERT_TRUE(open_status.ok() && full.status.ok());
  CopyPrefix(dir / "full.mp4", dir / "cut.mp4", 0.3);
  JobReport r = Copy(dir / "cut.mp4", dir / "again.mp4", &open_status);
  ASSERT_TRUE(open_status.ok()) << open_status.ToString();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_GT(r.frames_written, 10);
  EXPECT_LT(r.frames_written, 175);
  auto got = ProbeMedia(dir / "again.mp4", true);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->video()->frame_count, r.frames_written);
}

TEST(BadInputMedia, UnwritableOutputFolderFailsBeforeWork) {
  SMILE_SKIP_WITHOUT_MEDIA();
  auto src = OpenSource(VideoDir() + "/d18.mp4");
  ASSERT_TRUE(src.ok());
  auto sink = OpenSink("/proc/smile-denied/out.mp4", SinkOptionsFor((*src)->info()));
  ASSERT_FALSE(sink.ok());
  EXPECT_NE(sink.status().message().find("/proc/smile-denied"), std::string::npos);
  EXPECT_EQ((*src)->frames_read(), 0);
}

}  // namespace
}  // namespace smile::capture
