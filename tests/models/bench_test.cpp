#include "models/bench.h"

#include <gtest/gtest.h>

namespace smile::models {
namespace {

TEST(ModelBench, TinyConfigRowsForEveryNetwork) {
  ModelBenchOptions o;
  o.configs = {"tiny"};
  o.warmup = 0;
  o.iterations = 1;
  o.threads = 1;
  int live = 0;
  auto rows = BenchSynthesisModels(o, [&](const ModelBenchRow&) { ++live; });
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), BenchNetworkNames().size());
  EXPECT_EQ(live, static_cast<int>(rows->size()));
  for (const auto& r : *rows) {
    EXPECT_EQ(r.config, "tiny");
    EXPECT_EQ(r.image_size, 32);
    EXPECT_GT(r.params, 0) << r.network;
    EXPECT_GT(r.seconds_per_image, 0) << r.network;
    if (r.network == "generator_fast" || r.network == "generator_fast_cl") EXPECT_LT(r.max_abs_diff, 1e-4);
    if (r.network == "generator_bf16") EXPECT_LT(r.max_abs_diff, 0.2);
    if (r.network == "generator") EXPECT_EQ(r.max_abs_diff, -1);
    // fast paths carry a ratio to the plain forward measured in the same run
    if (r.max_abs_diff >= 0) EXPECT_GT(r.speedup, 0) << r.network;
    else EXPECT_EQ(r.speedup, 0) << r.network;
    if (r.network.rfind("manip_", 0) == 0) EXPECT_EQ(r.image_size, 32) << "tiny manip_size";
  }
}

TEST(ModelBench, RejectsUnknownNetworkAndConfig) {
  ModelBenchOptions o;
  o.configs = {"tiny"};
  o.networks = {"generatr"};
  EXPECT_EQ(BenchSynthesisModels(o).status().code(), StatusCode::kInvalidArgument);
  o.networks = {"mapping"};
  o.configs = {"huge"};
  EXPECT_EQ(BenchSynthesisModels(o).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace smile::models
