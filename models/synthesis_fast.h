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
//  4. the stride-2 transposed conv as its 4 output phases, ordinary convs with exactly the
//     taps each phase uses (2x2, 2x1, 1x2, 1x1: the transposed conv's multiply-adds; this
//     LibTorch's transposed conv kernel is a slow fallback), then the blur;
//  5. demodulation (one scale per output channel) applied to the weights when they are
//     smaller than the output; its sums of gamma^2 from the class tables at sparse sites;
//     the activation gain folded into the weights, the conv tail in place;
//  6. gamma in single-class regions: a gamma value depends only on the 5x5 mask window, so
//     where that window is one class it is a per-class constant (a table computed with the
//     style); only boundary pixels run the gamma conv, as a matrix product over their 3x3
//     patches (one-hot masks, batch 1, resolutions >= 32, no geometry channels; otherwise
//     the dense conv);
//  7. optional channels-last memory format;
//  8. optional bf16 compute (weights cast ahead; input mask encoder, demodulation sums and
//     the RGB skip stay fp32). Not exact: tests bound its error.
// Not done: graph freezing.
#pragma once

#include <vector>

#include <torch/torch.h>

#include "models/synthesis.h"

namespace smile::models {

class FastSynthesisGenerator {
 public:
  // Copies what it needs from `g` (weights are read now; later changes to g are not seen) and
  // runs on g's device (masks and noise are moved there; the sparse rewrite is CPU only).
  // polyphase: 0 = the transposed conv kernel, otherwise its 4 phases (rewrite 4);
  // sparse: per-class gamma tables + boundary patches (rewrite 6). Both exact.
  explicit FastSynthesisGenerator(SynthesisGenerator g, bool channels_last = false,
                                  torch::ScalarType dtype = torch::kFloat32, int polyphase = 1, bool sparse = true);

  // Folds the style matrix (1, C, D) into the gamma convolutions (cost ~ a few conv
  // weight products; redo when the style changes).
  void SetStyle(const torch::Tensor& style);

  // mask (N, C, H, W) one-hot (+ the config's geometry channels after the classes); noise as SynthesisGenerator::MakeNoise (required: the
  // fast path is for deterministic inference). Same result as g->forward(mask, style, noise).
  torch::Tensor Forward(const torch::Tensor& mask, const std::vector<torch::Tensor>& noise);
  // How many mask resolutions the last Forward() ran with sparse gamma (rewrite 6), for tests.
  int last_sparse_sites() const { return last_sparse_sites_; }

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
    torch::Tensor gamma_table;          // (C, in) gamma inside a one-class 5x5 window
    torch::Tensor gamma_table_w;        // the same as a (in, C, 1, 1) conv weight over the one-hot mask
    torch::Tensor gamma_hidden_w;       // (in, 9 * hid, 1, 1) hidden part of gamma_w, tap-major
    torch::Tensor gamma_mask_taps;      // (9, C + 1, in) mask part per tap and class (+ padding row)
    torch::Tensor w, w2;                // (out, in, k, k) scaled, squared
    std::vector<torch::Tensor> w_phase;  // 4 phase kernels of the up-sampling conv (py * 2 + px)
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
    torch::Tensor hidden_table;         // (C, hidden) hidden features inside a one-class 3x3 window
    torch::Tensor hidden_taps;          // (9, C + 1, hidden) first-conv columns per tap and class
  };
  // One mask resolution of one forward pass.
  struct Site {
    int64_t res = 0;
    torch::Tensor mask, hidden;         // resized mask; dense SPADE hidden features (dense sites)
    bool sparse = false;                // gamma from tables + boundary patches
    torch::Tensor labels;               // (res*res) long
    torch::Tensor boundary;             // (nb) flat indices of pixels whose 5x5 window is mixed
    torch::Tensor uniform_counts;       // (C) float: one-class pixels of each class
    torch::Tensor hidden_rows;          // (nq + 1, hidden) hidden features where patches read them, + a zero row
    torch::Tensor patch_rows;           // (nb*9) row of hidden_rows for each boundary pixel's taps
    std::vector<torch::Tensor> patch_labels;  // 9 x (nb) class at each tap (C = padding)
  };
  Site MakeSite(int group, const torch::Tensor& mask, const torch::Tensor& labels) const;
  Layer MakeLayer(SacConv2dImpl& c);
  // box_sums (sparse sites, demodulated layers): the 9 shifted sums of gamma^2, (1, in, 3, 3).
  torch::Tensor Gamma(const Layer& l, const Site& site, torch::Tensor* box_sums = nullptr) const;
  torch::Tensor Demod(const Layer& l, const torch::Tensor& gamma, const torch::Tensor& box_sums = {}) const;
  torch::Tensor RunConv(const Layer& l, const torch::Tensor& x, const Site& site, const torch::Tensor& noise) const;

  ModelConfig config_;
  torch::nn::Sequential input_;
  std::vector<torch::Tensor> texture_;  // the neural texture, its pyramid merged (config.synth_texture_channels > 0)
  torch::Tensor up_kernel_;             // ToRGB skip up-sampling FIR
  torch::Tensor blur_kernel_;           // blur after the transposed conv
  torch::Tensor blur_weight_;           // the same as a (1, 1, 4, 4) depthwise conv weight
  std::vector<Layer> layers_;           // conv1, rgb1, then per stage: up, conv, rgb
  std::vector<Group> groups_;
  std::vector<int> resolutions_;
  int start_ = 8, input_mask_size_ = 64;
  bool channels_last_ = false;
  torch::ScalarType dtype_ = torch::kFloat32;
  bool polyphase_ = true;
  bool sparse_ = true;
  torch::Device device_ = torch::kCPU;
  bool style_set_ = false;
  int last_sparse_sites_ = 0;
};

}  // namespace smile::models
