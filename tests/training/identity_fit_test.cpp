#include "training/identity_fit.h"

#include <cmath>
#include <cstdio>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/face_labels.h"
#include "core/image_metrics.h"
#include "test_util.h"
#include "tests/temp_path.h"

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
  return {image, moved, {}};
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
  // The held-out crops (shifts 1, 2) appear among the training crops: nothing new to learn.
  EXPECT_DOUBLE_EQ(fit->holdout_nearest_train_psnr, 99.0);
}

// The closest-training-crop reference: best head-region PSNR per held-out crop (as core Psnr
// counts it), averaged; an exact copy counts 99 dB; few-shot fits have none.
TEST(IdentityFit, NearestTrainingPsnrIsTheBestMatchPerHeldOutCrop) {
  const FitSample a = SyntheticSample(32, 0), b = SyntheticSample(32, 3);
  FitSample noisy{a.image.clone(), a.labels.clone(), {}};
  cv::Mat noise(32, 32, CV_8UC3);
  cv::randu(noise, 0, 9);
  noisy.image += noise;
  const double exact = Psnr(noisy.image, a.image, HeadRegion(noisy.labels));
  ASSERT_TRUE(std::isfinite(exact));
  EXPECT_NEAR(NearestTrainingPsnr({b, a}, {noisy}), exact, 1e-9);  // the closer one, a, counts
  EXPECT_NEAR(NearestTrainingPsnr({a}, {noisy}), exact, 1e-9);
  EXPECT_LT(NearestTrainingPsnr({b}, {noisy}), exact);
  EXPECT_DOUBLE_EQ(NearestTrainingPsnr({a, b}, {a}), 99.0);
  EXPECT_NEAR(NearestTrainingPsnr({a, b}, {a, noisy}), (99.0 + exact) / 2, 1e-9);
  EXPECT_TRUE(std::isnan(NearestTrainingPsnr({}, {a})));
  auto fit = FitIdentity({a}, Tiny(), Quick(2));
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  EXPECT_TRUE(std::isnan(fit->holdout_nearest_train_psnr));  // one photo: nothing held out
}

TEST(IdentityFit, OnePhotoIsExpandedByAugmentationAndSaysNothingWasHeldOut) {
  auto fit = FitIdentity({SyntheticSample(32, 0)}, Tiny(), Quick(3));
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  EXPECT_TRUE(fit->holdout_is_training);
  EXPECT_EQ(fit->train_samples, 16);
  EXPECT_EQ(fit->holdout_samples, 1);
}

// AugmentBatch moves image, labels and geometry by the same similarity: on a batch of
// class-coloured blocks, away from block edges, every moved pixel still has its class's colour and
// geometry value; with share 0 nothing moves (up to float rounding of the identity grid), with
// share 1 every sample does.
TEST(IdentityFit, AugmentBatchMovesImageMaskAndGeometryTogether) {
  const int n = 4, size = 64;
  auto labels = torch::zeros({n, size, size}, torch::kLong);
  for (int by = 0; by < 4; ++by)
    for (int bx = 0; bx < 4; ++bx)
      labels.index_put_({torch::indexing::Slice(), torch::indexing::Slice(by * 16, by * 16 + 16),
                         torch::indexing::Slice(bx * 16, bx * 16 + 16)},
                        1 + (by * 4 + bx) % 18);
  const auto value = labels.to(torch::kFloat) / 20.0;  // each class's colour / geometry value
  const auto images = torch::stack({value, -value, value * 0.5}, 1);
  const auto geometry = torch::stack({value, torch::ones_like(value)}, 1);  // value, coverage
  std::mt19937_64 rng(7);
  {
    auto im = images.clone(), lb = labels.clone(), ge = geometry.clone();
    AugmentBatch(&im, &lb, &ge, 0.0, rng);
    EXPECT_LT((im - images).abs().max().item<float>(), 1e-5);
    EXPECT_TRUE(torch::equal(lb, labels));
    EXPECT_LT((ge - geometry).abs().max().item<float>(), 1e-5);
  }
  auto im = images.clone(), lb = labels.clone(), ge = geometry.clone();
  AugmentBatch(&im, &lb, &ge, 1.0, rng);
  ASSERT_EQ(im.sizes(), images.sizes());
  ASSERT_EQ(lb.sizes(), labels.sizes());
  ASSERT_EQ(ge.sizes(), geometry.sizes());
  namespace F = torch::nn::functional;
  const auto lf = lb.to(torch::kFloat).unsqueeze(1);
  const auto pool = F::MaxPool2dFuncOptions(5).stride(1).padding(2);
  // Interior: the 5x5 neighbourhood holds one class.
  const auto interior = (F::max_pool2d(lf, pool) == -F::max_pool2d(-lf, pool)).squeeze(1);
  const auto v = lb.to(torch::kFloat) / 20.0;
  for (int i = 0; i < n; ++i) {
    EXPECT_FALSE(torch::equal(lb[i], labels[i])) << "sample " << i << " did not move";
    const auto in = interior[i] & (ge[i][1] > 0.5);  // inside the crop after the move
    ASSERT_GT(in.sum().item<int64_t>(), size * size / 3) << i;
    EXPECT_LT((im[i][0] - v[i]).abs().masked_select(in).max().item<float>(), 1e-4) << i;
    EXPECT_LT((im[i][1] + v[i]).abs().masked_select(in).max().item<float>(), 1e-4) << i;
    EXPECT_LT((ge[i][0] - v[i]).abs().masked_select(in).max().item<float>(), 1e-6) << i;
  }
}

// A fit stopped after 3 iterations and resumed to 6 ends with the same weights, style and
// figures as one run of 6 (state: trainer, fit RNG, counters, best weights).
TEST(IdentityFit, ResumesExactly) {
  std::vector<FitSample> samples;
  for (int i = 0; i < 20; ++i) samples.push_back(SyntheticSample(32, i % 5 - 2));
  smile::testing::ScopedTempDir tmp("smile_fit_resume");
  const fs::path dir = tmp.path();
  auto opts = [&](int iters, const std::string& state, bool resume) {
    FitOptions o = Quick(iters);
    o.eval_every = 3;
    o.self_style = 0.5;
    o.bank_size = 8;
    o.state_path = (dir / state).string();
    o.resume = resume;
    o.state_every = 2;
    return o;
  };
  auto whole = FitIdentity(samples, Tiny(), opts(6, "whole.state", false));
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  auto first = FitIdentity(samples, Tiny(), opts(3, "split.state", false));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(fs::exists(dir / "split.state.best"));
  auto rest = FitIdentity(samples, Tiny(), opts(6, "split.state", true));
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_EQ(rest->resumed_from, 3);
  EXPECT_EQ(rest->iterations, 6);
  double max_diff = 0;
  auto a = whole->network->named_parameters(), b = rest->network->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    max_diff = std::max(max_diff, (a[i].value() - b[i].value()).abs().max().item<double>());
  EXPECT_EQ(max_diff, 0.0);
  EXPECT_TRUE(torch::equal(whole->style, rest->style));
  EXPECT_EQ(whole->best_psnr, rest->best_psnr);
  ASSERT_EQ(whole->bank.size(), 8);
  EXPECT_TRUE(torch::equal(whole->bank.styles, rest->bank.styles));
  // Other footage is refused with the fix in the message.
  samples.pop_back();
  auto other = FitIdentity(samples, Tiny(), opts(8, "split.state", true));
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("drop --resume"), std::string::npos) << other.status().message();
}

TEST(IdentityFit, FineTunesFromABaseModel) {
  std::vector<FitSample> samples;
  for (int i = 0; i < 20; ++i) samples.push_back(SyntheticSample(32, i % 5 - 2));
  auto first = FitIdentity(samples, Tiny(), Quick(40));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(std::isnan(first->base_psnr));
  FitOptions o = Quick(1);
  o.base = first->network;
  auto tuned = FitIdentity(samples, Tiny(), o);
  ASSERT_TRUE(tuned.ok()) << tuned.status().ToString();
  // Before its first step the fit renders with the base's weights: the base's own figure.
  EXPECT_NEAR(tuned->base_psnr, first->best_psnr, 1e-9);
  EXPECT_GE(tuned->best_psnr, tuned->base_psnr);
  // One step from scratch is far from where the base starts.
  auto scratch = FitIdentity(samples, Tiny(), Quick(1));
  ASSERT_TRUE(scratch.ok());
  EXPECT_LT(scratch->best_psnr + 1, tuned->best_psnr);
  // A base of another configuration is refused, naming both.
  o.base = models::SynthesisNetwork(models::ModelConfig::Preset("lite").value());
  auto clash = FitIdentity(samples, Tiny(), o);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(clash.status().message().find("lite"), std::string::npos) << clash.status().ToString();
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
  auto before = FitIdentity({{img, lab, {}}}, Tiny(), Quick(1));
  auto after = FitIdentity({{img, lab, {}}}, Tiny(), Quick(200));
  ASSERT_TRUE(before.ok() && after.ok());
  std::printf("one photo, tiny config: head PSNR %.2f dB after 1 iteration, %.2f dB after 200\n", before->best_psnr,
              after->best_psnr);
  EXPECT_TRUE(after->holdout_is_training);
  EXPECT_GT(after->best_psnr, before->best_psnr + 3);
  EXPECT_GT(after->best_psnr, 18.0);
}

// Geometry channels carry what the mask does not: here every crop has the same mask and its
// shading (a left-to-right ramp, rising or falling by sample) is said only by a geometry channel.
TEST(IdentityFit, GeometryChannelsTeachWhatTheMaskCannotSay) {
  constexpr int kSize = 32, kGeo = 2;
  auto make = [&](bool with_geometry) {
    std::vector<FitSample> samples;
    for (int i = 0; i < 24; ++i) {
      FitSample smp = SyntheticSample(kSize, 0);
      const float sign = i % 2 == 0 ? 1.f : -1.f;  // the held-out pair (22, 23) has one of each
      cv::Mat geo(kSize, kSize, CV_32FC(kGeo), cv::Scalar::all(0));
      for (int y = 0; y < kSize; ++y)
        for (int x = 0; x < kSize; ++x) {
          const float ramp = sign * (2.f * x / (kSize - 1) - 1.f);
          geo.at<cv::Vec2f>(y, x) = cv::Vec2f(ramp, 1.f);
          cv::Vec3b& px = smp.image.at<cv::Vec3b>(y, x);
          for (int c = 0; c < 3; ++c) px[c] = cv::saturate_cast<uint8_t>(px[c] * 0.5 + 64 + 60 * ramp);
        }
      if (with_geometry) smp.geometry = geo;
      samples.push_back(smp);
    }
    return samples;
  };
  auto cfg = Tiny();
  auto plain = FitIdentity(make(false), cfg, Quick(80));
  cfg.synth_geometry_channels = kGeo;
  auto geo = FitIdentity(make(true), cfg, Quick(80));
  ASSERT_TRUE(plain.ok() && geo.ok()) << plain.status().ToString() << " / " << geo.status().ToString();
  EXPECT_EQ(geo->network->config.synth_geometry_channels, kGeo);
  std::printf("held-out PSNR without geometry %.2f dB, with %.2f dB\n", plain->best_psnr, geo->best_psnr);
  EXPECT_GT(geo->best_psnr, plain->best_psnr + 2.0);
}

TEST(IdentityFit, RefusesGeometryItCannotUse) {
  auto cfg = Tiny();
  cfg.synth_geometry_channels = 3;
  std::vector<FitSample> samples;
  for (int i = 0; i < 12; ++i) samples.push_back(SyntheticSample(32, 0));
  samples[3].geometry = cv::Mat(32, 32, CV_32FC2, cv::Scalar::all(0));  // 2 channels, not 3
  auto wrong = FitIdentity(samples, cfg, Quick(2));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("geometry"), std::string::npos);
  // Few-shot copies of a photo have no mesh.
  auto few = FitIdentity({SyntheticSample(32, 0)}, cfg, Quick(2));
  ASSERT_FALSE(few.ok());
  EXPECT_NE(few.status().message().find("few-shot"), std::string::npos) << few.status().ToString();
}

}  // namespace
}  // namespace smile::training
