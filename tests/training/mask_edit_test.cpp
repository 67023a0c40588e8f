#include "training/mask_edit.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "tests/training/test_util.h"
#include "training/attributes.h"
#include "training/labels.h"

namespace smile::training {
namespace {

const int kEditable[] = {2, 3, 6, 7, 8, 9, 10, 11};  // (NOT_)Eyeglasses, Bangs, Earrings, Hat

void CheckEdits(const cv::Mat& original, const std::string& what) {
  for (int domain : kEditable) {
    cv::Mat m = original.clone();
    ASSERT_TRUE(EditTowardsDomain(&m, domain, 42)) << what << " -> " << models::kDomainNames[domain];
    AttributeTargets t = DeriveAttributes(m);
    EXPECT_EQ(DomainIndex(domain / 2, t.value[domain / 2]), domain) << what << " -> " << models::kDomainNames[domain];
    EXPECT_TRUE(ValidateLabelMap(m).ok());
    // Eyes, brows, nose and lips are never painted over.
    auto before = ClassHistogram(original), after = ClassHistogram(m);
    for (int c : {kLeftEye, kRightEye, kLeftBrow, kRightBrow, kUpperLip, kLowerLip, kMouth})
      EXPECT_EQ(before[c], after[c]) << what << " -> " << models::kDomainNames[domain] << " changed " << LabelNames()[c];
    // Deterministic given the seed.
    cv::Mat again = original.clone();
    ASSERT_TRUE(EditTowardsDomain(&again, domain, 42));
    EXPECT_EQ(cv::countNonZero(again != m), 0);
  }
}

TEST(MaskEdit, SyntheticFaceReachesEveryEditableDomain) {
  cv::Mat base = testing::SyntheticLabels(128);
  CheckEdits(base, "synthetic");
  // Round trips: add then remove.
  for (int a : {kAttrEyeglasses, kAttrHat, kAttrEarrings, kAttrBangs}) {
    cv::Mat m = base.clone();
    ASSERT_TRUE(EditTowardsDomain(&m, DomainIndex(a, 1), 3));
    ASSERT_TRUE(EditTowardsDomain(&m, DomainIndex(a, 0), 3));
    EXPECT_EQ(DeriveAttributes(m).value[a], 0) << models::kAttributeNames[a];
  }
}

TEST(MaskEdit, RefusesWhatCannotBeDrawn) {
  cv::Mat base = testing::SyntheticLabels(64);
  cv::Mat m = base.clone();
  EXPECT_FALSE(CanEditTowards(DomainIndex(kAttrGender, 0)));
  EXPECT_FALSE(CanEditTowards(DomainIndex(kAttrHair, 1)));
  EXPECT_FALSE(EditTowardsDomain(&m, DomainIndex(kAttrGender, 1), 1));
  EXPECT_FALSE(EditTowardsDomain(&m, 12, 1));
  EXPECT_EQ(cv::countNonZero(m != base), 0);
  cv::Mat empty(64, 64, CV_8UC1, cv::Scalar(0));
  EXPECT_FALSE(EditTowardsDomain(&empty, DomainIndex(kAttrHat, 1), 1));
  cv::Mat no_eyes = base.clone();
  no_eyes.setTo(kSkin, no_eyes == kLeftEye);
  no_eyes.setTo(kSkin, no_eyes == kRightEye);
  EXPECT_FALSE(EditTowardsDomain(&no_eyes, DomainIndex(kAttrEyeglasses, 1), 1));
  // Already in the domain: unchanged, true.
  cv::Mat same = base.clone();
  EXPECT_TRUE(EditTowardsDomain(&same, DomainIndex(kAttrHat, 0), 1));
  EXPECT_EQ(cv::countNonZero(same != base), 0);
}

TEST(MaskEditMedia, RealLabelMapsReachEveryEditableDomain) {
  if (!testing::HaveCelebAMask()) GTEST_SKIP() << "no real media at " << testing::CelebAMaskDir();
  for (int id : {0, 1}) {
    cv::Mat labels = cv::imread(testing::CelebAMaskDir() + "/" + std::to_string(id) + ".png", cv::IMREAD_UNCHANGED);
    ASSERT_EQ(labels.type(), CV_8UC1);
    CheckEdits(labels, "celebamask " + std::to_string(id));
  }
}

}  // namespace
}  // namespace smile::training
