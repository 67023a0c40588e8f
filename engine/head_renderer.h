// HeadRenderer: the synthesis stage of a job. Holds a synthesis network and a FIXED
// style matrix (computed once for the whole video) and turns each frame's aligned
// 19-class mask into RGB; plus the region / colour tools used to blend it back.
// Because the style is fixed, it renders through models::FastSynthesisGenerator (the
// style folded into the convolutions once) unless told not to; the plain forward is
// the fallback when the fast path cannot be built.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include "core/face_labels.h"
#include "core/status.h"
#include "models/style_bank.h"
#include "models/synthesis.h"

namespace smile::models {
class FastSynthesisGenerator;
}

namespace smile::engine {

class HeadRenderer {
 public:
  // `style`: (1,C,D) style matrix; noise is fixed (seed 0) so a still mask gives a still image.
  // `fast`: use the fixed-style fast path (exact rewrite of the plain forward, fp32).
  // `bf16`: run that path in bf16 (not exact: ~1e-2 on outputs of order 1; faster on CPUs with
  // AMX / AVX-512 BF16); ignored without `fast`.
  HeadRenderer(models::SynthesisNetwork network, torch::Tensor style, bool fast = true, bool bf16 = false);
  // With a non-empty bank, each frame's style is the bank's blend for that frame's mask
  // (models::StyleBank::Select) instead of the fixed `style`; the fast path re-folds it.
  void SetStyleBank(models::StyleBank bank);
  bool uses_bank() const { return !bank_.empty(); }
  ~HeadRenderer();
  HeadRenderer(HeadRenderer&&) noexcept;
  HeadRenderer& operator=(HeadRenderer&&) noexcept;

  // labels: CV_8U aligned mask of any size -> BGR image of the same size. Networks with geometry
  // channels (ModelConfig::synth_geometry_channels) also read `geometry`: CV_32FC(that many), the
  // same crop at any size (resized nearest); empty: the default geometry (SetDefaultGeometry).
  Result<cv::Mat> Render(const cv::Mat& labels, const cv::Mat& geometry = cv::Mat());
  // What frames without their own geometry render with (the identity's mean face; zeros if unset).
  void SetDefaultGeometry(cv::Mat geometry) { default_geometry_ = std::move(geometry); }
  int geometry_channels() const { return network_->config.synth_geometry_channels; }
  int model_size() const { return network_->config.image_size; }
  const torch::Tensor& style() const { return style_; }
  // "fast fixed-style" or "plain" (and why the fast path is off).
  std::string path() const { return path_; }
  bool fast() const { return fast_ != nullptr; }

 private:
  models::SynthesisNetwork network_;
  torch::Tensor style_;
  models::StyleBank bank_;
  cv::Mat default_geometry_;
  std::vector<torch::Tensor> noise_;
  std::unique_ptr<models::FastSynthesisGenerator> fast_;
  std::string path_;
};

// Per-channel affine map in Lab (out = in * gain + offset) that gives `image`'s pixels inside
// `region` the mean and std of `reference`'s (gain clamped to 0.5..2); with `match_spread` false
// only the means (gain 1). nullopt when the region has fewer than 16 pixels.
struct ColorTransfer {
  cv::Vec3d gain{1, 1, 1}, offset{0, 0, 0};
};
std::optional<ColorTransfer> ColorTransferFor(const cv::Mat& image, const cv::Mat& reference, const cv::Mat& region,
                                              bool match_spread = true);
void ApplyColorTransfer(cv::Mat& image, const ColorTransfer& t);
// a * from + (1 - a) * to, per coefficient (temporal smoothing of the transfer over frames).
ColorTransfer BlendColorTransfer(const ColorTransfer& from, const ColorTransfer& to, double a);

// Where a swap takes the colour statistics of a frame: skin and nose (eroded by 2 px), whose colour
// is the lighting's. Mouth, eyes, brows and hair change with expression and pose; with them in the
// statistics (and their spread matched) every opening of the mouth shifted the whole head's colour:
// d14 +0.60 levels of added flicker on still segments, +0.06 with skin means only (0 with colour
// matching off). `fallback` when skin and nose cover < 1 % of the crop.
cv::Mat ColorStatsRegion(const cv::Mat& labels, const cv::Mat& fallback);

// Shifts `image`'s per-channel mean and std (Lab) inside `region` to match `reference`'s.
void MatchColors(cv::Mat& image, const cv::Mat& reference, const cv::Mat& region);

}  // namespace smile::engine
