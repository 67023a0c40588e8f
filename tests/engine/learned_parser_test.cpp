// LearnedParser: the parser network behind the FaceParser interface. Checked against the network's
// own Predict (the plain reference path), and, on real media, against the CelebAMask-HQ ground truth.
#include "engine/learned_parser.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "engine/face_analyzer.h"
#include "engine/metrics.h"
#include "engine/parser_choice.h"
#include "models/checkpoint.h"
#include "models/parser_net.h"
#include "models/runtime.h"
#include "celebamask_score.h"
#include "tests/temp_path.h"

namespace smile::engine {
namespace {

namespace fs = std::filesystem;

std::string Media(const std::string& rel) { return std::string(SMILE_MEDIA_DIR) + "/" + rel; }

// A tiny parser network with random weights (BatchNorm statistics made non-trivial), saved as a
// checkpoint; returns the network for reference predictions.
models::ParserNet SaveTinyParser(const std::string& path) {
  torch::manual_seed(3);
  models::ParserNet net(models::ModelConfig::Preset("tiny").value());
  {
    torch::NoGradGuard ng;
    for (auto& b : net->named_buffers())
      if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 2.0);
      else if (b.key().find("running_mean") != std::string::npos) b.value().uniform_(-0.2, 0.2);
  }
  EXPECT_TRUE(models::SaveCheckpoint(path, models::kKindParser, net->config, *net).ok());
  return net;
}

cv::Mat RandomFace(int size) {
  cv::Mat img(size, size, CV_8UC3);
  cv::randu(img, cv::Scalar::all(0), cv::Scalar::all(255));
  cv::GaussianBlur(img, img, cv::Size(5, 5), 1.5);
  return img;
}

TEST(LearnedParser, MatchesTheNetworksOwnPredictionAtItsInputSize) {
  models::InitTorchRuntime(1);
  const std::string path = smile::testing::UniqueTempPath("smile_learned_parser_tiny", ".smile").string();
  models::ParserNet ref = SaveTinyParser(path);
  auto parser = LearnedParser::Load(path);
  ASSERT_TRUE(parser.ok()) << parser.status().ToString();
  EXPECT_EQ((*parser)->input_size(), 32);
  const cv::Mat img = RandomFace(32);  // the network's size: no resizing on either side
  auto r = (*parser)->Parse(img, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Reference: the plain network on the same RGB tensor.
  cv::Mat rgb;
  cv::cvtColor(img, rgb, cv::COLOR_BGR2RGB);
  rgb.convertTo(rgb, CV_32FC3, 2.0 / 255.0, -1.0);
  torch::Tensor x = torch::from_blob(rgb.data, {1, 32, 32, 3}).permute({0, 3, 1, 2}).contiguous();
  models::ParserPrediction p = ref->Predict(x);
  ASSERT_EQ(r->probs.size(), 19u);
  double max_err = 0;
  for (int c = 0; c < 19; ++c) {
    torch::Tensor plane = torch::from_blob(r->probs[c].data, {32, 32});
    max_err = std::max(max_err, (plane - p.probs[0][c]).abs().max().item<double>());
  }
  EXPECT_LT(max_err, 1e-6);
  torch::Tensor labels = torch::from_blob(r->labels.data, {32, 32}, torch::kUInt8);
  EXPECT_TRUE(labels.equal(p.labels[0])) << "labels must be the reference argmax";
  fs::remove(path);
}

TEST(LearnedParser, ResizesToAnyAlignedSizeWithNormalisedProbabilities) {
  models::InitTorchRuntime(1);
  const std::string path = smile::testing::UniqueTempPath("smile_learned_parser_tiny2", ".smile").string();
  SaveTinyParser(path);
  auto parser = MakeParser(path);  // a checkpoint path is a parser name
  const auto here = fs::current_path();
  fs::current_path(fs::temp_directory_path());
  EXPECT_EQ(ResolveParser(fs::path(path).filename().string(), false).value(), path)
      << "a relative checkpoint path resolves to the absolute one (identity models record it)";
  fs::current_path(here);
  ASSERT_TRUE(parser.ok()) << parser.status().ToString();
  EXPECT_EQ((*parser)->name(), "learned");
  cv::Mat gray;
  cv::cvtColor(RandomFace(80), gray, cv::COLOR_BGR2GRAY);  // grayscale input is accepted
  auto r = (*parser)->Parse(gray, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->labels.size(), cv::Size(80, 80));
  cv::Mat sum = cv::Mat::zeros(80, 80, CV_32F);
  for (const auto& p : r->probs) sum += p;
  double lo, hi;
  cv::minMaxLoc(sum, &lo, &hi);
  EXPECT_NEAR(lo, 1.0, 1e-4);
  EXPECT_NEAR(hi, 1.0, 1e-4);
  EXPECT_EQ(cv::countNonZero(ArgmaxLabels(r->probs) != r->labels), 0);
  fs::remove(path);
}

TEST(LearnedParser, MissingOrWrongFilesSayWhatToDo) {
  auto missing = LearnedParser::Load("/nonexistent/parser.smile");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("smile train parser"), std::string::npos) << missing.status().message();
  EXPECT_EQ(ResolveParser("/nonexistent/parser.smile", /*fall_back=*/false).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ResolveParser("/nonexistent/parser.smile", /*fall_back=*/true).value(), "geometric");
  // A checkpoint of another kind is refused by kind.
  const std::string other = smile::testing::UniqueTempPath("smile_learned_parser_wrong", ".smile").string();
  torch::nn::Linear lin(2, 2);
  ASSERT_TRUE(models::SaveCheckpoint(other, models::kKindManip, models::ModelConfig::Preset("tiny").value(), *lin).ok());
  auto wrong = LearnedParser::Load(other);
  ASSERT_FALSE(wrong.ok());
  fs::remove(other);
}

// The bundled parser on the two CelebAMask-HQ ground-truth maps (photos it never saw).
TEST(LearnedParserMedia, BundledParserOnCelebAMaskGroundTruth) {
  if (!fs::exists(Media("celebamask/0.jpg"))) GTEST_SKIP() << "shared media absent: " << Media("celebamask");
  const std::string path = DefaultLearnedParserPath();
  if (!fs::exists(path)) GTEST_FAIL() << "bundled parser missing: " << path << " (git checkout assets/models)";
  models::InitTorchRuntime(2);
  AnalyzerOptions o;
  o.align.size = 256;
  o.smooth = false;
  o.parser = kParserLearned;
  auto analyzer = FaceAnalyzer::Create(o);
  ASSERT_TRUE(analyzer.ok()) << analyzer.status().ToString();
  ConfusionMatrix total;
  ASSERT_NO_FATAL_FAILURE(ScoreOnCelebAMask(*analyzer, &total));
  std::printf("learned parser on CelebAMask-HQ (2 maps):\n%s\nmean IoU over truth classes %.3f\n",
              total.Report().c_str(), total.MeanIoUTruthClasses());
  // Trained on 1828 mesh-parser crops of video frames and portraits (scripts/train_parser.sh), not on
  // CelebAMask-HQ labels: measured 0.482 mean, skin 0.753, hair 0.736 (the mesh parser it learned
  // from: 0.638).
  EXPECT_GT(total.MeanIoUTruthClasses(), 0.45);
  EXPECT_GT(total.IoU(kSkin), 0.7);
  EXPECT_GT(total.IoU(kHair), 0.6);
}

}  // namespace
}  // namespace smile::engine
