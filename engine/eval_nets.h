// Network-based evaluation metrics with feature networks the USER supplies as TorchScript
// files (no pretrained weights ship with smile):
//  - FID: Inception features (`--inception <file>`). The module takes RGB (N,3,S,S) in [0,1]
//    (S = 299 by default) and returns (N,D), (N,D,1,1) or a list/tuple whose last element is
//    that (e.g. pytorch-fid's InceptionV3([3]) traced with torch.jit.trace).
//  - LPIPS (`--lpips <file>`), two kinds of module, told apart by forward's arity:
//      forward(x, y) -> distance per sample (the lpips package's LPIPS module traced whole), or
//      forward(x)    -> a feature map or a list/tuple of them (AlexNet/VGG trunk); the distance is
//                       then LPIPS with uniform channel weights: per layer, features unit-normalised
//                       over channels, squared difference summed over channels, averaged over space,
//                       summed over layers.
//    Inputs are RGB in [-1,1].
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <torch/script.h>
#include <torch/torch.h>

#include "core/status.h"
#include "models/synthesis.h"

namespace smile::engine {

class InceptionFeatures {
 public:
  static Result<InceptionFeatures> Load(const std::string& path, int input_size = 299);
  // One row (CV_64F) per BGR image.
  Result<cv::Mat> Compute(const std::vector<cv::Mat>& images, int batch = 16);
  int input_size() const { return size_; }

 private:
  std::shared_ptr<torch::jit::Module> module_;
  int size_ = 299;
};

class LpipsMetric {
 public:
  // input_size 0: images are used at their own size.
  static Result<LpipsMetric> Load(const std::string& path, int input_size = 0);
  // BGR images of the same size; 0 for identical images.
  Result<double> Distance(const cv::Mat& a, const cv::Mat& b);
  // Tensors (N,3,H,W) in [-1,1] -> (N) distances.
  Result<torch::Tensor> Distance(const torch::Tensor& a, const torch::Tensor& b);
  bool pairwise_module() const { return pairwise_; }

 private:
  std::shared_ptr<torch::jit::Module> module_;
  bool pairwise_ = false;
  int size_ = 0;
};

// LPIPS diversity (paper table 4): `styles` random style matrices from the mapping network
// rendered on one mask (CV_8U labels), mean LPIPS over all pairs.
Result<double> LpipsDiversity(models::SynthesisNetwork& network, LpipsMetric& lpips, const cv::Mat& labels,
                              int styles = 10, uint64_t seed = 0);

}  // namespace smile::engine
