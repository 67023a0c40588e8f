// `smile fit`, `smile swap` and `smile demo` driven through the binary on real media.
#include <gtest/gtest.h>

#include <fstream>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "cli_util.h"

namespace {

using namespace smile_cli;
namespace fs = std::filesystem;

TEST(CliSwap, HelpAndBadArguments) {
  CmdRun help = Smile({"swap", "--help"});
  EXPECT_EQ(help.code, 0);
  for (const char* opt : {"--identity", "--video", "--face", "--compare", "--sheet"})
    EXPECT_NE(help.out.find(opt), std::string::npos) << opt;
  CmdRun missing = Smile({"swap", "--video", "x.mp4", "-o", "y.mp4"});
  EXPECT_EQ(missing.code, 2) << missing.out;
  EXPECT_NE(missing.out.find("--identity"), std::string::npos) << missing.out;
  CmdRun fit = Smile({"fit", "--identity", "x.mp4", "-o", "y.smile", "--minutes", "0", "--iters", "0"});
  EXPECT_NE(fit.code, 0);
}

TEST(CliSwapMedia, PhotoIdentityAndWrongCheckpointAreClearErrors) {
  SKIP_WITHOUT_MEDIA();
  TempDir t;
  CmdRun photo = Smile({"swap", "--identity", std::string(SMILE_MEDIA_DIR) + "/faces/lp_s0.jpg", "--video",
                        Clip("d11"), "-o", t / "out.mp4"});
  EXPECT_EQ(photo.code, 2) << photo.out;
  EXPECT_NE(photo.out.find("smile fit"), std::string::npos) << photo.out;
  { std::ofstream(t / "bad.smile") << "not a checkpoint"; }
  CmdRun bad = Smile({"swap", "--identity", t / "bad.smile", "--video", Clip("d11"), "-o", t / "out.mp4"});
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.out.find("bad.smile"), std::string::npos) << bad.out;
  EXPECT_FALSE(fs::exists(t / "out.mp4"));
}

// The thin end-to-end path: fit a (tiny, few-iteration) identity on one clip, swap it
// into another clip; frame count, fps and audio are kept, the head region changes
// much more than the background, and the side-by-side video and contact sheet exist.
TEST(CliSwapMedia, FitThenSwapKeepsFramesAndAudioAndChangesTheHead) {
  SKIP_WITHOUT_MEDIA();
  TempDir t;
  CmdRun fit = Smile({"--quiet", "fit", "--identity", Clip("d18"), "-o", t / "id.smile", "--config", "tiny",
                      "--iters", "20", "--max-samples", "24", "--every", "6"});
  ASSERT_EQ(fit.code, 0) << fit.out;
  ASSERT_TRUE(fs::exists(t / "id.smile"));
  ASSERT_TRUE(fs::exists(t / "id.smile.state"));
  // Resumed to 26 iterations, now with a style bank: the swap below renders with it.
  CmdRun more = Smile({"fit", "--identity", Clip("d18"), "-o", t / "id.smile", "--config", "tiny", "--iters", "26",
                       "--max-samples", "24", "--every", "6", "--resume", "--bank", "8", "--self-style", "1"});
  ASSERT_EQ(more.code, 0) << more.out;
  EXPECT_NE(more.out.find("resumed at iteration 20"), std::string::npos) << more.out;
  EXPECT_NE(more.out.find("26 iterations"), std::string::npos) << more.out;
  EXPECT_NE(more.out.find("style bank of 8"), std::string::npos) << more.out;
  // One loss log over both parts (a line per 10 iterations: 10, 20 then 26), and its curve.
  auto log = ReadText(t / "id.smile.losses.jsonl");
  EXPECT_NE(log.find("\"iter\":20,"), std::string::npos) << log;
  EXPECT_NE(log.find("\"iter\":26,"), std::string::npos) << log;
  EXPECT_NE(log.find("heldout_psnr"), std::string::npos) << log;
  EXPECT_TRUE(fs::exists(t / "id.smile.losses.png"));
  CmdRun swap = Smile({"--quiet", "swap", "--identity", t / "id.smile", "--video", Clip("d11"), "-o",
                       t / "swap.mp4", "--max-frames", "12", "--compare", t / "cmp.mp4", "--sheet",
                       t / "sheet.png"});
  ASSERT_EQ(swap.code, 0) << swap.out;
  CmdRun probe = Smile({"probe", t / "swap.mp4"});
  EXPECT_NE(probe.out.find("12 frames"), std::string::npos) << probe.out;
  EXPECT_NE(probe.out.find("audio aac"), std::string::npos) << probe.out;
  EXPECT_TRUE(fs::exists(t / "cmp.mp4"));
  cv::Mat sheet = cv::imread(t / "sheet.png");
  ASSERT_FALSE(sheet.empty());
  EXPECT_EQ(sheet.rows % 480, 0) << "rows of 480 px, one per sampled frame";
  // The head (centre of the 512x512 clip) changes; the corners stay.
  cv::VideoCapture in(Clip("d11")), out(t / "swap.mp4");
  cv::Mat a, b;
  double centre = 0, corner = 0;
  for (int i = 0; i < 12 && in.read(a) && out.read(b); ++i) {
    cv::Mat d;
    cv::absdiff(a, b, d);
    centre += cv::mean(d(cv::Rect(176, 160, 160, 200)))[0];
    corner += cv::mean(d(cv::Rect(0, 0, 64, 64)))[0];
  }
  EXPECT_GT(centre, 3 * corner + 12) << "centre " << centre << " corner " << corner;
}

// --layout identity renders the identity's own face layout with the driver's expression: on d10, the
// clip whose face shape keeps the driver-layout swap nearest the driver (FaceRes: 3 % of frames closer to
// the identity), most frames come out closer to the identity; frames and audio are kept.
TEST(CliSwapMedia, IdentityLayoutLooksLikeTheIdentity) {
  SKIP_WITHOUT_MEDIA();
  const std::string identity = std::string(SMILE_SOURCE_DIR) + "/assets/models/identity.smile";
  const std::string models = std::string(std::getenv("HOME") ? std::getenv("HOME") : "/root") + "/.cache/smile/models";
  if (!fs::exists(fs::path(models) / "faceres.json") && !std::getenv("SMILE_MODELS_DIR"))
    GTEST_SKIP() << "FaceRes not fetched (bash scripts/fetch_models.sh)";
  TempDir t;
  double share[2] = {0, 0};
  const char* layouts[2] = {"driver", "identity"};
  for (int k = 0; k < 2; ++k) {
    const std::string out = t / (std::string(layouts[k]) + ".mp4"), json = t / (std::string(layouts[k]) + ".json");
    CmdRun swap = Smile({"--quiet", "swap", "--identity", identity, "--video", Clip("d10"), "-o", out, "--max-frames",
                         "16", "--layout", layouts[k]});
    ASSERT_EQ(swap.code, 0) << swap.out;
    CmdRun probe = Smile({"probe", out});
    EXPECT_NE(probe.out.find("16 frames"), std::string::npos) << probe.out;
    EXPECT_NE(probe.out.find("audio aac"), std::string::npos) << probe.out;
    CmdRun eval = Smile({"--quiet", "eval", "video", "--input", Clip("d10"), "--output", out, "--identity", identity,
                         "--max-frames", "16", "--json", json});
    ASSERT_EQ(eval.code, 0) << eval.out;
    const std::string j = ReadText(json);
    share[k] = MetricValue(j, "id_closer_share");
    ASSERT_GE(share[k], 0.0) << j.substr(0, 2000);
  }
  std::printf("d10, 16 frames: share of frames closer to the identity: driver layout %.2f, identity layout %.2f\n",
              share[0], share[1]);
  EXPECT_GE(share[1], 0.5);
  EXPECT_GT(share[1], share[0] + 0.3);
}

}  // namespace
