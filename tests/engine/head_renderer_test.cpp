#include "engine/head_renderer.h"

#include <gtest/gtest.h>
#include <optional>
#include <opencv2/imgproc.hpp>

#include "models/identity_model.h"
#include "models/image_tensor.h"

namespace smile::engine {
namespace {

cv::Mat Layout(int eye_height, int mouth_height) {
  cv::Mat m(32, 32, CV_8U, cv::Scalar(kBackground));
  cv::ellipse(m, {16, 17}, {10, 13}, 0, 0, 360, cv::Scalar(kSkin), -1);
  cv::rectangle(m, {9, 10}, {14, 10 + eye_height}, cv::Scalar(kLEye), -1);
  cv::rectangle(m, {18, 10}, {23, 10 + eye_height}, cv::Scalar(kREye), -1);
  cv::rectangle(m, {12, 22}, {20, 22 + mouth_height}, cv::Scalar(kMouth), -1);
  m(cv::Rect(0, 0, 32, 5)).setTo(kHair);
  return m;
}

double MaxDiff(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat d;
  cv::absdiff(a, b, d);
  double m = 0;
  cv::minMaxLoc(d.reshape(1), nullptr, &m);
  return m;
}

struct Fixture {
  models::IdentityModel model{nullptr};
  models::StyleBank bank;
  Fixture() {
    auto cfg = models::ModelConfig::Preset("tiny");
    EXPECT_TRUE(cfg.ok());
    torch::manual_seed(3);
    model = models::IdentityModel(*cfg);
    model->style.copy_(torch::randn_like(model->style));
    model->eval();
    // Three entries with clearly different styles and layouts.
    std::vector<torch::Tensor> keys;
    for (auto [e, m] : std::vector<std::pair<int, int>>{{1, 1}, {4, 1}, {1, 6}})
      keys.push_back(models::StyleBankKeys(models::LabelsToOneHot(Layout(e, m), cfg->num_classes)));
    bank.keys = torch::cat(keys);
    bank.styles = 2 * torch::randn({3, cfg->num_classes, cfg->synth_style_dim});
    bank.neighbours = 2;
  }
};

// bf16 fast path: close to the exact fp32 path (a few grey levels), and it says so in its path.
TEST(HeadRenderer, Bf16FastPathCloseToFp32) {
  Fixture f;
  HeadRenderer fp32(f.model->network, f.model->style, true, false), bf16(f.model->network, f.model->style, true, true);
  EXPECT_NE(bf16.path().find("bf16"), std::string::npos) << bf16.path();
  EXPECT_NE(fp32.path().find("fp32"), std::string::npos) << fp32.path();
  HeadRenderer plain_bf16(f.model->network, f.model->style, false, true);  // bf16 needs the fast path
  EXPECT_EQ(plain_bf16.path().find("bf16"), std::string::npos) << plain_bf16.path();
  for (auto [e, m] : std::vector<std::pair<int, int>>{{1, 1}, {4, 6}}) {
    auto a = fp32.Render(Layout(e, m)), b = bf16.Render(Layout(e, m));
    ASSERT_TRUE(a.ok() && b.ok());
    cv::Mat d;
    cv::absdiff(*a, *b, d);
    const double mean = cv::mean(d.reshape(1))[0];
    EXPECT_LT(mean, 3.0) << "mean |bf16 - fp32| in grey levels";
    EXPECT_LT(MaxDiff(*a, *b), 40.0);
  }
}

// Colour matching as a Lab transfer: the same as MatchColors, gives the reference's statistics.
TEST(HeadRenderer, ColorTransferMatchesReferenceStatistics) {
  cv::Mat img(48, 48, CV_8UC3), ref(48, 48, CV_8UC3);
  cv::randu(img, cv::Scalar(60, 70, 80), cv::Scalar(120, 130, 140));
  cv::randu(ref, cv::Scalar(120, 100, 150), cv::Scalar(220, 200, 250));
  const cv::Mat region(48, 48, CV_8U, cv::Scalar(255));
  auto t = ColorTransferFor(img, ref, region);
  ASSERT_TRUE(t.has_value());
  cv::Mat a = img.clone(), b = img.clone();
  ApplyColorTransfer(a, *t);
  MatchColors(b, ref, region);
  EXPECT_EQ(MaxDiff(a, b), 0.0);
  cv::Mat lab_a, lab_r;
  cv::cvtColor(a, lab_a, cv::COLOR_BGR2Lab);
  cv::cvtColor(ref, lab_r, cv::COLOR_BGR2Lab);
  const cv::Scalar ma = cv::mean(lab_a), mr = cv::mean(lab_r);
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(ma[k], mr[k], 2.0) << "Lab channel " << k;
  EXPECT_FALSE(ColorTransferFor(img, ref, cv::Mat::zeros(48, 48, CV_8U)).has_value()) << "empty region";
  ColorTransfer one;
  EXPECT_EQ(BlendColorTransfer(one, *t, 0.0).gain, t->gain);
  EXPECT_EQ(BlendColorTransfer(one, *t, 1.0).offset, one.offset);
}

// The swap's colour statistics: skin and nose only, eroded, with the head region as fallback; the
// means-only transfer moves the means and keeps the image's own spread.
TEST(HeadRenderer, ColorStatsFromSkinMeansOnly) {
  cv::Mat labels(64, 64, CV_8U, cv::Scalar(kHair));
  labels(cv::Rect(16, 16, 32, 32)).setTo(kSkin);
  labels(cv::Rect(28, 28, 8, 12)).setTo(kNose);
  labels(cv::Rect(24, 40, 16, 6)).setTo(kMouth);
  const cv::Mat head(64, 64, CV_8U, cv::Scalar(255));
  const cv::Mat m = ColorStatsRegion(labels, head);
  EXPECT_EQ(m.at<uint8_t>(32, 32), 255) << "nose";
  EXPECT_EQ(m.at<uint8_t>(20, 32), 255) << "skin";
  EXPECT_EQ(m.at<uint8_t>(42, 32), 0) << "mouth";
  EXPECT_EQ(m.at<uint8_t>(5, 5), 0) << "hair";
  EXPECT_EQ(m.at<uint8_t>(16, 32), 0) << "eroded edge of the skin";
  cv::Mat tiny(64, 64, CV_8U, cv::Scalar(kHair));
  tiny(cv::Rect(30, 30, 4, 4)).setTo(kSkin);
  EXPECT_EQ(cv::countNonZero(ColorStatsRegion(tiny, head)), 64 * 64) << "too little skin: the fallback";

  cv::Mat img(48, 48, CV_8UC3), ref(48, 48, CV_8UC3);
  cv::randu(img, cv::Scalar(60, 70, 80), cv::Scalar(120, 130, 140));
  cv::randu(ref, cv::Scalar(150, 140, 160), cv::Scalar(170, 160, 180));  // brighter, much narrower
  const cv::Mat region(48, 48, CV_8U, cv::Scalar(255));
  auto t = ColorTransferFor(img, ref, region, /*match_spread=*/false);
  ASSERT_TRUE(t.has_value());
  for (int k = 0; k < 3; ++k) EXPECT_EQ(t->gain[k], 1.0);
  cv::Mat a = img.clone();
  ApplyColorTransfer(a, *t);
  cv::Mat lab_a, lab_i, lab_r;
  cv::cvtColor(a, lab_a, cv::COLOR_BGR2Lab);
  cv::cvtColor(img, lab_i, cv::COLOR_BGR2Lab);
  cv::cvtColor(ref, lab_r, cv::COLOR_BGR2Lab);
  cv::Scalar ma, sa, mi, si, mr, sr;
  cv::meanStdDev(lab_a, ma, sa);
  cv::meanStdDev(lab_i, mi, si);
  cv::meanStdDev(lab_r, mr, sr);
  EXPECT_NEAR(ma[0], mr[0], 2.0) << "lightness mean matched";
  EXPECT_NEAR(sa[0], si[0], 1.0) << "own lightness spread kept";
  EXPECT_GT(sa[0], sr[0] * 1.5) << "not the reference's narrow spread";
}

// A reference whose brightness jitters frame to frame (a moving head's statistics): the smoothed
// transfer (what Session::Compose applies) changes the output far less than a per-frame match.
TEST(HeadRenderer, SmoothedColorTransferFlickersLess) {
  cv::Mat img(48, 48, CV_8UC3), base(48, 48, CV_8UC3);
  cv::randu(img, cv::Scalar(60, 70, 80), cv::Scalar(120, 130, 140));
  cv::randu(base, cv::Scalar(100, 100, 120), cv::Scalar(180, 180, 200));
  const cv::Mat region(48, 48, CV_8U, cv::Scalar(255));
  std::optional<ColorTransfer> state;
  cv::Mat prev_raw, prev_smooth;
  double change_raw = 0, change_smooth = 0;
  for (int f = 0; f < 30; ++f) {
    cv::Mat ref = base + cv::Scalar::all(f % 2 ? 12 : -12);
    auto t = ColorTransferFor(img, ref, region);
    ASSERT_TRUE(t.has_value());
    state = state ? BlendColorTransfer(*state, *t, 0.8) : *t;
    cv::Mat raw = img.clone(), smooth = img.clone();
    ApplyColorTransfer(raw, *t);
    ApplyColorTransfer(smooth, *state);
    if (f >= 10) {
      cv::Mat d;
      cv::absdiff(raw, prev_raw, d);
      change_raw += cv::mean(d.reshape(1))[0];
      cv::absdiff(smooth, prev_smooth, d);
      change_smooth += cv::mean(d.reshape(1))[0];
    }
    prev_raw = raw, prev_smooth = smooth;
  }
  EXPECT_GT(change_raw, 0);
  EXPECT_LT(change_smooth, 0.25 * change_raw) << "raw " << change_raw << " smoothed " << change_smooth;
}

TEST(HeadRenderer, StyleBankFastPathMatchesPlainFrameByFrame) {
  Fixture f;
  HeadRenderer fast(f.model->network, f.model->style, true), plain(f.model->network, f.model->style, false);
  ASSERT_TRUE(fast.fast()) << fast.path();
  fast.SetStyleBank(f.bank);
  plain.SetStyleBank(f.bank);
  EXPECT_TRUE(fast.uses_bank());
  EXPECT_NE(fast.path().find("style bank of 3"), std::string::npos) << fast.path();
  // Alternate layouts: the fast path must re-fold the style for every frame.
  for (auto [e, m] : std::vector<std::pair<int, int>>{{1, 1}, {4, 6}, {1, 1}, {3, 2}}) {
    cv::Mat labels = Layout(e, m);
    auto a = fast.Render(labels), b = plain.Render(labels);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_LE(MaxDiff(*a, *b), 1.0) << e << "," << m;
  }
}

TEST(HeadRenderer, StyleBankChangesTheRenderWithTheLayout) {
  Fixture f;
  HeadRenderer fixed(f.model->network, f.model->style, true), banked(f.model->network, f.model->style, true);
  banked.SetStyleBank(f.bank);
  cv::Mat closed = Layout(1, 1), open = Layout(4, 6);
  auto fc = fixed.Render(closed), bc = banked.Render(closed), bo = banked.Render(open);
  ASSERT_TRUE(fc.ok() && bc.ok() && bo.ok());
  EXPECT_GT(MaxDiff(*fc, *bc), 10.0);  // bank styles differ from the mean style
  // The same layout again gives the same image (selection is a function of the mask).
  auto bc2 = banked.Render(closed);
  ASSERT_TRUE(bc2.ok());
  EXPECT_EQ(MaxDiff(*bc, *bc2), 0.0);
}

// Identity models with geometry channels: the renderer appends the frame's geometry (resized to
// the model) or, without one, its default; fast and plain paths agree.
TEST(HeadRenderer, GeometryChannelsFromTheFrameOrTheDefault) {
  auto cfg = models::ModelConfig::Preset("tiny").value();
  cfg.synth_geometry_channels = 2;
  torch::manual_seed(8);
  models::IdentityModel model(cfg);
  model->style.copy_(torch::randn_like(model->style));
  for (auto& p : model->network->named_parameters())
    if (p.key().find("blending_gamma") != std::string::npos) p.value().data().fill_(0.3);
  model->eval();
  HeadRenderer fast(model->network, model->style, true), plain(model->network, model->style, false);
  EXPECT_NE(fast.path().find("fast"), std::string::npos) << fast.path();
  EXPECT_EQ(fast.geometry_channels(), 2);
  cv::Mat ramp(64, 64, CV_32FC2);  // at twice the model's side
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) ramp.at<cv::Vec2f>(y, x) = cv::Vec2f(x / 32.f - 1, y / 32.f - 1);
  const cv::Mat labels = Layout(2, 3);
  auto a = fast.Render(labels, ramp), b = plain.Render(labels, ramp);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().ToString();
  EXPECT_LE(MaxDiff(*a, *b), 1.0);
  // The same through the generator by hand: classes, then the geometry resized nearest.
  {
    torch::NoGradGuard ng;
    cv::Mat small;
    cv::resize(ramp, small, cv::Size(32, 32), 0, 0, cv::INTER_NEAREST);
    auto geo = torch::from_blob(small.data, {1, 32, 32, 2}, torch::kFloat).permute({0, 3, 1, 2});
    auto in = torch::cat({models::LabelsToOneHot(labels, cfg.num_classes), geo}, 1);
    cv::Mat direct = models::TensorToImage(
        model->network->generator->forward(in, model->style, model->network->generator->MakeNoise(0)));
    EXPECT_LE(MaxDiff(*b, direct), 1.0);
  }
  // No geometry: zeros until a default is set, then the default.
  auto zero = plain.Render(labels);
  ASSERT_TRUE(zero.ok());
  EXPECT_GT(MaxDiff(*zero, *b), 2.0) << "the geometry must reach the render";
  plain.SetDefaultGeometry(ramp);
  auto by_default = plain.Render(labels);
  ASSERT_TRUE(by_default.ok());
  EXPECT_EQ(MaxDiff(*by_default, *b), 0.0);
  EXPECT_FALSE(plain.Render(labels, cv::Mat(32, 32, CV_32FC3, cv::Scalar::all(0))).ok()) << "3 channels for 2";
}

}  // namespace
}  // namespace smile::engine
