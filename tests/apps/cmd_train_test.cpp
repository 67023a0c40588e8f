// `smile train` driven through the binary: a few tiny-config iterations per stage,
// --resume, bad samples skipped and counted, clear errors for bad runs.
#include <gtest/gtest.h>

#include <fstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "cli_util.h"

namespace {

using namespace smile_cli;
namespace fs = std::filesystem;

std::string Celeb() { return std::string(SMILE_MEDIA_DIR) + "/celebamask"; }
bool HaveCeleb() { return fs::exists(Celeb() + "/0.png"); }

// images/ + labels/: the 2 real CelebAMask-HQ pairs and their mirror images (4 good
// samples), a corrupt JPEG and a label map with class id 40.
std::string MakeData(const TempDir& t) {
  const std::string root = t / "data";
  fs::create_directories(root + "/images");
  fs::create_directories(root + "/labels");
  for (int i = 0; i < 2; ++i) {
    cv::Mat img = cv::imread(Celeb() + "/" + std::to_string(i) + ".jpg");
    cv::Mat lab = cv::imread(Celeb() + "/" + std::to_string(i) + ".png", cv::IMREAD_GRAYSCALE);
    cv::resize(img, img, cv::Size(128, 128), 0, 0, cv::INTER_AREA);
    cv::resize(lab, lab, cv::Size(128, 128), 0, 0, cv::INTER_NEAREST);
    cv::imwrite(root + "/images/f" + std::to_string(i) + ".jpg", img);
    cv::imwrite(root + "/labels/f" + std::to_string(i) + ".png", lab);
    cv::Mat img2 = img.clone();
    cv::GaussianBlur(img2, img2, cv::Size(3, 3), 0);
    cv::imwrite(root + "/images/g" + std::to_string(i) + ".jpg", img2);
    cv::imwrite(root + "/labels/g" + std::to_string(i) + ".png", lab);
    if (i == 0) {
      std::ofstream(root + "/images/corrupt.jpg", std::ios::binary) << "\xff\xd8\xff\xe0 not really a jpeg";
      cv::imwrite(root + "/labels/corrupt.png", lab);
      cv::Mat bad = lab.clone();
      bad(cv::Rect(0, 0, 8, 8)).setTo(40);
      cv::imwrite(root + "/images/badid.jpg", img);
      cv::imwrite(root + "/labels/badid.png", bad);
    }
  }
  return root;
}

std::vector<std::string> TrainArgs(const std::string& stage, const std::string& data, const std::string& out,
                                   const std::string& iters) {
  return {"--quiet", "train", stage, "--data", data, "--out", out, "--config", "tiny", "--iters", iters, "--batch",
          "2", "--checkpoint-every", "2", "--sample-every", "2", "--device", "cpu", "--seed", "3"};
}

TEST(CliTrainMedia, ParserRunsResumesAndCountsBadSamples) {
  if (!HaveCeleb()) GTEST_SKIP() << "shared media not found at " << Celeb();
  TempDir t;
  const std::string data = MakeData(t), out = t / "run";
  CmdRun first = Smile(TrainArgs("parser", data, out, "3"));
  ASSERT_EQ(first.code, 0) << first.out;
  EXPECT_NE(first.out.find("iterations 0 -> 3"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("2 skipped"), std::string::npos) << "corrupt image + bad class id: " << first.out;
  for (const char* f : {"state.ckpt", "parser.ckpt", "losses.jsonl", "losses.png", "report.txt",
                        "samples/iter_0000002.png", "samples/iter_0000003.png"})
    EXPECT_TRUE(fs::exists(out + "/" + f)) << f;
  // Same folder without --resume: refused, nothing overwritten.
  CmdRun again = Smile(TrainArgs("parser", data, out, "5"));
  EXPECT_NE(again.code, 0);
  EXPECT_NE(again.out.find("--resume"), std::string::npos) << again.out;
  auto resume_args = TrainArgs("parser", data, out, "5");
  resume_args.push_back("--resume");
  CmdRun resumed = Smile(resume_args);
  ASSERT_EQ(resumed.code, 0) << resumed.out;
  EXPECT_NE(resumed.out.find("iterations 3 -> 5"), std::string::npos) << resumed.out;
  std::ifstream log(out + "/losses.jsonl");
  int lines = 0;
  for (std::string l; std::getline(log, l);) ++lines;
  EXPECT_EQ(lines, 5);
  // The parser's state given to another stage: clear message, non-zero exit.
  auto wrong = TrainArgs("synth", data, out, "5");
  wrong.push_back("--resume");
  CmdRun w = Smile(wrong);
  EXPECT_NE(w.code, 0);
  EXPECT_NE(w.out.find("parser_train"), std::string::npos) << w.out;
}

TEST(CliTrainMedia, SynthAndManipRunAFewIterations) {
  if (!HaveCeleb()) GTEST_SKIP() << "shared media not found at " << Celeb();
  TempDir t;
  const std::string data = MakeData(t);
  for (const char* stage : {"synth", "manip"}) {
    CmdRun r = Smile(TrainArgs(stage, data, t / stage, "2"));
    ASSERT_EQ(r.code, 0) << stage << ": " << r.out;
    EXPECT_TRUE(fs::exists(t / (std::string(stage) + "/" + stage + ".ckpt"))) << stage;
    EXPECT_TRUE(fs::exists(t / (std::string(stage) + "/samples/iter_0000002.png"))) << stage;
  }
  std::ifstream report(t / "manip/report.txt");
  std::string text((std::istreambuf_iterator<char>(report)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("Eyeglasses:"), std::string::npos) << text;
  EXPECT_NE(text.find("edited"), std::string::npos) << text;
}

TEST(CliTrain, EmptyFolderAndUnknownStageAreClearErrors) {
  TempDir t;
  fs::create_directories(t / "empty");
  CmdRun empty = Smile({"--quiet", "train", "parser", "--data", t / "empty", "--out", t / "run", "--config", "tiny"});
  EXPECT_NE(empty.code, 0);
  EXPECT_NE(empty.out.find("empty"), std::string::npos) << empty.out;
  CmdRun stage = Smile({"train", "painter", "--data", t / "empty", "--out", t / "run"});
  EXPECT_EQ(stage.code, 2) << stage.out;
  EXPECT_NE(stage.out.find("synth, manip, parser or attr"), std::string::npos) << stage.out;
}

}  // namespace
