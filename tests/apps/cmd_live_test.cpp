// `smile live` through the binary: a GStreamer test pattern and a file played as live.
#include <gtest/gtest.h>

#include <cstdlib>

#include "capture/source.h"
#include "cli_util.h"
#include "tiny_identity.h"

namespace {

using namespace smile_cli;

TEST(CliLive, HelpAndBadArguments) {
  CmdRun help = Smile({"live", "--help"});
  EXPECT_EQ(help.code, 0);
  for (const char* opt : {"--source", "--mode", "--sink", "--effect", "--in-flight"})
    EXPECT_NE(help.out.find(opt), std::string::npos) << opt;
  CmdRun mode = Smile({"live", "--source", "0", "--identity", "x.smile", "--mode", "dance"});
  EXPECT_EQ(mode.code, 2) << mode.out;
}

// videotestsrc has no face: every frame passes through (counted); N frames, clean exit.
TEST(CliLiveMedia, VideoTestSrcRunsNFramesAndExitsCleanly) {
  SKIP_WITHOUT_MEDIA();
  if (!smile::capture::OpenCvHasGStreamer()) GTEST_SKIP() << "OpenCV without GStreamer";
  std::string log;
  const std::string id = TinyIdentity(&log);
  ASSERT_FALSE(id.empty()) << log;
  TempDir t;
  unsetenv("DISPLAY");
  unsetenv("WAYLAND_DISPLAY");
  CmdRun nosink = Smile({"live", "--source", "gst:videotestsrc num-buffers=5", "--identity", id});
  EXPECT_EQ(nosink.code, 2) << nosink.out;
  EXPECT_NE(nosink.out.find("--sink"), std::string::npos) << nosink.out;
  CmdRun r = Smile({"live", "--source",
                    "gst:videotestsrc num-buffers=200 is-live=true ! video/x-raw,width=320,height=240,framerate=30/1",
                    "--identity", id, "-o", t / "live.mp4", "--max-frames", "24"});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("24 frames read"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("latency"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(t / "live.mp4"));
  CmdRun probe = Smile({"probe", t / "live.mp4"});
  EXPECT_NE(probe.out.find("320x240"), std::string::npos) << probe.out;
}

// A clip played as live at its frame rate: faces are swapped; frames that the engine
// cannot keep up with are dropped (counted), never queued up.
TEST(CliLiveMedia, FilePlayedAsLiveDropsInsteadOfLagging) {
  SKIP_WITHOUT_MEDIA();
  std::string log;
  const std::string id = TinyIdentity(&log);
  ASSERT_FALSE(id.empty()) << log;
  TempDir t;
  CmdRun r = Smile({"live", "--source", Clip("d11"), "--identity", id, "-o", t / "live.mp4", "--max-frames", "40",
                    "--in-flight", "1"});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("40 frames read"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(live, newest frame first)"), std::string::npos) << r.out;
  // written + dropped == read
  long long read = 0, written = 0, dropped = 0;
  const size_t at = r.out.find(" frames read, ");
  ASSERT_NE(at, std::string::npos);
  size_t b = r.out.rfind('\n', at);
  b = b == std::string::npos ? 0 : b + 1;
  ASSERT_EQ(std::sscanf(r.out.c_str() + b, "%lld frames read, %lld written in %*f s (%*f fps), %lld dropped", &read,
                        &written, &dropped), 3) << r.out;
  EXPECT_EQ(read, 40);
  EXPECT_EQ(written + dropped, read) << r.out;
  EXPECT_GT(written, 0);
}

}  // namespace
