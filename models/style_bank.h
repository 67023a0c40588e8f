// StyleBank: an identity's per-expression styles. `smile fit` encodes the style of every
// training crop of the person; a job then picks, for each frame and each class group
// (eyes + brows, mouth + lips, the rest), the stored styles whose mask looks most like
// the frame's in that group and blends them (inverse-distance weights over the nearest
// few). Per-frame details that a mask cannot carry (gaze, teeth, a tongue, shading with
// head pose) then come from the footage frame that had the most similar layout, while
// the identity stays fixed: every style in the bank is the same person's.
#pragma once

#include <string>

#include <torch/torch.h>

#include "core/status.h"

namespace smile::models {

struct StyleBank {
  torch::Tensor styles;  // (K,C,D) float: encoded styles (absent classes filled with the identity style)
  torch::Tensor keys;    // (K,C,h,w) float: area-pooled one-hot masks of the same crops
  int neighbours = 4;    // styles blended per group

  bool empty() const { return !styles.defined() || styles.size(0) == 0; }
  int64_t size() const { return empty() ? 0 : styles.size(0); }
  // The style matrix (1,C,D) for a one-hot mask (1,C,H,W): per class group (eyes + brows,
  // mouth + lips, every other class), the inverse-distance blend of the `neighbours` entries
  // whose keys are nearest in that group's classes.
  torch::Tensor Select(const torch::Tensor& onehot) const;
};

inline constexpr int kStyleBankKeySize = 16;

// Area-pooled one-hot masks (N,C,16,16) used as bank keys (and as queries).
torch::Tensor StyleBankKeys(const torch::Tensor& onehot);

// Serialised form (a checkpoint blob section, "style_bank").
std::string SerializeStyleBank(const StyleBank& bank);
Result<StyleBank> ParseStyleBank(const std::string& bytes, int64_t num_classes, int64_t style_dim);

}  // namespace smile::models
