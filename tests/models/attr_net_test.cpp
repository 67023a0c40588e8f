// models/attr_net: the MobileNetV2-style attribute classifier's shapes, its spec kept in
// the config (so a checkpoint rebuilds it) and bad specs refused.
#include <gtest/gtest.h>

#include <filesystem>

#include "models/attr_net.h"
#include "models/attributes.h"
#include "models/checkpoint.h"
#include "tests/temp_path.h"

namespace smile::models {
namespace {

TEST(AttrNet, LogitsPerAttributeForMasksAndImages) {
  auto c = *ModelConfig::Preset("tiny");
  auto spec = *AttrSpecFromConfig(c);
  EXPECT_TRUE(spec.mask_input);
  EXPECT_EQ(spec.size, 64);
  AttrNet net(c, spec);
  auto labels = torch::randint(0, c.num_classes, {2, 48, 48}, torch::kLong);
  auto x = net->MaskInput(labels);
  EXPECT_EQ(x.size(1), c.num_classes);
  EXPECT_TRUE(torch::allclose(x.sum(1), torch::ones({2, 48, 48})));
  auto y = net->forward(x);  // resized to 64 inside
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, kNumAttributes}));
  auto p = net->Probabilities(x);
  EXPECT_TRUE(net->is_training());  // restored
  EXPECT_GE(p.min().item<float>(), 0.f);
  EXPECT_LE(p.max().item<float>(), 1.f);

  spec.mask_input = false;
  AttrNet img(c, spec);
  EXPECT_EQ(img->forward(torch::zeros({2, 3, 64, 64})).size(1), kNumAttributes);
}

TEST(AttrNet, SpecTravelsInTheConfigAndCheckpoint) {
  auto c = *ModelConfig::Preset("tiny");
  AttrNetSpec s;
  s.mask_input = true;
  s.width = 0.5;
  s.size = 64;
  StoreAttrSpec(s, &c);
  auto back = *AttrSpecFromConfig(c);
  EXPECT_EQ(back.size, 64);
  EXPECT_DOUBLE_EQ(back.width, 0.5);
  AttrNet net(c, back);
  const auto path = smile::testing::UniqueTempPath("smile_attr_net", ".ckpt").string();
  ASSERT_TRUE(SaveCheckpoint(path, kKindAttr, c, *net).ok());
  auto loaded = LoadAttrNet(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ((*loaded)->spec.size, 64);
  auto x = net->MaskInput(torch::randint(0, c.num_classes, {2, 64, 64}, torch::kLong));
  EXPECT_TRUE(torch::allclose(net->Probabilities(x), (*loaded)->Probabilities(x)));
  // Another kind is refused.
  ASSERT_TRUE(SaveCheckpoint(path, kKindParser, c, *net).ok());
  EXPECT_FALSE(LoadAttrNet(path).ok());
  std::filesystem::remove(path);
}

TEST(AttrNet, BadSpecsAreRefused) {
  auto c = *ModelConfig::Preset("tiny");
  c.extra["attr_size"] = "50";
  EXPECT_FALSE(AttrSpecFromConfig(c).ok());
  c.extra["attr_size"] = "64";
  c.extra["attr_width"] = "zero";
  EXPECT_FALSE(AttrSpecFromConfig(c).ok());
  c.extra["attr_width"] = "1";
  c.extra["attr_input"] = "audio";
  EXPECT_FALSE(AttrSpecFromConfig(c).ok());
}

}  // namespace
}  // namespace smile::models
