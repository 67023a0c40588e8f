#include "training/parser_trainer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "models/image_tensor.h"
#include "test_util.h"
#include "training/seg_metrics.h"
#include "tests/temp_path.h"

namespace smile::training {
namespace {

models::ModelConfig Tiny() { return *models::ModelConfig::Preset("tiny"); }

TEST(SegMetrics, MeanIoUOverTruthClasses) {
  auto truth = torch::tensor({0, 0, 1, 1}, torch::kLong).reshape({1, 2, 2});
  EXPECT_DOUBLE_EQ(MeanIoUPresent(truth, truth, 19), 1.0);
  auto pred = torch::tensor({0, 1, 1, 1}, torch::kLong).reshape({1, 2, 2});
  // class 0: 1/2, class 1: 2/3
  EXPECT_NEAR(MeanIoUPresent(pred, truth, 19), (0.5 + 2.0 / 3.0) / 2, 1e-12);
}

TEST(ParserTrainer, StepResizesToParserSizeAndLowersLoss) {
  auto cfg = Tiny();
  ParserTrainer t(cfg, {}, torch::kCPU);
  cv::Mat lab = testing::SyntheticLabels(64);
  auto img = models::ImageToTensor(testing::SyntheticImage(lab));
  auto labels = models::LabelsToTensor(lab).to(torch::kLong).reshape({1, 64, 64});
  auto first = t.Step(img, labels);
  std::map<std::string, double> last;
  for (int i = 0; i < 30; ++i) last = t.Step(img, labels);
  EXPECT_LT(last["loss"], first["loss"]);
  EXPECT_EQ(t.Predict(img).sizes(), (std::vector<int64_t>{1, cfg.parser_size, cfg.parser_size}));
}

// Mixed precision against the plain fp32 path: from the same start the first loss agrees up to bf16
// rounding (and differs, so bf16 really ran) and bf16 learns as fp32 does.
TEST(ParserTrainer, Bf16MatchesFp32AndLearns) {
  auto cfg = Tiny();
  cv::Mat lab = testing::SyntheticLabels(64);
  auto img = models::ImageToTensor(testing::SyntheticImage(lab));
  auto labels = models::LabelsToTensor(lab).to(torch::kLong).reshape({1, 64, 64});
  double first[2], last[2];
  for (int b = 0; b < 2; ++b) {
    ParserTrainOptions o;
    o.bf16 = b == 1;
    ParserTrainer t(cfg, o, torch::kCPU);
    first[b] = t.Step(img, labels)["loss"];
    for (int i = 0; i < 30; ++i) last[b] = t.Step(img, labels)["loss"];
  }
  std::printf("parser loss fp32 %.5f -> %.5f, bf16 %.5f -> %.5f\n", first[0], last[0], first[1], last[1]);
  EXPECT_NE(first[1], first[0]) << "bf16 arithmetic must actually run";
  EXPECT_NEAR(first[1], first[0], 0.02 * first[0]);
  EXPECT_LT(last[1], 0.9 * first[1]) << "bf16 must learn";
  EXPECT_NEAR(last[1], last[0], 0.05 * last[0]) << "and as fp32 does";
}

// Fine-tuning start: a new trainer initialised from an exported parser predicts exactly as it did,
// and a checkpoint of another config is refused.
TEST(ParserTrainer, InitFromAnExportedParserContinuesFromItsWeights) {
  auto cfg = Tiny();
  cv::Mat lab = testing::SyntheticLabels(64);
  auto img = models::ImageToTensor(testing::SyntheticImage(lab));
  auto labels = models::LabelsToTensor(lab).to(torch::kLong).reshape({1, 64, 64});
  ParserTrainer a(cfg, {}, torch::kCPU);
  for (int i = 0; i < 5; ++i) a.Step(img, labels);
  const std::string path = smile::testing::UniqueTempPath("smile_parser_init", ".smile").string();
  ASSERT_TRUE(a.ExportModel(path).ok());
  ParserTrainOptions o;
  o.seed = 7;  // other initial weights
  ParserTrainer b(cfg, o, torch::kCPU);
  EXPECT_FALSE(b.Predict(img).equal(a.Predict(img)));
  ASSERT_TRUE(b.InitFrom(path).ok());
  EXPECT_TRUE(b.Predict(img).equal(a.Predict(img)));
  EXPECT_EQ(b.iteration(), 0) << "a new run";
  auto other = *models::ModelConfig::Preset("small");
  ParserTrainer c(other, {}, torch::kCPU);
  EXPECT_FALSE(c.InitFrom(path).ok()) << "another config's shapes";
  std::filesystem::remove(path);
}

// Issue "Training": the parser overfits the 2 CelebAMask-HQ ground-truth maps.
TEST(ParserTrainerMedia, TinyConfigOverfitsTwoGroundTruthMaps) {
  if (!testing::HaveCelebAMask()) GTEST_SKIP() << "shared media not found at " << testing::CelebAMaskDir();
  auto cfg = Tiny();
  cfg.parser_size = 64;  // 32 px loses the eyes and brows entirely
  std::vector<torch::Tensor> imgs, labs;
  for (int i = 0; i < 2; ++i) {
    cv::Mat img = cv::imread(testing::CelebAMaskDir() + "/" + std::to_string(i) + ".jpg");
    cv::Mat lab = cv::imread(testing::CelebAMaskDir() + "/" + std::to_string(i) + ".png", cv::IMREAD_GRAYSCALE);
    ASSERT_FALSE(img.empty() || lab.empty());
    cv::resize(img, img, cv::Size(cfg.parser_size, cfg.parser_size), 0, 0, cv::INTER_AREA);
    cv::resize(lab, lab, cv::Size(cfg.parser_size, cfg.parser_size), 0, 0, cv::INTER_NEAREST);
    imgs.push_back(models::ImageToTensor(img));
    labs.push_back(models::LabelsToTensor(lab).to(torch::kLong).reshape({1, lab.rows, lab.cols}));
  }
  auto images = torch::cat(imgs), labels = torch::cat(labs);
  ParserTrainOptions o;
  o.lr = 5e-3;
  ParserTrainer t(cfg, o, torch::kCPU);
  const double before = t.MeanIoU(images, labels);
  double first_loss = 0, last_loss = 0;
  for (int it = 0; it < 200; ++it) {
    auto l = t.Step(images, labels);
    if (it == 0) first_loss = l["loss"];
    last_loss = l["loss"];
  }
  const double after = t.MeanIoU(images, labels);
  std::printf("parser tiny (64 px): loss %.3f -> %.3f, eval mIoU %.3f -> %.3f\n", first_loss, last_loss, before, after);
  EXPECT_LT(last_loss, first_loss * 0.5);
  EXPECT_GT(after, 0.6);
}

}  // namespace
}  // namespace smile::training
