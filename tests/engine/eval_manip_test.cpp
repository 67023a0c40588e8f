// engine/eval_manip: attribute AP / F1 with known answers, and the manipulation
// evaluation run end to end on tiny (untrained) networks: metric ranges, table, refusals.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include <opencv2/imgproc.hpp>

#include "core/face_labels.h"
#include "engine/eval_manip.h"
#include "models/attr_net.h"
#include "models/checkpoint.h"
#include "models/manip.h"

namespace smile::engine {
namespace {

TEST(EvalManip, AveragePrecisionKnownAnswers) {
  // Perfect ranking.
  EXPECT_DOUBLE_EQ(AveragePrecision({0.9, 0.8, 0.2, 0.1}, {1, 1, 0, 0}), 1.0);
  // Hand-computed (= scikit-learn average_precision_score): thresholds 0.9 (R .5, P 1),
  // 0.8 (R .5), 0.7 (R 1, P 2/3), 0.6 -> 0.5 * 1 + 0.5 * 2/3.
  EXPECT_NEAR(AveragePrecision({0.9, 0.8, 0.7, 0.6}, {1, 0, 1, 0}), 0.5 + 0.5 * 2.0 / 3.0, 1e-12);
  // Worst ranking of 1 positive among 4: precision 1/4 at full recall.
  EXPECT_NEAR(AveragePrecision({0.1, 0.9, 0.8, 0.7}, {1, 0, 0, 0}), 0.25, 1e-12);
  // Ties form one threshold.
  EXPECT_NEAR(AveragePrecision({0.5, 0.5}, {1, 0}), 0.5, 1e-12);
  // No positive: undefined.
  EXPECT_TRUE(std::isnan(AveragePrecision({0.3, 0.2}, {0, 0})));
}

TEST(EvalManip, F1KnownAnswers) {
  EXPECT_DOUBLE_EQ(F1Score({0.9, 0.1, 0.8, 0.3}, {1, 0, 1, 0}), 1.0);
  EXPECT_NEAR(F1Score({0.9, 0.8, 0.7, 0.6}, {1, 0, 1, 0}), 2.0 * 2 / (2 * 2 + 2 + 0), 1e-12);  // all positive
  EXPECT_NEAR(F1Score({0.9, 0.4, 0.3, 0.6}, {1, 0, 1, 0}), 0.5, 1e-12);  // TP 1, FP 1, FN 1
  EXPECT_DOUBLE_EQ(F1Score({0.2, 0.1}, {1, 1}), 0.0);
  EXPECT_TRUE(std::isnan(F1Score({0.2, 0.1}, {0, 0})));
  EXPECT_NEAR(F1Score({0.6, 0.4}, {1, 0}, 0.7), 0.0, 1e-12);  // threshold honoured
}

struct ManipHolder : torch::nn::Module {
  explicit ManipHolder(const models::ModelConfig& c)
      : generator(register_module("generator", models::ManipGenerator(c))),
        mapping(register_module("mapping", models::ManipMapping(c))),
        encoder(register_module("encoder", models::ManipStyleEncoder(c))) {}
  models::ManipGenerator generator;
  models::ManipMapping mapping;
  models::ManipStyleEncoder encoder;
};

cv::Mat Face(int size, bool glasses) {
  cv::Mat m(size, size, CV_8UC1, cv::Scalar(0));
  cv::ellipse(m, cv::Point(size / 2, size / 2), cv::Size(size / 3, size * 2 / 5), 0, 0, 360, cv::Scalar(kSkin),
              cv::FILLED);
  cv::rectangle(m, cv::Rect(size / 3, size * 2 / 5, size / 10, size / 20), cv::Scalar(kLEye), cv::FILLED);
  cv::rectangle(m, cv::Rect(size / 2 + size / 12, size * 2 / 5, size / 10, size / 20), cv::Scalar(kREye), cv::FILLED);
  cv::rectangle(m, cv::Rect(size / 4, size / 10, size / 2, size / 8), cv::Scalar(kHair), cv::FILLED);
  if (glasses)
    cv::rectangle(m, cv::Rect(size / 3 - 2, size * 2 / 5 - 2, size / 3 + 4, size / 12), cv::Scalar(kEyeG), cv::FILLED);
  return m;
}

TEST(EvalManip, RunsOnTinyNetworksAndRefusesPhotoClassifiers) {
  torch::set_num_threads(1);
  torch::manual_seed(0);
  const auto dir = std::filesystem::temp_directory_path() / ("smile_eval_manip_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto c = *models::ModelConfig::Preset("tiny");
  ManipHolder manip(c);
  const std::string manip_path = (dir / "manip.ckpt").string(), attr_path = (dir / "attr.ckpt").string();
  ASSERT_TRUE(models::SaveCheckpoint(manip_path, models::kKindManip, c, manip).ok());
  auto ac = c;
  auto spec = *models::AttrSpecFromConfig(ac);
  models::StoreAttrSpec(spec, &ac);
  models::AttrNet attr(ac, spec);
  ASSERT_TRUE(models::SaveCheckpoint(attr_path, models::kKindAttr, ac, *attr).ok());

  std::vector<ManipEvalSample> samples;
  for (int i = 0; i < 5; ++i) {
    ManipEvalSample s;
    s.labels = Face(80, i % 2 == 0);
    s.choices = {-1, i % 2 == 0 ? 1 : 0, 1, 0, 0, 0};
    s.key = "face" + std::to_string(i);
    samples.push_back(s);
  }
  ManipEvalOptions o;
  o.manip_checkpoint = manip_path;
  o.attr_checkpoint = attr_path;
  o.batch = 2;
  auto r = EvaluateManipulation(samples, o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->kind, "manip");
  ASSERT_EQ(r->tables.size(), 1u);
  EXPECT_EQ(r->tables[0].rows.size(), static_cast<size_t>(models::kNumAttributes));
  EXPECT_EQ(r->tables[0].rows[1][1], "5");  // 5 edits of Eyeglasses
  const auto* cyc = r->FindMetric("cycle_miou");
  ASSERT_NE(cyc, nullptr);
  EXPECT_GE(cyc->value, 0.0);
  EXPECT_LE(cyc->value, 1.0);
  for (const char* k : {"attr_ap_Eyeglasses", "attr_f1_Hat", "attr_map"}) {
    const auto* m = r->FindMetric(k);
    ASSERT_NE(m, nullptr) << k;
    EXPECT_GE(m->value, 0.0) << k;
    EXPECT_LE(m->value, 1.0) << k;
  }
  EXPECT_EQ(r->images.size(), 1u);

  // A classifier of photos cannot score masks.
  spec.mask_input = false;
  models::StoreAttrSpec(spec, &ac);
  models::AttrNet photo(ac, spec);
  ASSERT_TRUE(models::SaveCheckpoint(attr_path, models::kKindAttr, ac, *photo).ok());
  auto refused = EvaluateManipulation(samples, o);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("--attr-input mask"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace smile::engine
