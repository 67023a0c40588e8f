// training/attr_trainer: the attribute classifier learns attributes that the label maps
// show (eyeglasses, hat) on synthetic masks, ignores unknown labels, and its exported
// checkpoint reproduces its predictions.
#include <gtest/gtest.h>

#include <iostream>

#include "models/attr_net.h"
#include "test_util.h"
#include "training/attr_trainer.h"
#include "training/attributes.h"

namespace smile::training {
namespace {

using testing::SyntheticLabels;
using testing::TempDir;

struct Set {
  torch::Tensor labels, targets;
};

// 8 masks: eyeglasses on half, a hat on the other alternation; targets derived from the masks.
Set MakeSet(int size) {
  std::vector<torch::Tensor> labels, targets;
  for (int i = 0; i < 8; ++i) {
    cv::Mat m = SyntheticLabels(size);
    const double s = size / 64.0;
    if (i % 2 == 0)
      cv::rectangle(m, cv::Point(int(18 * s), int(23 * s)), cv::Point(int(46 * s), int(30 * s)), cv::Scalar(kEyeGlasses),
                    cv::FILLED);
    if ((i / 2) % 2 == 0) cv::rectangle(m, cv::Point(int(10 * s), 0), cv::Point(int(54 * s), int(12 * s)), cv::Scalar(kHat), cv::FILLED);
    AttributeTargets t = DeriveAttributes(m);
    labels.push_back(torch::from_blob(m.data, {size, size}, torch::kUInt8).clone().to(torch::kLong));
    auto tt = torch::empty({kNumAttributes}, torch::kLong);
    for (int a = 0; a < kNumAttributes; ++a) tt[a] = t.value[a];
    targets.push_back(tt);
  }
  return {torch::stack(labels), torch::stack(targets)};
}

TEST(AttrTrainer, LearnsMaskAttributesAndExportsThem) {
  torch::set_num_threads(1);
  auto c = *models::ModelConfig::Preset("tiny");
  models::StoreAttrSpec(*models::AttrSpecFromConfig(c), &c);
  Set set = MakeSet(64);
  // The derivation sees eyeglasses and hats where drawn, and no gender.
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(set.targets[i][kAttrEyeglasses].item<int64_t>(), i % 2 == 0 ? 1 : 0) << i;
    EXPECT_EQ(set.targets[i][kAttrHat].item<int64_t>(), (i / 2) % 2 == 0 ? 1 : 0) << i;
    EXPECT_EQ(set.targets[i][kAttrGender].item<int64_t>(), -1);
  }
  AttrTrainOptions o;
  o.lr = 3e-3;
  AttrTrainer trainer(c, o, torch::kCPU);
  auto images = torch::zeros({8, 3, 64, 64});
  std::map<std::string, double> first, last;
  for (int it = 0; it < 60; ++it) {
    last = trainer.Step(images, set.labels, set.targets);
    if (it == 0) first = last;
  }
  std::printf("[ info ] bce %.4f -> %.4f, batch accuracy %.3f -> %.3f\n", first["bce"], last["bce"], first["accuracy"],
              last["accuracy"]);
  EXPECT_LT(last["bce"], 0.5 * first["bce"]);
  EXPECT_EQ(last["accuracy"], 1.0);
  // Known labels: gender never, hair not where the hat hides it.
  EXPECT_NEAR(last["known"], (set.targets >= 0).to(torch::kFloat64).mean().item<double>(), 1e-9);
  // BatchNorm's running averages lag 60 fast steps behind; refresh them for the final weights.
  trainer.RefreshBatchNorm(images, set.labels);
  auto p = trainer.Predict(images, set.labels);
  std::cout << "[ info ] eval-mode probabilities (eyeglasses, hat):\n" << p.index({torch::indexing::Slice(), torch::tensor({1, 5})}) << "\n";
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(p[i][kAttrEyeglasses].item<double>() > 0.5, i % 2 == 0) << i;
    EXPECT_EQ(p[i][kAttrHat].item<double>() > 0.5, (i / 2) % 2 == 0) << i;
  }
  TempDir t;
  const std::string path = t.str() + "/attr.ckpt";
  trainer.set_label_source("derived from masks");
  ASSERT_TRUE(trainer.ExportModel(path).ok());
  auto net = models::LoadAttrNet(path);
  ASSERT_TRUE(net.ok()) << net.status().message();
  EXPECT_TRUE(torch::allclose((*net)->Probabilities((*net)->MaskInput(set.labels)), p, 1e-5, 1e-6));
  // Resumable state round trip.
  ASSERT_TRUE(trainer.SaveState(t.str() + "/state.ckpt").ok());
  AttrTrainer again(c, o, torch::kCPU);
  ASSERT_TRUE(again.LoadState(t.str() + "/state.ckpt").ok());
  EXPECT_EQ(again.iteration(), 60);
  EXPECT_TRUE(torch::allclose(again.Predict(images, set.labels), p));
}

}  // namespace
}  // namespace smile::training
