// `smile live` on a live source that stalls, disconnects and comes back (a TCP stream
// served by this test, read by GStreamer): the run waits, reports each event in one line
// and resumes without a restart; the output file holds frames from before and after.
#include <gtest/gtest.h>
#include <signal.h>

#include <regex>

#include "../capture/frame_server.h"
#include "capture/media_info.h"
#include "capture/source.h"
#include "cli_util.h"

namespace {

using namespace smile_cli;

TEST(LiveStall, SourceStallsDropsAndComesBackWithoutRestart) {
  if (!smile::capture::OpenCvHasGStreamer()) GTEST_SKIP() << "OpenCV without GStreamer";
  if (!smile::capture::CheckGstPipeline("tcpclientsrc ! rawvideoparse ! fakesink").ok())
    GTEST_SKIP() << "GStreamer lacks tcpclientsrc or rawvideoparse";
  const std::string identity = std::string(SMILE_SOURCE_DIR) + "/assets/models/identity.smile";
  ASSERT_TRUE(fs::exists(identity));
  TempDir t;
  smile_test::FrameServer server;
  ASSERT_GT(server.port(), 0);
  // 40 frames, 3 s of silence, 40 frames, hang up for 2 s, 40 frames, hang up for good.
  server.Start(40, 3000, 40, 2000, 40);
  CmdRun r = Smile({"live", "--source", smile_test::FrameServerPipeline(server.port()), "--identity", identity, "-o",
                    t / "live.mp4", "--reconnect", "4", "--overlay", "off"});
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("live source stalled"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("live source resumed after"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("live source lost"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("live source reconnected after"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("did not come back within 4.0 s"), std::string::npos) << "the final hang-up ends the run: "
                                                                              << r.out;
  EXPECT_NE(r.out.find("1 reconnection(s)"), std::string::npos) << r.out;
  auto info = smile::capture::ProbeMedia(t / "live.mp4", true);
  ASSERT_TRUE(info.ok()) << info.status().ToString() << "\n" << r.out;
  ASSERT_TRUE(info->video());
  // Frames of all three connections were read; how many were rendered rather than dropped
  // (newest first) depends on the machine's speed, and the file holds exactly those.
  std::smatch m;
  const std::regex summary(R"((\d+) frames read, (\d+) written)");
  ASSERT_TRUE(std::regex_search(r.out, m, summary)) << r.out;
  EXPECT_GT(std::stoll(m[1]), 80) << "frames from all three connections (120 sent):\n" << r.out;
  EXPECT_EQ(info->video()->frame_count, std::stoll(m[2])) << r.out;
  EXPECT_GE(info->video()->frame_count, 10) << r.out;
}

}  // namespace
