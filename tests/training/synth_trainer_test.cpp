#include "training/synth_trainer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/image_metrics.h"
#include "models/image_tensor.h"

namespace smile::training {
namespace {

namespace fs = std::filesystem;

models::ModelConfig Tiny() { return *models::ModelConfig::Preset("tiny"); }

SynthBatch RandomBatch(const models::ModelConfig& c, int n) {
  auto labels = torch::randint(0, c.num_classes, {n, c.image_size, c.image_size}, torch::kLong);
  return {torch::rand({n, 3, c.image_size, c.image_size}) * 2 - 1, models::OneHotMask(labels, c.num_classes)};
}

TEST(SynthTrainer, StepRunsAllLossesAndUpdatesEma) {
  auto cfg = Tiny();
  SynthTrainOptions o;
  o.r1_every = 2;
  o.pl_every = 2;
  SynthTrainer t(cfg, o, torch::kCPU);
  auto before = t.ema()->generator->parameters()[0].clone();
  auto batch = RandomBatch(cfg, 4);
  auto l0 = t.Step(batch);  // random step with R1 and path length
  EXPECT_TRUE(l0.count("r1") && l0.count("path") && l0.count("d") && l0.count("g_adv"));
  EXPECT_FALSE(l0.count("g_feat")) << "feature matching runs on reference steps only";
  auto l1 = t.Step(batch);  // reference step
  EXPECT_TRUE(l1.count("g_feat"));
  EXPECT_EQ(t.iteration(), 2);
  for (const auto& [k, v] : l1) EXPECT_TRUE(std::isfinite(v)) << k;
  EXPECT_FALSE(torch::equal(before, t.ema()->generator->parameters()[0])) << "EMA must move";
}

TEST(SynthTrainer, SameSeedSameWeights) {
  auto cfg = Tiny();
  SynthTrainOptions o;
  o.seed = 3;
  torch::manual_seed(1);
  auto batch = RandomBatch(cfg, 2);
  SynthTrainer a(cfg, o, torch::kCPU);
  torch::manual_seed(5);
  a.Step(batch);
  SynthTrainer b(cfg, o, torch::kCPU);
  torch::manual_seed(5);
  b.Step(batch);
  auto pa = a.network()->parameters(), pb = b.network()->parameters();
  for (size_t i = 0; i < pa.size(); ++i) ASSERT_TRUE(torch::allclose(pa[i], pb[i])) << i;
}

// Issue "Training": a tiny config overfits a handful of real images (PSNR > 25 dB).
TEST(SynthTrainerMedia, TinyConfigOverfitsRealFaces) {
  const fs::path dir = fs::path(SMILE_MEDIA_DIR) / "celebamask";
  if (!fs::exists(dir / "0.jpg")) GTEST_SKIP() << "shared media not found at " << dir << "; skipping";
  auto cfg = Tiny();
  std::vector<cv::Mat> images, labels;
  std::vector<torch::Tensor> ti, tm;
  for (int i = 0; i < 2; ++i) {
    cv::Mat img = cv::imread((dir / (std::to_string(i) + ".jpg")).string());
    cv::Mat lab = cv::imread((dir / (std::to_string(i) + ".png")).string(), cv::IMREAD_GRAYSCALE);
    ASSERT_FALSE(img.empty() || lab.empty());
    cv::resize(img, img, cv::Size(cfg.image_size, cfg.image_size), 0, 0, cv::INTER_AREA);
    cv::resize(lab, lab, cv::Size(cfg.image_size, cfg.image_size), 0, 0, cv::INTER_NEAREST);
    images.push_back(img);
    labels.push_back(lab);
    ti.push_back(models::ImageToTensor(img));
    tm.push_back(models::LabelsToOneHot(lab, cfg.num_classes));
  }
  SynthTrainOptions o;
  o.lambda_l1 = 10;
  o.reference_every_step = true;
  o.pl_weight = 0;
  o.ema_beta = 0.9;
  o.lr = 0.004;
  SynthTrainer t(cfg, o, torch::kCPU);
  SynthBatch batch{torch::cat(ti), torch::cat(tm)};
  double first_l1 = 0, last_l1 = 0;
  for (int it = 0; it < 400; ++it) {
    auto l = t.Step(batch);
    if (it == 0) first_l1 = l["g_l1"];
    last_l1 = l["g_l1"];
  }
  EXPECT_LT(last_l1, first_l1 * 0.5);
  auto out = t.Reconstruct(batch.images, batch.masks);
  for (int i = 0; i < 2; ++i) {
    double psnr = Psnr(models::TensorToImage(out[i]), images[i]);
    EXPECT_GT(psnr, 25.0) << "image " << i;
    std::printf("training image %d: reconstruction PSNR %.2f dB (L1 %.3f -> %.3f)\n", i, psnr, first_l1, last_l1);
  }
}

}  // namespace
}  // namespace smile::training
