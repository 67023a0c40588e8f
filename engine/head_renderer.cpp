#include "engine/head_renderer.h"

#include <opencv2/imgproc.hpp>

#include "models/image_tensor.h"
#include "models/synthesis_fast.h"

namespace smile::engine {

HeadRenderer::HeadRenderer(models::SynthesisNetwork network, torch::Tensor style, bool fast, bool bf16)
    : network_(std::move(network)), style_(std::move(style)) {
  network_->eval();
  noise_ = network_->generator->MakeNoise(0);
  path_ = "plain forward";
  if (fast) {
    try {
      torch::NoGradGuard no_grad;
      // channels-last: the fastest layout measured (smile bench models); fp32 is exact.
      auto f = std::make_unique<models::FastSynthesisGenerator>(network_->generator, /*channels_last=*/true,
                                                                bf16 ? torch::kBFloat16 : torch::kFloat32);
      f->SetStyle(style_);
      fast_ = std::move(f);
      path_ = bf16 ? "fast fixed-style (channels-last bf16)" : "fast fixed-style (channels-last fp32)";
    } catch (const std::exception& e) {
      path_ = std::string("plain forward (fast path unavailable: ") + e.what() + ")";
    }
  }
}

void HeadRenderer::SetStyleBank(models::StyleBank bank) {
  bank_ = std::move(bank);
  if (!bank_.empty()) path_ += ", style bank of " + std::to_string(bank_.size());
}

HeadRenderer::~HeadRenderer() = default;
HeadRenderer::HeadRenderer(HeadRenderer&&) noexcept = default;
HeadRenderer& HeadRenderer::operator=(HeadRenderer&&) noexcept = default;

Result<cv::Mat> HeadRenderer::Render(const cv::Mat& labels, const cv::Mat& geometry_in) {
  if (labels.empty() || labels.type() != CV_8UC1) return InvalidArgument("HeadRenderer needs a CV_8U label map");
  const int s = model_size();
  cv::Mat small;
  cv::resize(labels, small, cv::Size(s, s), 0, 0, cv::INTER_NEAREST);
  torch::NoGradGuard no_grad;
  auto mask = models::LabelsToOneHot(small, network_->config.num_classes);
  torch::Tensor input = mask;
  if (const int g = geometry_channels(); g > 0) {
    cv::Mat geometry = geometry_in.empty() ? default_geometry_ : geometry_in;
    if (geometry.empty()) geometry = cv::Mat(s, s, CV_32FC(g), cv::Scalar::all(0));
    if (geometry.type() != CV_32FC(g))
      return InvalidArgument("HeadRenderer: geometry must have " + std::to_string(g) + " float channels");
    if (geometry.size() != cv::Size(s, s)) cv::resize(geometry, geometry, cv::Size(s, s), 0, 0, cv::INTER_NEAREST);
    input = torch::cat({mask, models::ChannelsToTensor(geometry, g, cv::Size(s, s))}, 1).contiguous();
  }
  torch::Tensor rgb;
  try {
    torch::Tensor style = style_;
    if (!bank_.empty()) {
      style = bank_.Select(mask);
      if (fast_) fast_->SetStyle(style);
    }
    rgb = fast_ ? fast_->Forward(input, noise_) : network_->generator->forward(input, style, noise_);
  } catch (const std::exception& e) {
    return Internal(std::string("synthesis failed: ") + e.what() + "; check that the identity model matches this build");
  }
  cv::Mat out = models::TensorToImage(rgb);
  if (out.size() != labels.size()) cv::resize(out, out, labels.size(), 0, 0, cv::INTER_LINEAR);
  return out;
}

std::optional<ColorTransfer> ColorTransferFor(const cv::Mat& image, const cv::Mat& reference, const cv::Mat& region,
                                              bool match_spread) {
  if (cv::countNonZero(region) < 16) return std::nullopt;
  cv::Mat lab_i, lab_r;
  cv::cvtColor(image, lab_i, cv::COLOR_BGR2Lab);
  cv::cvtColor(reference, lab_r, cv::COLOR_BGR2Lab);
  cv::Scalar mi, si, mr, sr;
  cv::meanStdDev(lab_i, mi, si, region);
  cv::meanStdDev(lab_r, mr, sr, region);
  ColorTransfer t;
  for (int k = 0; k < 3; ++k) {
    t.gain[k] = match_spread && si[k] > 1e-3 ? std::clamp(sr[k] / si[k], 0.5, 2.0) : 1.0;
    t.offset[k] = mr[k] - mi[k] * t.gain[k];
  }
  return t;
}

cv::Mat ColorStatsRegion(const cv::Mat& labels, const cv::Mat& fallback) {
  if (labels.empty() || labels.type() != CV_8U) return fallback;
  cv::Mat m = (labels == kSkin) | (labels == kNose);
  cv::erode(m, m, cv::getStructuringElement(cv::MORPH_ELLIPSE, {5, 5}));
  if (cv::countNonZero(m) < 0.01 * static_cast<double>(labels.total())) return fallback;
  return m;
}

void ApplyColorTransfer(cv::Mat& image, const ColorTransfer& t) {
  cv::Mat lab, f;
  cv::cvtColor(image, lab, cv::COLOR_BGR2Lab);
  lab.convertTo(f, CV_32FC3);
  std::vector<cv::Mat> ch;
  cv::split(f, ch);
  for (int k = 0; k < 3; ++k) ch[k] = ch[k] * t.gain[k] + t.offset[k];
  cv::merge(ch, f);
  f.convertTo(lab, CV_8UC3);
  cv::cvtColor(lab, image, cv::COLOR_Lab2BGR);
}

ColorTransfer BlendColorTransfer(const ColorTransfer& from, const ColorTransfer& to, double a) {
  ColorTransfer t;
  t.gain = from.gain * a + to.gain * (1 - a);
  t.offset = from.offset * a + to.offset * (1 - a);
  return t;
}

void MatchColors(cv::Mat& image, const cv::Mat& reference, const cv::Mat& region) {
  if (auto t = ColorTransferFor(image, reference, region)) ApplyColorTransfer(image, *t);
}

}  // namespace smile::engine
