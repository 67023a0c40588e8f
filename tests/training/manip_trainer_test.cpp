#include "training/manip_trainer.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "models/image_tensor.h"
#include "test_util.h"
#include "training/attributes.h"
#include "training/augment.h"

namespace smile::training {
namespace {

models::ModelConfig Tiny() { return *models::ModelConfig::Preset("tiny"); }

torch::Tensor Stack(const std::vector<cv::Mat>& maps) {
  std::vector<torch::Tensor> t;
  for (const auto& m : maps) t.push_back(models::LabelsToTensor(m).to(torch::kLong).reshape({1, m.rows, m.cols}));
  return torch::cat(t);
}

torch::Tensor ChoicesOf(const std::vector<cv::Mat>& maps) {
  auto c = torch::empty({static_cast<int64_t>(maps.size()), models::kNumAttributes}, torch::kLong);
  for (size_t i = 0; i < maps.size(); ++i) {
    auto t = DeriveAttributes(maps[i]);
    for (int a = 0; a < models::kNumAttributes; ++a) c[i][a] = static_cast<int64_t>(t.value[a]);
  }
  return c;
}

TEST(ManipTrainer, EditBatchMovesSamplesIntoMissingDomainsDeterministically) {
  std::vector<cv::Mat> maps(4, testing::SyntheticLabels(64));
  auto labels = Stack(maps), choices = ChoicesOf(maps);
  DomainTally t1, t2;
  auto a = EditBatch(labels, choices, {}, 1.0, 5, &t1);
  auto b = EditBatch(labels, choices, {}, 1.0, 5, &t2);
  EXPECT_TRUE(torch::equal(a.labels, b.labels));
  EXPECT_TRUE(torch::equal(a.choices, b.choices));
  EXPECT_FALSE(torch::equal(a.labels, labels)) << "probability 1 must edit the maps";
  int64_t edited = 0;
  for (int d = 0; d < models::kNumDomains; ++d) edited += t1.edited[d];
  EXPECT_GE(edited, 3) << t1.ToString();
  EXPECT_EQ(t1.samples, 4);
  // The edited choices agree with what the masks now show.
  for (int i = 0; i < 4; ++i) {
    auto derived = DeriveAttributes(models::TensorToLabels(a.labels[i].to(torch::kUInt8)));
    for (int attr = 1; attr < models::kNumAttributes; ++attr)
      if (derived.known(attr) && a.choices[i][attr].item<int64_t>() != choices[i][attr].item<int64_t>()) {
        EXPECT_EQ(derived.value[attr], a.choices[i][attr].item<int64_t>()) << "sample " << i << " attribute " << attr;
      }
  }
  // Probability 0: nothing changes, everything counted as derived.
  DomainTally t3;
  auto c = EditBatch(labels, choices, {}, 0.0, 5, &t3);
  EXPECT_TRUE(torch::equal(c.labels, labels));
  EXPECT_EQ(t3.derived[models::DomainIndex(kAttrEyeglasses, 0)], 4);
  EXPECT_NE(t3.ToString().find("NOT_Eyeglasses: 0 real, 4 derived, 0 edited"), std::string::npos) << t3.ToString();
}

TEST(ManipTrainer, StepRunsEveryLossAndDiversityWeightDecays) {
  auto cfg = Tiny();
  ManipTrainOptions o;
  o.ds_iters = 4;
  ManipTrainer t(cfg, o, torch::kCPU);
  std::vector<cv::Mat> maps(2, testing::SyntheticLabels(cfg.manip_size));
  ManipBatch batch{Stack(maps), ChoicesOf(maps)};
  auto losses = t.Step(batch);
  for (const char* k : {"d_real_lat", "d_fake_ref", "d_r1_lat", "g_adv_lat", "g_sty_ref", "g_ds_lat", "g_cyc_ref",
                        "cycle_miou"}) {
    ASSERT_TRUE(losses.count(k)) << k;
    EXPECT_TRUE(std::isfinite(losses[k])) << k;
  }
  EXPECT_DOUBLE_EQ(losses["lambda_ds"], 20.0);
  EXPECT_DOUBLE_EQ(t.LambdaDs(2), 10.0);
  EXPECT_DOUBLE_EQ(t.LambdaDs(4), 0.0);
  EXPECT_DOUBLE_EQ(t.LambdaDs(9), 0.0);
  EXPECT_EQ(t.iteration(), 1);
  auto out = t.Translate(batch.labels, models::MakeChoices({0, 1, 0, 1, 0, 0}, 2));
  EXPECT_EQ(out.sizes(), batch.labels.sizes());
}

// Mixed precision against the plain fp32 path: the same first step (R1's double backward included)
// up to bf16 rounding, every loss finite.
TEST(ManipTrainer, Bf16StepMatchesFp32) {
  auto cfg = Tiny();
  std::vector<cv::Mat> maps(2, testing::SyntheticLabels(cfg.manip_size));
  ManipBatch batch{Stack(maps), ChoicesOf(maps)};
  std::map<std::string, double> l[2];
  for (int b = 0; b < 2; ++b) {
    ManipTrainOptions o;
    o.bf16 = b == 1;
    ManipTrainer t(cfg, o, torch::kCPU);
    l[b] = t.Step(batch);
    l[b] = t.Step(batch);  // the second step starts from weights the first (bf16) step moved
  }
  for (const auto& [k, v] : l[0]) {
    EXPECT_TRUE(std::isfinite(l[1][k])) << k;
    if (k == "lambda_ds" || k == "cycle_miou") continue;
    EXPECT_NEAR(l[1][k], v, 0.05 * std::abs(v) + 0.02) << k;
  }
  EXPECT_NE(l[1]["g_cyc_lat"], l[0]["g_cyc_lat"]) << "bf16 arithmetic must actually run";
}

// Issue "Training": the manipulation stage learns on a handful of real label maps:
// the cycle loss drops and the cycle reconstruction mIoU rises.
TEST(ManipTrainerMedia, TinyConfigLearnsCycleOnRealMasks) {
  if (!testing::HaveCelebAMask()) GTEST_SKIP() << "shared media not found at " << testing::CelebAMaskDir();
  auto cfg = Tiny();
  std::vector<cv::Mat> maps;
  for (int i = 0; i < 2; ++i) {
    cv::Mat lab = cv::imread(testing::CelebAMaskDir() + "/" + std::to_string(i) + ".png", cv::IMREAD_GRAYSCALE);
    ASSERT_FALSE(lab.empty());
    cv::resize(lab, lab, cv::Size(cfg.manip_size, cfg.manip_size), 0, 0, cv::INTER_NEAREST);
    maps.push_back(lab);
    maps.push_back(FlipLabels(lab));
  }
  ManipTrainOptions o;
  o.lr = 2e-3;
  o.mapping_lr = 2e-5;
  o.ema_beta = 0.8;
  o.ds_iters = 20;
  ManipTrainer t(cfg, o, torch::kCPU);
  ManipBatch batch{Stack(maps), ChoicesOf(maps)};
  const double miou0 = t.CycleMeanIoU(batch);
  double cyc_first = 0, cyc_last = 0;
  const int iters = 50;
  for (int it = 0; it < iters; ++it) {
    auto l = t.Step(batch);
    if (it < 10) cyc_first += l["g_cyc_lat"] / 10;
    if (it >= iters - 10) cyc_last += l["g_cyc_lat"] / 10;
  }
  const double miou1 = t.CycleMeanIoU(batch);
  std::printf("manip tiny: cycle CE %.3f -> %.3f, EMA cycle mIoU %.3f -> %.3f\n", cyc_first, cyc_last, miou0, miou1);
  EXPECT_LT(cyc_last, cyc_first * 0.6);
  EXPECT_GT(miou1, miou0 + 0.1);
}

}  // namespace
}  // namespace smile::training
