// `smile reenact` through the binary on real media.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "cli_util.h"
#include "tiny_identity.h"

namespace {

using namespace smile_cli;

std::string Face(const std::string& n) { return std::string(SMILE_MEDIA_DIR) + "/faces/" + n + ".jpg"; }

TEST(CliReenact, HelpAndBadArguments) {
  CmdRun help = Smile({"reenact", "--help"});
  EXPECT_EQ(help.code, 0);
  for (const char* opt : {"--source", "--driver", "--identity", "--pose", "--landmarks"})
    EXPECT_NE(help.out.find(opt), std::string::npos) << opt;
  CmdRun missing = Smile({"reenact", "--driver", "x.mp4", "-o", "y.mp4"});
  EXPECT_EQ(missing.code, 2) << missing.out;
  EXPECT_NE(missing.out.find("--source"), std::string::npos) << missing.out;
}

// --landmarks: a wrong name is refused before anything loads; dlib and mesh both run (mesh skipped
// without the fetched FaceMesh model).
TEST(CliReenactMedia, LandmarkChoice) {
  SKIP_WITHOUT_MEDIA();
  std::string log;
  const std::string id = TinyIdentity(&log);
  ASSERT_FALSE(id.empty()) << log;
  TempDir t;
  CmdRun bad = Smile({"reenact", "--source", id, "--driver", Clip("d3"), "-o", t / "o.mp4", "--landmarks", "iris"});
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_NE(bad.out.find("dlib, mesh or auto"), std::string::npos) << bad.out;
  EXPECT_FALSE(fs::exists(t / "o.mp4"));
  for (const char* kind : {"dlib", "mesh"}) {
    CmdRun r = Smile({"reenact", "--source", Face("lp_s0"), "--identity", id, "--driver", Clip("d3"), "-o",
                      t / (std::string(kind) + ".mp4"), "--max-frames", "4", "--landmarks", kind});
    if (std::string(kind) == "mesh" && r.code != 0 && r.out.find("fetch_models") != std::string::npos) {
      std::printf("FaceMesh not fetched: %s\n", r.out.c_str());
      continue;
    }
    ASSERT_EQ(r.code, 0) << kind << ": " << r.out;
    EXPECT_NE(r.out.find(std::string(kind) == "mesh" ? "eyes and lips from FaceMesh" : "4 written"),
              std::string::npos) << r.out;
  }
}

TEST(CliReenactMedia, PhotoNeedsAnIdentityAndAFace) {
  SKIP_WITHOUT_MEDIA();
  TempDir t;
  CmdRun no_id = Smile({"reenact", "--source", Face("lp_s0"), "--driver", Clip("d11"), "-o", t / "o.mp4"});
  EXPECT_EQ(no_id.code, 2) << no_id.out;
  EXPECT_NE(no_id.out.find("smile fit"), std::string::npos) << no_id.out;
  std::string log;
  const std::string id = TinyIdentity(&log);
  ASSERT_FALSE(id.empty()) << log;
  cv::imwrite(t / "blank.png", cv::Mat(200, 200, CV_8UC3, cv::Scalar(40, 90, 200)));
  CmdRun blank = Smile({"reenact", "--source", t / "blank.png", "--identity", id, "--driver", Clip("d11"), "-o",
                        t / "o.mp4", "--max-frames", "3"});
  EXPECT_NE(blank.code, 0);
  EXPECT_NE(blank.out.find("no face"), std::string::npos) << blank.out;
  EXPECT_FALSE(fs::exists(t / "o.mp4"));
}

// A photo animated by a clip: the photo's frame size, the driver's frame count and audio.
TEST(CliReenactMedia, PhotoByClipKeepsPhotoSizeAndDriverAudio) {
  SKIP_WITHOUT_MEDIA();
  std::string log;
  const std::string id = TinyIdentity(&log);
  ASSERT_FALSE(id.empty()) << log;
  TempDir t;
  CmdRun r = Smile({"--quiet", "reenact", "--source", Face("lp_s0"), "--identity", id, "--driver", Clip("d11"), "-o",
                    t / "out.mp4", "--max-frames", "10"});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("10 written"), std::string::npos) << r.out;
  CmdRun probe = Smile({"probe", t / "out.mp4"});
  EXPECT_NE(probe.out.find("10 frames"), std::string::npos) << probe.out;
  EXPECT_NE(probe.out.find("audio aac"), std::string::npos) << probe.out;
  cv::Mat photo = cv::imread(Face("lp_s0"));
  cv::VideoCapture out(t / "out.mp4");
  cv::Mat f;
  ASSERT_TRUE(out.read(f));
  EXPECT_EQ(f.cols, photo.cols);
  EXPECT_EQ(f.rows, photo.rows);
}

// An identity model alone: its default layout is the canvas.
TEST(CliReenactMedia, IdentityModelAloneIsACanvas) {
  SKIP_WITHOUT_MEDIA();
  std::string log;
  const std::string id = TinyIdentity(&log);
  ASSERT_FALSE(id.empty()) << log;
  TempDir t;
  CmdRun r = Smile({"--quiet", "reenact", "--source", id, "--driver", Clip("d20"), "-o", t / "out.mp4",
                    "--max-frames", "6"});
  ASSERT_EQ(r.code, 0) << r.out;
  CmdRun probe = Smile({"probe", t / "out.mp4"});
  EXPECT_NE(probe.out.find("6 frames"), std::string::npos) << probe.out;
  EXPECT_NE(probe.out.find("256x256"), std::string::npos) << probe.out;
}

}  // namespace
