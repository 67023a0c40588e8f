#include "models/config.h"

#include <gtest/gtest.h>

namespace smile::models {
namespace {

TEST(ModelConfig, EveryPresetRoundTripsThroughItsText) {
  for (const auto& name : ModelConfig::PresetNames()) {
    auto c = ModelConfig::Preset(name);
    ASSERT_TRUE(c.ok()) << name;
    auto back = ModelConfig::Parse(c->Serialize());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, *c) << name;
  }
}

TEST(ModelConfig, OverridesChangeOnlyTheNamedFields) {
  auto base = ModelConfig::Preset("lite");
  auto c = ModelConfig::Preset("lite:synth_spade_hidden=64,channel_multiplier=0.25");
  ASSERT_TRUE(base.ok() && c.ok()) << c.status().ToString();
  EXPECT_EQ(c->synth_spade_hidden, 64);
  EXPECT_DOUBLE_EQ(c->channel_multiplier, 0.25);
  EXPECT_EQ(c->image_size, base->image_size);
  EXPECT_EQ(c->synth_mapping_layers, base->synth_mapping_layers);
  EXPECT_EQ(c->preset, "lite:synth_spade_hidden=64,channel_multiplier=0.25");
  // the override survives a checkpoint's config round trip
  auto back = ModelConfig::Parse(c->Serialize());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, *c);
}

TEST(ModelConfig, GeometryChannelsAreWrittenOnlyWhenUsed) {
  auto c = ModelConfig::Preset("lite").value();
  // Models without geometry keep the exact text older builds wrote (and read).
  EXPECT_EQ(c.Serialize().find("synth_geometry_channels"), std::string::npos);
  c.synth_geometry_channels = 7;
  auto back = ModelConfig::Parse(c.Serialize());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->synth_geometry_channels, 7);
  EXPECT_EQ(*back, c);
  EXPECT_FALSE(ModelConfig::Parse("image_size=128\nsynth_geometry_channels=-1\n").ok());
}

TEST(ModelConfig, TextureChannelsNeedGeometryAndAreWrittenOnlyWhenUsed) {
  auto c = ModelConfig::Preset("lite").value();
  c.synth_geometry_channels = 7;
  EXPECT_EQ(c.Serialize().find("synth_texture_channels"), std::string::npos);
  EXPECT_EQ(c.SynthExtraChannels(), 7);
  c.synth_texture_channels = 8;
  EXPECT_EQ(c.SynthExtraChannels(), 15);
  auto back = ModelConfig::Parse(c.Serialize());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->synth_texture_channels, 8);
  EXPECT_EQ(*back, c);
  // A texture is looked up at the canonical position: no geometry, no texture.
  auto bad = ModelConfig::Parse("image_size=128\nsynth_texture_channels=8\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("synth_geometry_channels"), std::string::npos) << bad.status().ToString();
  EXPECT_FALSE(ModelConfig::Parse("image_size=128\nsynth_geometry_channels=7\nsynth_texture_channels=-1\n").ok());
}

TEST(ModelConfig, BadOverridesAreArgumentErrors) {
  for (const char* bad : {"lite:synth_spade_hidden", "lite:nonsense=3", "lite:image_size=100", "lite:preset=x",
                          "lite:synth_spade_hidden=abc", "huge:image_size=128"}) {
    auto c = ModelConfig::Preset(bad);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace smile::models
