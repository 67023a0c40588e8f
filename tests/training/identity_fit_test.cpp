#include "training/identity_fit.h"

#include <cmath>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "test_util.h"

namespace smile::training {
namespace {

namespace fs = std::filesystem;

models::ModelConfig Tiny() { return models::ModelConfig::Preset("tiny").value(); }

// A synthetic "person": each class painted its own colour, shifted a little per sample.
FitSample SyntheticSample(int size, int shift) {
  cv::Mat labels = testing::SyntheticLabels(size);
  cv::Mat moved;
  cv::Mat m = (cv::Mat_<double>(2, 3) << 1, 0, shift, 0, 1, 0);
  cv::warpAffine(labels, moved, m, labels.size(), cv::INTER_NEAREST, cv::BORDER_REPLICATE);
  cv::Mat image(size, size, CV_8UC3);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      int c = moved.at<uint8_t>(y, x);
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uint8_t>(40 + 11 * c), static_cast<uint8_t>(200 - 9 * c),
                                            static_cast<uint8_t>(90 + (c * 37) % 120));
    }
  return {image, moved};
}

FitOptions Quick(int iters) {
  FitOptions o = DefaultFitOptions();
  o.minutes = 0;
  o.iters = iters;
  o.batch = 4;
  o.eval_every = 10;
  o.augment_to = 16;
  return o;
}

TEST(IdentityFit, HoldsOutTheLastSliceOfAClip) {
  std::vector<FitSample> samples;
  for (int i = 0; i < 20; ++i) samples.push_back(SyntheticSample(32, i % 5 - 2));
  auto fit = FitIdentity(samples, Tiny(), Quick(4));
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  EXPECT_EQ(fit->holdout_samples, 2);
  EXPECT_EQ(fit->train_samples, 18);
  EXPECT_FALSE(fit->holdout_is_training);
  EXPECT_EQ(fit->iterations, 4);
  EXPECT_TRUE(std::isfinite(fit->best_psnr));
  EXPECT_EQ(fit->style.sizes(), (std::vector<int64_t>{1, 19, Tiny().synth_style_dim}));
}

TEST(IdentityFit, OnePhotoIsExpandedByAugmentationAndSaysNothingWasHeldOut) {
  auto fit = FitIdentity({SyntheticSample(32, 0)}, Tiny(), Quick(3));
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  EXPECT_TRUE(fit->holdout_is_training);
  EXPECT_EQ(fit->train_samples, 16);
  EXPECT_EQ(fit->holdout_samples, 1);
}

TEST(IdentityFit, RejectsWrongSizesAndEmptyInput) {
  EXPECT_FALSE(FitIdentity({}, Tiny(), Quick(1)).ok());
  auto wrong = SyntheticSample(64, 0);
  auto r = FitIdentity({wrong}, Tiny(), Quick(1));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("32x32"), std::string::npos) << r.status().message();
}

// Few-shot from ONE real photo with its ground-truth label map: the fitted model re-renders
// the photo (measured on the photo itself, as the result says).
TEST(IdentityFitMedia, OneRealPhotoFewShot) {
  const fs::path dir = fs::path(SMILE_MEDIA_DIR) / "celebamask";
  if (!fs::exists(dir / "0.jpg")) GTEST_SKIP() << "shared media not found at " << dir << "; skipping";
  const int s = Tiny().image_size;
  cv::Mat img = cv::imread((dir / "0.jpg").string());
  cv::Mat lab = cv::imread((dir / "0.png").string(), cv::IMREAD_GRAYSCALE);
  ASSERT_FALSE(img.empty() || lab.empty());
  cv::resize(img, img, cv::Size(s, s), 0, 0, cv::INTER_AREA);
  cv::resize(lab, lab, cv::Size(s, s), 0, 0, cv::INTER_NEAREST);
  auto before = FitIdentity({{img, lab}}, Tiny(), Quick(1));
  auto after = FitIdentity({{img, lab}}, Tiny(), Quick(200));
  ASSERT_TRUE(before.ok() && after.ok());
  std::printf("one photo, tiny config: head PSNR %.2f dB after 1 iteration, %.2f dB after 200\n", before->best_psnr,
              after->best_psnr);
  EXPECT_TRUE(after->holdout_is_training);
  EXPECT_GT(after->best_psnr, before->best_psnr + 3);
  EXPECT_GT(after->best_psnr, 18.0);
}

}  // namespace
}  // namespace smile::training
