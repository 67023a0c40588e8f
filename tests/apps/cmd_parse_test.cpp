// `smile parse` driven through the binary on real media.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "cli_util.h"

namespace {

using namespace smile_cli;
namespace fs = std::filesystem;

size_t FilesIn(const std::string& dir) {
  return fs::exists(dir) ? std::distance(fs::directory_iterator(dir), fs::directory_iterator()) : 0;
}

TEST(CliParseMedia, VideoAndPhotoGiveOneLabelMapPerFrame) {
  SKIP_WITHOUT_MEDIA();
  TempDir t;
  CmdRun video = Smile({"--quiet", "parse", Clip("d11"), "-o", t / "v", "--max-frames", "20"});
  ASSERT_EQ(video.code, 0) << video.out;
  EXPECT_NE(video.out.find("main face found in 20 (100.0%)"), std::string::npos) << video.out;
  EXPECT_EQ(FilesIn(t / "v/labels"), 20u);
  EXPECT_EQ(FilesIn(t / "v/overlay"), 20u);
  CmdRun photo = Smile({"--quiet", "parse", std::string(SMILE_MEDIA_DIR) + "/faces/lp_s0.jpg", "-o", t / "p"});
  ASSERT_EQ(photo.code, 0) << photo.out;
  ASSERT_EQ(FilesIn(t / "p/labels"), 1u);
  cv::Mat labels = cv::imread((*fs::directory_iterator(t / "p/labels")).path().string(), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(labels.type(), CV_8UC1);
  double lo, hi;
  cv::minMaxLoc(labels, &lo, &hi);
  EXPECT_LE(hi, 18.0);
  EXPECT_GT(cv::countNonZero(labels == 1), labels.total() / 20) << "skin must cover a good part of a portrait";
}

// Every parser by name, the bundled network included: one label map of the portrait each, skin
// covering a good part of it, and the parser named in the log.
TEST(CliParseMedia, EveryParserByName) {
  SKIP_WITHOUT_MEDIA();
  TempDir t;
  for (const char* parser : {"geometric", "learned"}) {
    const fs::path out = t / parser;
    CmdRun r = Smile({"parse", std::string(SMILE_MEDIA_DIR) + "/faces/lp_s0.jpg", "-o", out, "--parser", parser});
    ASSERT_EQ(r.code, 0) << parser << "\n" << r.out;
    EXPECT_NE(r.out.find(std::string("parser: ") + parser), std::string::npos) << r.out;
    ASSERT_EQ(FilesIn(out / "labels"), 1u) << parser;
    cv::Mat labels = cv::imread((*fs::directory_iterator(out / "labels")).path().string(), cv::IMREAD_UNCHANGED);
    EXPECT_GT(cv::countNonZero(labels == 1), labels.total() / 20) << parser;
    EXPECT_GT(cv::countNonZero(labels == 13), labels.total() / 50) << parser << ": hair";
  }
  CmdRun missing = Smile({"parse", std::string(SMILE_MEDIA_DIR) + "/faces/lp_s0.jpg", "-o", t / "m", "--parser",
                          t / "none.smile"});
  EXPECT_EQ(missing.code, 1) << missing.out;
  EXPECT_NE(missing.out.find("smile train parser"), std::string::npos) << missing.out;
}

TEST(CliParse, MissingInputIsAClearError) {
  TempDir t;
  CmdRun r = Smile({"parse", t / "nothing.mp4", "-o", t / "out"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("nothing.mp4"), std::string::npos) << r.out;
}

}  // namespace
