// Face parser: RGB -> 19-class CelebAMask-HQ logits (label order in
// shared/media/MANIFEST.md). A small, CPU-friendly encoder-decoder in the
// spirit of BiSeNet / FPN:
//   stem   : ConvBNReLU 3->w stride 2, ConvBNReLU w->w            (1/2)
//   enc1-3 : [ConvBNReLU stride 2, ConvBNReLU] to 2w, 4w, 8w       (1/4 .. 1/16)
//   context: global average pool -> 1x1 conv + ReLU, added to enc3 (BiSeNet's
//            global context, no BatchNorm so batch 1 trains)
//   decoder: FPN-style: 1x1 lateral projection, bilinear up x2, add the skip,
//            ConvBNReLU 3x3 at 1/8, 1/4, 1/2
//   head   : 1x1 conv w->19 at 1/2, bilinear up to the input size.
// w = config.parser_base_width (32 by default; about 1.3 GMAC at 256 px).
// Input: float RGB (N,3,H,W) in [-1,1], H and W multiples of 16.
// Train with ParserLoss (cross-entropy + soft Dice).
#pragma once

#include <torch/torch.h>

#include "models/config.h"

namespace smile::models {

struct ConvBNReLUImpl : torch::nn::Cloneable<ConvBNReLUImpl> {
  ConvBNReLUImpl(int in, int out, int kernel, int stride = 1);
  void reset() override;
  int in, out, kernel, stride;
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(ConvBNReLU);

struct ParserPrediction {
  torch::Tensor labels;  // (N,S,S) uint8 class index
  torch::Tensor probs;   // (N,19,S,S) float softmax
};

struct ParserNetImpl : torch::nn::Cloneable<ParserNetImpl> {
  explicit ParserNetImpl(const ModelConfig& config);
  void reset() override;
  // rgb (N,3,H,W) in [-1,1] -> logits (N,num_classes,H,W).
  torch::Tensor forward(const torch::Tensor& rgb);
  // Resizes rgb to parser_size (bilinear) when needed, runs in eval mode without
  // gradients (restoring the previous mode) and returns argmax labels and softmax
  // probabilities at parser_size.
  ParserPrediction Predict(const torch::Tensor& rgb);

  ModelConfig config;
  ConvBNReLU stem1{nullptr}, stem2{nullptr};
  ConvBNReLU enc1a{nullptr}, enc1b{nullptr}, enc2a{nullptr}, enc2b{nullptr}, enc3a{nullptr}, enc3b{nullptr};
  torch::nn::Conv2d context{nullptr};
  torch::nn::Conv2d lat3{nullptr}, lat2{nullptr}, lat1{nullptr};
  ConvBNReLU dec3{nullptr}, dec2{nullptr}, dec1{nullptr};
  torch::nn::Conv2d head{nullptr};
};
TORCH_MODULE(ParserNet);

// Mean cross-entropy + dice_weight * (1 - mean soft Dice over the classes
// present in the batch's labels). labels: (N,H,W) integer class
// indices (uint8 or int64) at the logits' size.
torch::Tensor ParserLoss(const torch::Tensor& logits, const torch::Tensor& labels, double dice_weight = 1.0);

}  // namespace smile::models
