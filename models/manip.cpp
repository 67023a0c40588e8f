#include "models/manip.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace smile::models {
namespace F = torch::nn::functional;
namespace nn = torch::nn;

namespace {

int Log2(int x) {
  int l = 0;
  while ((1 << (l + 1)) <= x) ++l;
  return l;
}

void CheckSize(const ModelConfig& c) {
  if (c.manip_size < 32 || (c.manip_size & (c.manip_size - 1)) != 0)
    throw std::invalid_argument("manipulation networks need manip_size a power of two >= 32, got " +
                                std::to_string(c.manip_size) + "; fix the model config");
}

void CheckMask(const torch::Tensor& mask, const ModelConfig& c, const char* who) {
  if (mask.dim() != 4 || mask.size(1) != c.num_classes || mask.size(2) != c.manip_size ||
      mask.size(3) != c.manip_size)
    throw std::invalid_argument(std::string(who) + " expects a mask (N," + std::to_string(c.num_classes) + "," +
                                std::to_string(c.manip_size) + "," + std::to_string(c.manip_size) +
                                "), got " + std::to_string(mask.dim()) + "-d " +
                                c10::str(mask.sizes()) + "; resize the mask to manip_size");
}

// Shared trunk of the style encoder and the discriminator (table 6).
nn::Sequential EncoderTrunk(const ModelConfig& c, int* out_dim) {
  nn::Sequential seq;
  int dim_in = ManipEncoderBaseWidth(c);
  const int max_dim = ManipMaxWidth(c);
  seq->push_back(nn::Conv2d(nn::Conv2dOptions(c.num_classes, dim_in, 3).padding(1)));
  int dim_out = dim_in;
  const int repeat = Log2(c.manip_size) - 2;  // down to 4x4
  for (int i = 0; i < repeat; ++i) {
    dim_out = std::min(dim_in * 2, max_dim);
    seq->push_back(ManipResBlk(dim_in, dim_out, /*normalize=*/false, /*downsample=*/true));
    dim_in = dim_out;
  }
  seq->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)));
  seq->push_back(nn::Conv2d(nn::Conv2dOptions(dim_out, dim_out, 4)));
  seq->push_back(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2)));
  *out_dim = dim_out;
  return seq;
}

}  // namespace

int ManipMaxWidth(const ModelConfig& c) { return c.Width(512); }
int ManipGeneratorBaseWidth(const ModelConfig& c) { return std::min(c.manip_base_width, ManipMaxWidth(c)); }
int ManipEncoderBaseWidth(const ModelConfig& c) {
  return std::min(std::max(8, 2 * c.manip_base_width * 256 / c.manip_size), ManipMaxWidth(c));
}

// ---------------------------------------------------------------- Generator
ManipGeneratorImpl::ManipGeneratorImpl(const ModelConfig& c) : config(c), landmark_skips(c.manip_landmark_skips) {
  CheckSize(c);
  reset();
}

void ManipGeneratorImpl::reset() {
  const ModelConfig& c = config;
  int dim_in = ManipGeneratorBaseWidth(c);
  const int max_dim = ManipMaxWidth(c);
  from_mask = register_module("from_mask", nn::Conv2d(nn::Conv2dOptions(c.num_classes, dim_in, 3).padding(1)));
  int repeat = Log2(c.manip_size) - 4 + (landmark_skips ? 1 : 0);
  repeat = std::max(repeat, 1);
  int dim_out = dim_in;
  std::vector<ModResBlk> dec;  // built stack-like, reversed below
  encode = register_module("encode", nn::ModuleList());
  for (int i = 0; i < repeat; ++i) {
    dim_out = std::min(dim_in * 2, max_dim);
    encode->push_back(ManipResBlk(dim_in, dim_out, /*normalize=*/true, /*downsample=*/true));
    dec.push_back(ModResBlk(dim_out, dim_in, kManipStyleDim, /*upsample=*/true, landmark_skips));
    dim_in = dim_out;
  }
  for (int i = 0; i < 2; ++i) {  // bottleneck
    encode->push_back(ManipResBlk(dim_out, dim_out, true, false));
    dec.push_back(ModResBlk(dim_out, dim_out, kManipStyleDim, false, landmark_skips));
  }
  std::reverse(dec.begin(), dec.end());
  decode = register_module("decode", nn::ModuleList());
  for (auto& b : dec) decode->push_back(b);
  to_mask = register_module("to_mask", ModConv2d(ManipGeneratorBaseWidth(c), c.num_classes, kManipStyleDim, 1,
                                                 /*demod=*/false));
  KaimingInit(*this);
}

ManipEncoding ManipGeneratorImpl::Encode(const torch::Tensor& mask) {
  CheckMask(mask, config, "ManipGenerator");
  ManipEncoding enc;
  torch::Tensor x = from_mask->forward(mask);
  const int64_t max_skip = config.manip_size >= 512 ? 256 : 128;
  for (const auto& m : *encode) {
    auto* block = m->as<ManipResBlkImpl>();
    const int64_t s = x.size(2);
    if (landmark_skips && s >= 32 && s <= max_skip &&
        std::find(enc.skip_sizes.begin(), enc.skip_sizes.end(), s) == enc.skip_sizes.end()) {
      enc.skip_sizes.push_back(s);
      enc.skips.push_back(x);
    }
    x = block->forward(x);
  }
  enc.bottleneck = x;
  return enc;
}

torch::Tensor ManipGeneratorImpl::Decode(const ManipEncoding& enc, const torch::Tensor& style,
                                         const torch::Tensor& heatmap) {
  const int64_t n = enc.bottleneck.size(0);
  if (style.dim() != 2 || style.size(0) != n || style.size(1) != kManipStyleDim)
    throw std::invalid_argument("ManipGenerator expects a style (N," + std::to_string(kManipStyleDim) + "), got " +
                                c10::str(style.sizes()) + "; build it with AssembleStyle");
  const bool use_hm = landmark_skips && heatmap.defined();
  if (use_hm && (heatmap.dim() != 4 || heatmap.size(0) != n || heatmap.size(1) < 1 || heatmap.size(1) > 2))
    throw std::invalid_argument("ManipGenerator expects a landmark heatmap (N,1|2,H,W), got " +
                                c10::str(heatmap.sizes()));
  torch::Tensor x = enc.bottleneck;
  for (const auto& m : *decode) {
    x = m->as<ModResBlkImpl>()->forward(x, style);
    if (!use_hm) continue;
    const int64_t s = x.size(2);
    auto it = std::find(enc.skip_sizes.begin(), enc.skip_sizes.end(), s);
    if (it == enc.skip_sizes.end()) continue;
    const torch::Tensor& cache = enc.skips[it - enc.skip_sizes.begin()];
    // 32 px: full heatmap (channel 0); larger: channel 1 (without face line / mouth).
    torch::Tensor fan = heatmap.narrow(1, (s == 32 || heatmap.size(1) == 1) ? 0 : 1, 1);
    fan = F::interpolate(fan, F::InterpolateFuncOptions()
                                  .size(std::vector<int64_t>{s, s})
                                  .mode(torch::kBilinear)
                                  .align_corners(false));
    x = x + HighPass(fan * cache);
  }
  return to_mask->forward(torch::relu(x), style);
}

torch::Tensor ManipGeneratorImpl::forward(const torch::Tensor& mask, const torch::Tensor& style,
                                          const torch::Tensor& heatmap) {
  return Decode(Encode(mask), style, heatmap);
}

// ---------------------------------------------------------------- Mapping
ManipMappingImpl::ManipMappingImpl(const ModelConfig& c) : config(c) { reset(); }

void ManipMappingImpl::reset() {
  const ModelConfig& c = config;
  const int hidden = ManipMaxWidth(c);
  shared = register_module("shared", nn::Sequential());
  shared->push_back(nn::Linear(c.manip_latent_dim, hidden));
  shared->push_back(nn::ReLU());
  for (int i = 0; i < 3; ++i) {
    shared->push_back(nn::Linear(hidden, hidden));
    shared->push_back(nn::ReLU());
  }
  unshared = register_module("unshared", nn::ModuleList());
  for (int d = 0; d < kNumDomains; ++d) {
    nn::Sequential head;
    for (int i = 0; i < 3; ++i) {
      head->push_back(nn::Linear(hidden, hidden));
      head->push_back(nn::ReLU());
    }
    head->push_back(nn::Linear(hidden, DomainStyleDim(d)));
    unshared->push_back(head);
  }
  KaimingInit(*this);
}

std::vector<torch::Tensor> ManipMappingImpl::forward(const torch::Tensor& z) {
  torch::Tensor h = shared->forward(z);
  std::vector<torch::Tensor> out;
  out.reserve(unshared->size());
  for (const auto& head : *unshared) out.push_back(head->as<nn::SequentialImpl>()->forward(h));
  return out;
}

torch::Tensor ManipMappingImpl::Style(const torch::Tensor& z, const torch::Tensor& choices) {
  return AssembleStyle(forward(z), choices);
}

// ---------------------------------------------------------------- Style encoder
ManipStyleEncoderImpl::ManipStyleEncoderImpl(const ModelConfig& c) : config(c) {
  CheckSize(c);
  reset();
}

void ManipStyleEncoderImpl::reset() {
  const ModelConfig& c = config;
  int dim = 0;
  shared = register_module("shared", EncoderTrunk(c, &dim));
  unshared = register_module("unshared", nn::ModuleList());
  for (int d = 0; d < kNumDomains; ++d) unshared->push_back(nn::Linear(dim, DomainStyleDim(d)));
  KaimingInit(*this);
}

std::vector<torch::Tensor> ManipStyleEncoderImpl::forward(const torch::Tensor& mask) {
  torch::Tensor h = shared->forward(mask);
  h = h.view({h.size(0), -1});
  std::vector<torch::Tensor> out;
  out.reserve(unshared->size());
  for (const auto& head : *unshared) out.push_back(head->as<nn::LinearImpl>()->forward(h));
  return out;
}

torch::Tensor ManipStyleEncoderImpl::Style(const torch::Tensor& mask, const torch::Tensor& choices) {
  return AssembleStyle(forward(mask), choices);
}

// ---------------------------------------------------------------- Discriminator
ManipDiscriminatorImpl::ManipDiscriminatorImpl(const ModelConfig& c) : config(c) {
  CheckSize(c);
  reset();
}

void ManipDiscriminatorImpl::reset() {
  const ModelConfig& c = config;
  int dim = 0;
  nn::Sequential seq = EncoderTrunk(c, &dim);
  seq->push_back(nn::Conv2d(nn::Conv2dOptions(dim, kNumDomains, 1)));
  main = register_module("main", seq);
  KaimingInit(*this);
}

torch::Tensor ManipDiscriminatorImpl::forward(const torch::Tensor& mask) {
  torch::Tensor out = main->forward(mask);
  return out.view({out.size(0), kNumDomains});
}

// ---------------------------------------------------------------- helpers
torch::Tensor AssembleStyle(const std::vector<torch::Tensor>& heads, const torch::Tensor& choices) {
  if (heads.size() != static_cast<size_t>(kNumDomains))
    throw std::invalid_argument("AssembleStyle needs " + std::to_string(kNumDomains) + " domain heads");
  const int64_t n = heads[0].size(0);
  if (choices.dim() != 2 || choices.size(0) != n || choices.size(1) != kNumAttributes)
    throw std::invalid_argument("AssembleStyle expects choices (N," + std::to_string(kNumAttributes) +
                                ") of 0/1, got " + c10::str(choices.sizes()));
  torch::Tensor ch = choices.to(heads[0].device()).to(torch::kBool);
  std::vector<torch::Tensor> parts;
  for (int a = 0; a < kNumAttributes; ++a)
    parts.push_back(torch::where(ch.select(1, a).view({n, 1}), heads[2 * a + 1], heads[2 * a]));
  return torch::cat(parts, 1);
}

torch::Tensor SelectDomainLogits(const torch::Tensor& logits, const torch::Tensor& choices) {
  torch::Tensor idx = torch::arange(0, kNumDomains, 2, torch::TensorOptions().dtype(torch::kLong).device(logits.device()))
                          .unsqueeze(0) +
                      choices.to(logits.device()).to(torch::kLong).clamp(0, 1);
  return logits.gather(1, idx);
}

torch::Tensor MakeChoices(const std::vector<int>& per_attribute, int64_t batch) {
  if (per_attribute.size() != static_cast<size_t>(kNumAttributes))
    throw std::invalid_argument("MakeChoices needs one 0/1 choice per attribute (" +
                                std::to_string(kNumAttributes) + ")");
  std::vector<int64_t> v(per_attribute.begin(), per_attribute.end());
  return torch::tensor(v, torch::kLong).view({1, kNumAttributes}).repeat({batch, 1});
}

}  // namespace smile::models
