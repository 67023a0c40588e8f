#include "models/parser_net.h"

#include <stdexcept>
#include <string>

namespace smile::models {
namespace F = torch::nn::functional;
namespace nn = torch::nn;

namespace {
torch::Tensor Resize(const torch::Tensor& x, int64_t h, int64_t w) {
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{h, w})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}
}  // namespace

ConvBNReLUImpl::ConvBNReLUImpl(int in_, int out_, int kernel_, int stride_)
    : in(in_), out(out_), kernel(kernel_), stride(stride_) {
  reset();
}

void ConvBNReLUImpl::reset() {
  conv = register_module(
      "conv", nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false)));
  bn = register_module("bn", nn::BatchNorm2d(out));
  nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
}

torch::Tensor ConvBNReLUImpl::forward(const torch::Tensor& x) { return torch::relu(bn->forward(conv->forward(x))); }

ParserNetImpl::ParserNetImpl(const ModelConfig& c) : config(c) {
  if (c.parser_size < 32 || c.parser_size % 16 != 0)
    throw std::invalid_argument("ParserNet needs parser_size a multiple of 16 (>= 32), got " +
                                std::to_string(c.parser_size) + "; fix the model config");
  reset();
}

void ParserNetImpl::reset() {
  const ModelConfig& c = config;
  const int w = std::max(8, c.parser_base_width);
  stem1 = register_module("stem1", ConvBNReLU(3, w, 3, 2));
  stem2 = register_module("stem2", ConvBNReLU(w, w, 3));
  enc1a = register_module("enc1a", ConvBNReLU(w, 2 * w, 3, 2));
  enc1b = register_module("enc1b", ConvBNReLU(2 * w, 2 * w, 3));
  enc2a = register_module("enc2a", ConvBNReLU(2 * w, 4 * w, 3, 2));
  enc2b = register_module("enc2b", ConvBNReLU(4 * w, 4 * w, 3));
  enc3a = register_module("enc3a", ConvBNReLU(4 * w, 8 * w, 3, 2));
  enc3b = register_module("enc3b", ConvBNReLU(8 * w, 8 * w, 3));
  context = register_module("context", nn::Conv2d(nn::Conv2dOptions(8 * w, 8 * w, 1)));
  lat3 = register_module("lat3", nn::Conv2d(nn::Conv2dOptions(8 * w, 4 * w, 1)));
  lat2 = register_module("lat2", nn::Conv2d(nn::Conv2dOptions(4 * w, 2 * w, 1)));
  lat1 = register_module("lat1", nn::Conv2d(nn::Conv2dOptions(2 * w, w, 1)));
  dec3 = register_module("dec3", ConvBNReLU(4 * w, 4 * w, 3));
  dec2 = register_module("dec2", ConvBNReLU(2 * w, 2 * w, 3));
  dec1 = register_module("dec1", ConvBNReLU(w, w, 3));
  head = register_module("head", nn::Conv2d(nn::Conv2dOptions(w, c.num_classes, 1)));
}

torch::Tensor ParserNetImpl::forward(const torch::Tensor& rgb) {
  if (rgb.dim() != 4 || rgb.size(1) != 3 || rgb.size(2) % 16 != 0 || rgb.size(3) % 16 != 0)
    throw std::invalid_argument("ParserNet expects RGB (N,3,H,W) with H, W multiples of 16, got " +
                                c10::str(rgb.sizes()) + "; resize to parser_size");
  torch::Tensor s1 = stem2->forward(stem1->forward(rgb));  // 1/2
  torch::Tensor e1 = enc1b->forward(enc1a->forward(s1));   // 1/4
  torch::Tensor e2 = enc2b->forward(enc2a->forward(e1));   // 1/8
  torch::Tensor e3 = enc3b->forward(enc3a->forward(e2));   // 1/16
  e3 = e3 + torch::relu(context->forward(e3.mean({2, 3}, /*keepdim=*/true)));
  torch::Tensor d = dec3->forward(Resize(lat3->forward(e3), e2.size(2), e2.size(3)) + e2);
  d = dec2->forward(Resize(lat2->forward(d), e1.size(2), e1.size(3)) + e1);
  d = dec1->forward(Resize(lat1->forward(d), s1.size(2), s1.size(3)) + s1);
  return Resize(head->forward(d), rgb.size(2), rgb.size(3));
}

ParserPrediction ParserNetImpl::Predict(const torch::Tensor& rgb) {
  torch::NoGradGuard no_grad;
  const bool was_training = is_training();
  eval();
  torch::Tensor x = rgb.dim() == 3 ? rgb.unsqueeze(0) : rgb;
  if (x.size(2) != config.parser_size || x.size(3) != config.parser_size)
    x = Resize(x, config.parser_size, config.parser_size);
  ParserPrediction p;
  torch::Tensor logits = forward(x);
  p.probs = torch::softmax(logits, 1);
  p.labels = logits.argmax(1).to(torch::kUInt8);
  if (was_training) train();
  return p;
}

torch::Tensor ParserLoss(const torch::Tensor& logits, const torch::Tensor& labels, double dice_weight) {
  if (labels.dim() != 3 || labels.size(0) != logits.size(0) || labels.size(1) != logits.size(2) ||
      labels.size(2) != logits.size(3))
    throw std::invalid_argument("ParserLoss: labels " + c10::str(labels.sizes()) + " do not match logits " +
                                c10::str(logits.sizes()));
  torch::Tensor target = labels.to(torch::kLong);
  torch::Tensor loss = F::cross_entropy(logits, target);
  if (dice_weight <= 0) return loss;
  const int64_t k = logits.size(1);
  torch::Tensor prob = torch::softmax(logits, 1);
  torch::Tensor onehot = F::one_hot(target, k).permute({0, 3, 1, 2}).to(prob.dtype());
  torch::Tensor inter = (prob * onehot).sum({0, 2, 3});
  torch::Tensor denom = prob.sum({0, 2, 3}) + onehot.sum({0, 2, 3});
  torch::Tensor present = (onehot.sum({0, 2, 3}) > 0).to(prob.dtype());
  torch::Tensor dice = (2 * inter + 1.0) / (denom + 1.0);
  torch::Tensor mean_dice = (dice * present).sum() / present.sum().clamp_min(1.0);
  return loss + dice_weight * (1.0 - mean_dice);
}

}  // namespace smile::models
