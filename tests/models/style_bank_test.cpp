#include "models/style_bank.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "core/face_labels.h"
#include "models/identity_model.h"
#include "models/image_tensor.h"
#include "tests/temp_path.h"

namespace smile::models {
namespace {

constexpr int kC = kNumLabels;
constexpr int kD = 4;

// A 64x64 face-like layout whose eyes and mouth can be opened.
cv::Mat Layout(int eye_height, int mouth_height) {
  cv::Mat m(64, 64, CV_8U, cv::Scalar(kBackground));
  cv::ellipse(m, {32, 34}, {20, 26}, 0, 0, 360, cv::Scalar(kSkin), -1);
  cv::rectangle(m, {18, 20}, {28, 20 + eye_height}, cv::Scalar(kLEye), -1);
  cv::rectangle(m, {36, 20}, {46, 20 + eye_height}, cv::Scalar(kREye), -1);
  cv::rectangle(m, {24, 44}, {40, 44 + mouth_height}, cv::Scalar(kMouth), -1);
  return m;
}

torch::Tensor OneHot(const cv::Mat& labels) { return LabelsToOneHot(labels, kC); }

// Entry k has style value k everywhere, so a selection is readable from the values.
StyleBank MakeBank(const std::vector<cv::Mat>& layouts) {
  StyleBank bank;
  std::vector<torch::Tensor> styles, keys;
  for (size_t k = 0; k < layouts.size(); ++k) {
    styles.push_back(torch::full({1, kC, kD}, static_cast<float>(k)));
    keys.push_back(StyleBankKeys(OneHot(layouts[k])));
  }
  bank.styles = torch::cat(styles);
  bank.keys = torch::cat(keys);
  return bank;
}

TEST(StyleBank, ExactMatchWithOneNeighbourGivesThatEntry) {
  // Every entry differs from the others in every class group (eyes, mouth, the rest).
  const std::vector<cv::Mat> layouts = {Layout(2, 2), Layout(6, 8), Layout(4, 14)};
  auto bank = MakeBank(layouts);
  bank.neighbours = 1;
  for (int k = 0; k < 3; ++k) {
    const cv::Mat& q = layouts[k];
    auto s = bank.Select(OneHot(q));
    ASSERT_EQ(s.sizes(), (std::vector<int64_t>{1, kC, kD}));
    EXPECT_FLOAT_EQ(s.min().item<float>(), static_cast<float>(k));
    EXPECT_FLOAT_EQ(s.max().item<float>(), static_cast<float>(k));
  }
}

TEST(StyleBank, GroupsAreChosenIndependently) {
  // Query: eyes open like entry 1, mouth open like entry 2.
  auto bank = MakeBank({Layout(2, 2), Layout(6, 2), Layout(2, 10)});
  bank.neighbours = 1;
  auto s = bank.Select(OneHot(Layout(6, 10)));
  EXPECT_FLOAT_EQ(s[0][kLEye][0].item<float>(), 1.f);
  EXPECT_FLOAT_EQ(s[0][kREye][0].item<float>(), 1.f);
  EXPECT_FLOAT_EQ(s[0][kLBrow][0].item<float>(), 1.f);
  EXPECT_FLOAT_EQ(s[0][kMouth][0].item<float>(), 2.f);
  EXPECT_FLOAT_EQ(s[0][kULip][0].item<float>(), 2.f);
}

TEST(StyleBank, BlendWeightsFavourTheNearerEntryAndSumToOne) {
  auto bank = MakeBank({Layout(2, 2), Layout(8, 2)});
  bank.neighbours = 2;
  auto s = bank.Select(OneHot(Layout(3, 2)));  // eyes nearer entry 0
  const float eye = s[0][kLEye][0].item<float>();
  EXPECT_GT(eye, 0.f);
  EXPECT_LT(eye, 0.5f);
  // Every style is a convex blend of 0 and 1.
  EXPECT_GE(s.min().item<float>(), 0.f);
  EXPECT_LE(s.max().item<float>(), 1.f);
}

TEST(StyleBank, SerialisesAndRefusesDamagedSections) {
  auto bank = MakeBank({Layout(2, 2), Layout(6, 8)});
  bank.neighbours = 3;
  auto bytes = SerializeStyleBank(bank);
  auto back = ParseStyleBank(bytes, kC, kD);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(torch::equal(back->styles, bank.styles));
  EXPECT_TRUE(torch::equal(back->keys, bank.keys));
  EXPECT_EQ(back->neighbours, 3);
  EXPECT_FALSE(ParseStyleBank(bytes, kC, kD + 1).ok());               // other style width
  EXPECT_FALSE(ParseStyleBank(bytes.substr(0, bytes.size() / 2), kC, kD).ok());  // truncated
  bank.styles[0][0][0] = std::nanf("");
  auto nan = ParseStyleBank(SerializeStyleBank(bank), kC, kD);
  ASSERT_FALSE(nan.ok());
  EXPECT_NE(nan.status().message().find("NaN"), std::string::npos);
}

TEST(StyleBank, IdentityModelKeepsItsBankAndOldModelsLoadWithout) {
  auto cfg = ModelConfig::Preset("tiny");
  ASSERT_TRUE(cfg.ok());
  const auto dir = smile::testing::UniqueTempPath("smile_style_bank");
  std::filesystem::create_directories(dir);
  IdentityModel m(*cfg);
  const std::string plain = (dir / "plain.smile").string(), banked = (dir / "banked.smile").string();
  ASSERT_TRUE(SaveIdentityModel(plain, m, {}).ok());
  m->bank.styles = torch::randn({3, cfg->num_classes, cfg->synth_style_dim});
  m->bank.keys = StyleBankKeys(OneHot(Layout(2, 2))).repeat({3, 1, 1, 1});
  ASSERT_TRUE(SaveIdentityModel(banked, m, {}).ok());
  auto a = LoadIdentityModel(plain), b = LoadIdentityModel(banked);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE((*a)->bank.empty());
  ASSERT_EQ((*b)->bank.size(), 3);
  EXPECT_TRUE(torch::equal((*b)->bank.styles, m->bank.styles));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace smile::models
