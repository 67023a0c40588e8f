#include "models/identity_model.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "tests/temp_path.h"

namespace smile::models {
namespace {

using TempDir = smile::testing::ScopedTempDir;

IdentityModel GeometryModel() {
  auto cfg = ModelConfig::Preset("tiny").value();
  cfg.synth_geometry_channels = 7;
  IdentityModel m(cfg);
  for (int i = 0; i < 468 * 3; ++i) m->mesh_canonical.push_back(0.001f * i - 0.5f);
  for (int i = 0; i < 30; ++i) m->mesh_triangles.insert(m->mesh_triangles.end(), {i, i + 1, i + 2});
  return m;
}

TEST(IdentityModel, KeepsItsMeshTopology) {
  TempDir dir;
  IdentityModel m = GeometryModel();
  ASSERT_TRUE(SaveIdentityModel(dir / "geo.smile", m, {}).ok());
  auto back = LoadIdentityModel(dir / "geo.smile");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ((*back)->config.synth_geometry_channels, 7);
  EXPECT_EQ((*back)->mesh_canonical, m->mesh_canonical);
  EXPECT_EQ((*back)->mesh_triangles, m->mesh_triangles);
}

TEST(IdentityModel, KeepsItsNeuralTexture) {
  TempDir dir;
  IdentityModel m = GeometryModel();
  auto cfg = m->config;
  cfg.synth_texture_channels = 3;
  IdentityModel t(cfg);
  t->mesh_canonical = m->mesh_canonical;
  t->mesh_triangles = m->mesh_triangles;
  torch::manual_seed(2);
  {
    torch::NoGradGuard ng;
    for (auto& level : t->network->generator->texture) level.copy_(torch::randn_like(level));
  }
  ASSERT_TRUE(SaveIdentityModel(dir / "tex.smile", t, {}).ok());
  auto back = LoadIdentityModel(dir / "tex.smile");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ((*back)->config.synth_texture_channels, 3);
  const auto& a = t->network->generator->texture;
  const auto& b = (*back)->network->generator->texture;
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "level " << i;
}

TEST(IdentityModel, ModelsWithoutGeometryStoreNoTopology) {
  TempDir dir;
  IdentityModel m(ModelConfig::Preset("tiny").value());
  ASSERT_TRUE(SaveIdentityModel(dir / "plain.smile", m, {}).ok());
  auto back = LoadIdentityModel(dir / "plain.smile");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE((*back)->mesh_canonical.empty());
  EXPECT_TRUE((*back)->mesh_triangles.empty());
}

TEST(IdentityModel, GeometryNeedsATopologyAndValidIndices) {
  TempDir dir;
  IdentityModel m = GeometryModel();
  m->mesh_triangles.clear();
  auto saved = SaveIdentityModel(dir / "none.smile", m, {});
  EXPECT_FALSE(saved.ok());
  EXPECT_NE(saved.message().find("topology"), std::string::npos) << saved.message();
  IdentityModel bad = GeometryModel();
  bad->mesh_triangles[4] = 468;  // out of range
  ASSERT_TRUE(SaveIdentityModel(dir / "bad.smile", bad, {}).ok());
  auto loaded = LoadIdentityModel(dir / "bad.smile");
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("out of range"), std::string::npos) << loaded.status().ToString();
}

}  // namespace
}  // namespace smile::models
