#include "models/attr_net.h"

#include <algorithm>
#include <cmath>

#include "models/attributes.h"
#include "models/checkpoint.h"

namespace smile::models {
namespace {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

int Round8(double v) { return std::max(8, static_cast<int>(std::lround(v / 8.0)) * 8); }

// conv + BatchNorm + ReLU6 (a module with a plain forward, so Sequentials can hold it).
struct ConvBnRelu6Impl : nn::Module {
  ConvBnRelu6Impl(int in, int out, int kernel, int stride, int groups = 1)
      : conv(register_module("conv", nn::Conv2d(nn::Conv2dOptions(in, out, kernel)
                                                     .stride(stride)
                                                     .padding(kernel / 2)
                                                     .groups(groups)
                                                     .bias(false)))),
        bn(register_module("bn", nn::BatchNorm2d(out))) {}
  torch::Tensor forward(const torch::Tensor& x) { return torch::clamp(bn->forward(conv->forward(x)), 0.0, 6.0); }
  nn::Conv2d conv;
  nn::BatchNorm2d bn;
};
TORCH_MODULE(ConvBnRelu6);

}  // namespace

Result<AttrNetSpec> AttrSpecFromConfig(const ModelConfig& c) {
  AttrNetSpec s;
  if (c.preset == "tiny") {
    s.width = 0.25;
    s.size = 64;  // at 32 px the last stages are 1x1: BatchNorm over N values only
  } else if (c.preset == "small") {
    s.width = 0.5;
    s.size = 128;
  } else if (c.preset == "paper") {
    s.size = 224;
  }
  try {
    if (auto it = c.extra.find("attr_input"); it != c.extra.end()) {
      if (it->second != "mask" && it->second != "image")
        return InvalidArgument("attr_input '" + it->second + "' must be mask or image");
      s.mask_input = it->second == "mask";
    }
    if (auto it = c.extra.find("attr_width"); it != c.extra.end()) s.width = std::stod(it->second);
    if (auto it = c.extra.find("attr_size"); it != c.extra.end()) s.size = std::stoi(it->second);
  } catch (const std::exception&) {
    return InvalidArgument("attribute classifier settings in the config are not numbers");
  }
  if (!(s.width > 0 && s.width <= 4)) return InvalidArgument("attr_width must be in (0, 4]");
  if (s.size < 32 || s.size % 32 != 0 || s.size > 1024)
    return InvalidArgument("attr_size " + std::to_string(s.size) + " must be a multiple of 32 in 32..1024");
  return s;
}

void StoreAttrSpec(const AttrNetSpec& s, ModelConfig* c) {
  c->extra["attr_input"] = s.mask_input ? "mask" : "image";
  char w[32];
  std::snprintf(w, sizeof(w), "%.6g", s.width);
  c->extra["attr_width"] = w;
  c->extra["attr_size"] = std::to_string(s.size);
}

InvertedResidualImpl::InvertedResidualImpl(int in, int out, int stride, int expand)
    : residual(stride == 1 && in == out) {
  const int hidden = in * expand;
  body = nn::Sequential();
  if (expand != 1) body->push_back(ConvBnRelu6(in, hidden, 1, 1));
  body->push_back(ConvBnRelu6(hidden, hidden, 3, stride, hidden));  // depthwise
  body->push_back(nn::Conv2d(nn::Conv2dOptions(hidden, out, 1).bias(false)));
  body->push_back(nn::BatchNorm2d(out));
  register_module("body", body);
}

torch::Tensor InvertedResidualImpl::forward(const torch::Tensor& x) {
  auto y = body->forward(x);
  return residual ? x + y : y;
}

AttrNetImpl::AttrNetImpl(const ModelConfig& c, const AttrNetSpec& s) : config(c), spec(s) {
  struct Row {
    int t, c, n, s;
  };
  const Row rows[] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                      {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  features = nn::Sequential();
  int in = Round8(32 * s.width);
  features->push_back(ConvBnRelu6(s.in_channels(c), in, 3, 2));
  for (const auto& r : rows) {
    const int out = Round8(r.c * s.width);
    for (int i = 0; i < r.n; ++i) {
      features->push_back(InvertedResidual(in, out, i == 0 ? r.s : 1, r.t));
      in = out;
    }
  }
  const int last = s.width > 1 ? Round8(1280 * s.width) : 1280;
  features->push_back(ConvBnRelu6(in, last, 1, 1));
  register_module("features", features);
  dropout = register_module("dropout", nn::Dropout(0.2));
  classifier = register_module("classifier", nn::Linear(last, kNumAttributes));
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* conv = m->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut);
    } else if (auto* lin = m->as<nn::Linear>()) {
      nn::init::normal_(lin->weight, 0, 0.01);
      nn::init::zeros_(lin->bias);
    }
  }
}

torch::Tensor AttrNetImpl::forward(const torch::Tensor& input) {
  auto x = input;
  if (x.size(2) != spec.size || x.size(3) != spec.size) {
    auto o = F::InterpolateFuncOptions().size(std::vector<int64_t>{spec.size, spec.size});
    if (spec.mask_input)
      o.mode(torch::kArea);
    else
      o.mode(torch::kBilinear).align_corners(false);
    x = F::interpolate(x, o);
  }
  auto f = features->forward(x);
  f = f.mean({2, 3});
  return classifier->forward(dropout->forward(f));
}

torch::Tensor AttrNetImpl::Probabilities(const torch::Tensor& x) {
  torch::NoGradGuard ng;
  const bool was = is_training();
  eval();
  auto p = torch::sigmoid(forward(x));
  train(was);
  return p;
}

torch::Tensor AttrNetImpl::MaskInput(const torch::Tensor& labels) const {
  auto l = labels.to(torch::kLong);
  return F::one_hot(l, config.num_classes).permute({0, 3, 1, 2}).to(torch::kFloat32);
}

Result<AttrNet> LoadAttrNet(const std::string& path, torch::Device device) {
  SMILE_ASSIGN_OR_RETURN(auto ckpt, LoadCheckpoint(path, kKindAttr));
  const ModelConfig& c = ckpt.header().config;
  SMILE_ASSIGN_OR_RETURN(auto spec, AttrSpecFromConfig(c));
  AttrNet net(c, spec);
  SMILE_RETURN_IF_ERROR(ckpt.LoadInto(*net));
  net->to(device);
  net->eval();
  return net;
}

}  // namespace smile::models
