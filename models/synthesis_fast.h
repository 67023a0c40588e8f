// Fast inference path of the synthesis generator for a FIXED style matrix (the
// target's style is fixed for a whole video). Exact rewrites of the plain forward
// (SMILE_SPEC "Algebra worth exploiting"), each checked against it in tests:
//  1. per-class style branch folded: conv3x3(sum_c mask_c * EqualLinear_c(style_c))
//     = conv3x3(mask, W_c) with W_c = sum_d W[:, d] * mu_c[d]; merged with the SPADE
//     gamma conv into ONE conv over [SPADE hidden (128), mask (19)] with the
//     sigmoid blend and biases folded in;
//  2. the SPADE first convs (mask -> hidden) of every layer that reads the same mask
//     resolution run as one conv; the mask is resized once per resolution;
//  3. demodulation without conv(gamma^2, w^2): sum over space of that conv equals
//     sum_{i,ky,kx} w^2[o,i,ky,kx] * S[i,ky,kx], S = 9 shifted box sums of gamma^2;
//  4. optional: transposed stride-2 conv + blur = one 3x3 conv with 4x the output
//     channels (polyphase, kernel pre-convolved with the blur) + pixel shuffle. It
//     has 4x the MACs of the transposed conv, so it is only the default for bf16
//     (this LibTorch's bf16 transposed conv is unreliable); measured slower in fp32;
//  5. optional channels-last memory format (measured slower with this LibTorch);
//  6. optional bf16 compute (weights cast ahead; input mask encoder, demodulation
//     sums and the RGB skip stay fp32). Not exact: tests bound its error.
// Not done: graph freezing.
#pragma once

#include <vector>

#include <torch/torch.h>

#include "models/synthesis.h"

namespace smile::models {

class FastSynthesisGenerator {
 public:
  // Copies what it needs from `g` (weights are read now; later changes to g are not seen).
  // polyphase: -1 = auto (on for bf16 only), 0 = off, 1 = on.
  explicit FastSynthesisGenerator(SynthesisGenerator g, bool channels_last = false,
                                  torch::ScalarType dtype = torch::kFloat32, int polyphase = -1);

  // Folds the style matrix (1, C, D) into the gamma convolutions (cost ~ a few conv
  // weight products; redo when the style changes).
  void SetStyle(const torch::Tensor& style);

  // mask (N, C, H, W) one-hot; noise as SynthesisGenerator::MakeNoise (required: the
  // fast path is for deterministic inference). Same result as g->forward(mask, style, noise).
  torch::Tensor Forward(const torch::Tensor& mask, const std::vector<torch::Tensor>& noise);

 private:
  struct Layer {
    // SPADE first conv (mask -> hidden): scaled weight / bias live in the group conv.
    torch::Tensor spade_w, spade_b;     // (hid, C, 3, 3), (hid)
    torch::Tensor gamma_w_spade;        // (in, hid, 3, 3) scaled
    torch::Tensor gamma_b_spade;        // (in)
    torch::Tensor style_gamma_w;        // (in, D, 3, 3) scaled (SAC only)
    torch::Tensor style_gamma_b;        // (in)
    torch::Tensor fc_w, fc_b;           // (C, D, D) scaled, (C, D)
    double alpha = 0;                   // sigmoid(blending_gamma); 0 for SPADE-only
    bool only_spade = false;
    // after SetStyle: gamma = conv(cat[hidden, mask], gamma_w) + gamma_b
    torch::Tensor gamma_w, gamma_b;
    torch::Tensor w, w2;                // (out, in, k, k) scaled, squared
    torch::Tensor w_poly;               // (4*out, in, 3, 3) polyphase up-sampling kernel
    torch::Tensor w_t;                  // (in, out, 3, 3) transposed-conv weight
    int64_t out_ch = 0, k = 3;
    bool upsample = false, demodulate = true;
    // StyledConv tail
    torch::Tensor noise_w, act_b;       // (1), (out)
    int group = 0, group_offset = 0;    // which shared SPADE-hidden conv, channel offset
    // toRGB
    torch::Tensor rgb_b;
  };
  struct Group {
    int res = 0;
    torch::Tensor w, b;                 // concatenated SPADE first convs
  };
  Layer MakeLayer(SacConv2dImpl& c);
  torch::Tensor Gamma(const Layer& l, const torch::Tensor& hidden_all, const torch::Tensor& mask_r) const;
  torch::Tensor Demod(const Layer& l, const torch::Tensor& gamma) const;
  torch::Tensor RunConv(const Layer& l, const torch::Tensor& x, const torch::Tensor& hidden_all,
                        const torch::Tensor& mask_r, const torch::Tensor& noise) const;

  ModelConfig config_;
  torch::nn::Sequential input_;
  torch::Tensor up_kernel_;             // ToRGB skip up-sampling FIR
  torch::Tensor blur_kernel_;           // blur after the transposed conv
  std::vector<Layer> layers_;           // conv1, rgb1, then per stage: up, conv, rgb
  std::vector<Group> groups_;
  std::vector<int> resolutions_;
  int start_ = 8, input_mask_size_ = 64;
  bool channels_last_ = false;
  torch::ScalarType dtype_ = torch::kFloat32;
  bool polyphase_ = false;
  bool style_set_ = false;
};

}  // namespace smile::models
