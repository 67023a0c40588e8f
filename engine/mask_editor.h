// MaskEditor: the manipulation stage of a job (SMILE stage 1, mask -> mask). It runs the
// manipulation generator (models/manip.h) on each frame's aligned 19-class mask for a
// requested edit such as "+eyeglasses,-hat,+bangs".
//
// Stability over time: the 144-d manipulation style is FIXED for the whole job (latent-guided:
// the best of `style_candidates` draws on the first mask, see MaskEditorOptions). It is
// built once, at the first mask, one 16/64-d slice per attribute (the paper's split
// style, models/attributes.h):
//   - edited attributes: the target domain's head of the mapping network for a latent
//     drawn from `seed` (latent-guided), or of the style encoder applied to a reference
//     mask (reference-guided, --ref);
//   - kept attributes: the style encoder's head of the domain the first mask is in
//     (read from the mask: eyeglasses, hat, earrings, hair amount, bangs; gender cannot
//     be read from a mask and uses the Male head unless it is set), so that what is not
//     asked for is reconstructed (the generator's cycle loss).
// Every frame: mask -> nearest resize to the network's size -> generator -> argmax. With
// `composite` (default) only the pixels whose class the network changed (dilated by one
// network pixel) take its upsampled output; the rest keep the full-resolution input mask,
// so unchanged regions keep their detail; with `attribute_scope` (default) only changes from or
// to the edited attributes' classes are taken. torch stays out of this header.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"
#include "models/attributes.h"
#include "models/config.h"

namespace smile::engine {

// One requested change: attribute (models/attributes.h index) and the wanted domain
// choice (0 = Male / absent / Few_Hair, 1 = Female / present / Much_Hair).
struct AttributeEdit {
  int attribute = 0;
  int choice = 0;
};

struct EditSpec {
  std::vector<AttributeEdit> edits;
  bool empty() const { return edits.empty(); }
  // -1 when the attribute is not edited, else the wanted choice.
  int Choice(int attribute) const;
  // Canonical text: "+eyeglasses,-hat" ("+female" / "+male" for gender).
  std::string ToString() const;
};

// Parses the --set syntax: comma-separated items, each "+name" (add / choose) or "-name"
// (remove), name one of eyeglasses (glasses), hat, bangs, earrings, hair, female, male
// (case-insensitive), or a bare domain name of models/attributes.h ("Female", "NOT_Hat",
// "Much_Hair"). Errors (one line, listing the valid names): empty, unknown name, missing
// sign, an attribute set twice.
Result<EditSpec> ParseEditSpec(const std::string& text);
// "+/-eyeglasses, +/-hat, +/-bangs, +/-earrings, +/-hair, +female, +male"
std::string ValidEditNames();

// The domain choice per attribute read from an aligned mask (-1 = cannot tell). Same
// rule as training/attributes DeriveAttributes (the training labels): eyeglasses >= 2 %
// of the face area (skin..l_lip), hat >= 5 %, earrings >= 0.1 %, much hair >= 15 %
// (unknown under a hat), bangs when hair covers >= 30 % of the band just above the brows.
// Gender is always -1.
std::array<int, models::kNumAttributes> MaskDomains(const cv::Mat& labels);

struct MaskEditorOptions {
  EditSpec spec;
  uint64_t seed = 0;         // latent for the edited attributes' styles (latent-guided)
  // Latent-guided only: draw this many latents from `seed` (the first is the seed's plain
  // draw) and keep the one whose edit of the first mask best does what was asked (CheckEdit:
  // passes, then the widest margin). Some random styles draw faint or no eyeglasses; this
  // keeps "+eyeglasses" from silently doing nothing. 1: the seed's first draw, unchecked.
  int style_candidates = 16;
  cv::Mat reference_labels;  // aligned CV_8U mask of a reference photo: its style (reference-guided)
  bool composite = true;     // keep the input where the network did not change the class
  // With composite: a changed pixel is kept only where its input or its new class belongs to an
  // edited attribute (eyeglasses: eye_g; hat: hat; earrings: ear_r; bangs, hair: hair), so
  // scattered changes elsewhere do not reach the face; gender edits are not restricted.
  bool attribute_scope = true;
};

// The classes an attribute's domain is drawn with ({} for gender: it can touch every class).
std::vector<int> AttributeClasses(int attribute);

struct MaskEditStats {
  int64_t frames = 0;
  double ms_total = 0;
  double changed_fraction_sum = 0;  // share of pixels whose class changed, summed over frames
  double ms_per_frame() const { return frames ? ms_total / frames : 0; }
  double mean_changed() const { return frames ? changed_fraction_sum / frames : 0; }
};

class MaskEditor {
 public:
  // Loads a manipulation model (kind "manip", written by `smile train manip` as manip.ckpt).
  static Result<std::unique_ptr<MaskEditor>> Load(const std::string& path, const MaskEditorOptions& options);
  // From networks in memory (tests): a checkpoint-free editor with freshly initialised
  // weights drawn from `weight_seed` for `config`.
  static Result<std::unique_ptr<MaskEditor>> CreateRandom(const models::ModelConfig& config, uint64_t weight_seed,
                                                          const MaskEditorOptions& options);
  ~MaskEditor();

  // Edits one aligned CV_8U mask (any square size); the result has the input's size. The
  // first call fixes the style (later calls reuse it). Not thread-safe (one stage thread).
  Result<cv::Mat> Edit(const cv::Mat& labels);
  // Fixes the style from `labels` now (Edit does it on its first call).
  Status FixStyle(const cv::Mat& labels);
  bool style_fixed() const;
  // The fixed style (144 floats), empty before it is fixed.
  std::vector<float> style() const;
  // Latent-guided: which of the options' style_candidates was kept (0 = the seed's first draw).
  int style_candidate() const;
  // Domain choices the style was built for: source (read from the first mask) and target.
  std::array<int, models::kNumAttributes> source_choices() const;
  std::array<int, models::kNumAttributes> target_choices() const;

  const models::ModelConfig& config() const;
  const MaskEditorOptions& options() const;
  const MaskEditStats& stats() const;
  // "manip 128 px (small), +eyeglasses,-hat, style: seed 3"
  std::string Describe() const;

 private:
  struct Impl;
  explicit MaskEditor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Checks of one edit, for issue #8's measure (smile edit --evaluate): did the edited class
// appear / disappear with a reasonable area, and did the other regions stay put?
struct EditCheck {
  bool asked_ok = false;  // every edited attribute is in its target domain (area rule below)
  double other_iou = 0;   // mean IoU of the classes present in input or output, on pixels that
                          // are not an edited attribute's class in either
  // How far inside the area rule the edited classes are (smallest over the edits that have
  // one): ln of the ratio to the nearest bound, positive inside, capped at 3; 0 when no edit
  // has an area rule.
  double margin = 0;
  bool ok(double min_iou = 0.8) const { return asked_ok && other_iou > min_iou; }
};
// Area rule ("reasonable area", fractions of the face area skin..l_lip of the input):
// +eyeglasses 2 %..40 % eye_g, -eyeglasses < 0.5 %; +hat 5 %..150 % hat, -hat < 1 %;
// +earrings >= 0.1 %, -earrings < 0.05 %; bangs / hair / gender by MaskDomains (gender
// is not checkable: counted as asked).
EditCheck CheckEdit(const cv::Mat& before, const cv::Mat& after, const EditSpec& spec);

}  // namespace smile::engine
