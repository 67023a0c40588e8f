#include "training/attributes.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "tests/training/test_util.h"
#include "training/labels.h"

namespace smile::training {
namespace {

TEST(Attributes, ChoicesMapToTheModelsDomains) {
  auto name = [](int a, int c) { return std::string(models::kDomainNames[DomainIndex(a, c)]); };
  EXPECT_EQ(name(kAttrGender, 0), "Male");
  EXPECT_EQ(name(kAttrGender, 1), "Female");
  EXPECT_EQ(name(kAttrEyeglasses, 0), "NOT_Eyeglasses");
  EXPECT_EQ(name(kAttrHair, 0), "Few_Hair");
  EXPECT_EQ(name(kAttrHair, 1), "Much_Hair");
  EXPECT_EQ(name(kAttrBangs, 1), "Bangs");
  EXPECT_EQ(name(kAttrEarrings, 1), "Earrings");
  EXPECT_EQ(name(kAttrHat, 0), "NOT_Hat");
  EXPECT_EQ(*models::FindAttribute("Wearing_Hat"), kAttrHat);
  EXPECT_EQ(*models::FindAttribute("Bald"), kAttrHair);
}

TEST(Attributes, DerivedFromMasks) {
  cv::Mat base = testing::SyntheticLabels(128);
  AttributeTargets plain = DeriveAttributes(base);
  EXPECT_EQ(plain.value[kAttrGender], -1);  // never derivable
  EXPECT_EQ(plain.value[kAttrEyeglasses], 0);
  EXPECT_EQ(plain.value[kAttrHat], 0);
  EXPECT_EQ(plain.value[kAttrEarrings], 0);
  EXPECT_EQ(plain.value[kAttrBangs], 0);
  EXPECT_EQ(plain.value[kAttrHair], 1);
  EXPECT_EQ(plain.source[kAttrHat], AttributeSource::kDerived);

  cv::Mat glasses = base.clone();
  cv::rectangle(glasses, cv::Point(38, 46), cv::Point(90, 60), cv::Scalar(kEyeGlasses), 3);
  EXPECT_EQ(DeriveAttributes(glasses).value[kAttrEyeglasses], 1);

  cv::Mat earring = base.clone();
  cv::circle(earring, cv::Point(26, 72), 2, cv::Scalar(kEarring), cv::FILLED);
  EXPECT_EQ(DeriveAttributes(earring).value[kAttrEarrings], 1);

  cv::Mat bangs = base.clone();  // hair down to the brows
  bangs(cv::Rect(28, 8, 72, 32)).setTo(kHair);
  EXPECT_EQ(DeriveAttributes(bangs).value[kAttrBangs], 1);

  cv::Mat bald = base.clone();
  bald.setTo(kSkin, bald == kHair);
  EXPECT_EQ(DeriveAttributes(bald).value[kAttrHair], 0);
  cv::Mat hat = bald.clone();  // a hat hides the hair: amount unknown
  hat(cv::Rect(24, 0, 80, 22)).setTo(kHat);
  AttributeTargets h = DeriveAttributes(hat);
  EXPECT_EQ(h.value[kAttrHat], 1);
  EXPECT_EQ(h.value[kAttrHair], -1);

  EXPECT_EQ(DeriveAttributes(cv::Mat(64, 64, CV_8UC1, cv::Scalar(0))).value[kAttrHat], -1);  // no face
}

TEST(AttributesMedia, DerivedFromRealLabelMaps) {
  if (!testing::HaveCelebAMask()) GTEST_SKIP() << "no real media at " << testing::CelebAMaskDir();
  for (int id : {0, 1}) {
    cv::Mat labels = cv::imread(testing::CelebAMaskDir() + "/" + std::to_string(id) + ".png", cv::IMREAD_UNCHANGED);
    AttributeTargets t = DeriveAttributes(labels);
    auto h = ClassHistogram(labels);
    // What the label maps show must be what is derived.
    EXPECT_EQ(t.value[kAttrEyeglasses], h[kEyeGlasses] > 0 ? 1 : 0) << t.ToString();
    EXPECT_EQ(t.value[kAttrHat], h[kHat] > 2000 ? 1 : 0) << t.ToString();
    EXPECT_EQ(t.value[kAttrGender], -1);
    for (int k = 1; k < kNumAttributes; ++k) EXPECT_TRUE(t.known(k) || (k == kAttrHair && t.value[kAttrHat] == 1));
    std::cout << "sample " << id << ": " << t.ToString() << "\n";
  }
}

TEST(Attributes, CelebAFileParsedAndMapped) {
  testing::TempDir dir;
  testing::WriteBytes(dir.path() / "attr.txt",
                      "2\nBald Bangs Eyeglasses Male Wearing_Earrings Wearing_Hat\n"
                      "0.jpg 1 -1 1 -1 1 -1\n"
                      "7.jpg -1 1 -1 1 -1 1\n");
  auto t = CelebAAttributeTable::Load((dir.path() / "attr.txt").string());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->size(), 2u);
  AttributeTargets a, b, c;
  ASSERT_TRUE(t->Find("0.jpg", &a));
  ASSERT_TRUE(t->Find("7.png", &b));  // looked up by stem
  EXPECT_FALSE(t->Find("3.jpg", &c));
  EXPECT_EQ(a.value, (std::array<int8_t, 6>{1, 1, 0, 0, 1, 0}));  // Female, bald -> Few_Hair
  EXPECT_EQ(b.value, (std::array<int8_t, 6>{0, 0, 1, 1, 0, 1}));  // Male, Much_Hair
  EXPECT_EQ(a.source[0], AttributeSource::kReal);
  EXPECT_EQ(t->Raw("7.jpg", "Bangs"), 1);

  testing::WriteBytes(dir.path() / "bad.txt", "1\nMale Bangs\n0.jpg 1\n");
  auto bad = CelebAAttributeTable::Load((dir.path() / "bad.txt").string());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 3"), std::string::npos) << bad.status().message();
  EXPECT_FALSE(CelebAAttributeTable::Load((dir.path() / "none.txt").string()).ok());
}

TEST(Attributes, SummarySplitsRealAndDerived) {
  AttributeSummary s;
  AttributeTargets real;
  real.value = {0, 0, 1, 0, 0, 0};  // Male
  real.source.fill(AttributeSource::kReal);
  AttributeTargets derived = DeriveAttributes(testing::SyntheticLabels(64));
  s.Add(real);
  s.Add(derived);
  s.Add(derived);
  EXPECT_EQ(s.samples, 3);
  EXPECT_EQ(s.real[DomainIndex(kAttrGender, 0)], 1);
  EXPECT_EQ(s.real[DomainIndex(kAttrGender, 1)], 0);
  EXPECT_EQ(s.derived[DomainIndex(kAttrHat, 0)], 2);
  EXPECT_EQ(s.real[DomainIndex(kAttrHat, 0)], 1);
  EXPECT_EQ(s.unknown[kAttrGender], 2);
  std::string text = s.ToString();
  EXPECT_NE(text.find("NOT_Hat"), std::string::npos);
  EXPECT_NE(real.ToString().find("Gender=Male(real)"), std::string::npos) << real.ToString();
  EXPECT_NE(text.find("Male/Female cannot be derived"), std::string::npos) << text;
}

}  // namespace
}  // namespace smile::training
