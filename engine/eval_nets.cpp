#include "engine/eval_nets.h"

#include <filesystem>

#include <opencv2/imgproc.hpp>

#include "models/image_tensor.h"

namespace smile::engine {
namespace {

Result<std::shared_ptr<torch::jit::Module>> LoadScript(const std::string& path, const std::string& what) {
  if (path.empty()) return NotFound(what + ": no TorchScript file given");
  if (!std::filesystem::exists(path))
    return NotFound(what + " network '" + path + "' does not exist; export it with torch.jit.trace(...).save()");
  try {
    auto m = std::make_shared<torch::jit::Module>(torch::jit::load(path, torch::kCPU));
    m->eval();
    return m;
  } catch (const std::exception& e) {
    std::string msg = e.what();
    if (msg.size() > 300) msg = msg.substr(0, 300) + "...";
    return Corrupt("cannot load " + what + " network '" + path + "' as TorchScript (" + msg +
                   "); save it with torch.jit.save from PyTorch");
  }
}

// The last tensor of an output that may be a tensor, tuple or list.
std::vector<torch::Tensor> OutputTensors(const c10::IValue& out) {
  std::vector<torch::Tensor> v;
  if (out.isTensor()) {
    v.push_back(out.toTensor());
  } else if (out.isTuple()) {
    for (const auto& e : out.toTupleRef().elements())
      if (e.isTensor()) v.push_back(e.toTensor());
  } else if (out.isList()) {
    for (const auto& e : out.toListRef())
      if (e.isTensor()) v.push_back(e.toTensor());
  } else if (out.isTensorList()) {
    for (const auto& t : out.toTensorVector()) v.push_back(t);
  }
  return v;
}

torch::Tensor Resize(const torch::Tensor& x, int size) {
  if (size <= 0 || (x.size(2) == size && x.size(3) == size)) return x;
  return torch::nn::functional::interpolate(
      x, torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{size, size})
             .mode(torch::kBilinear).align_corners(false));
}

}  // namespace

Result<InceptionFeatures> InceptionFeatures::Load(const std::string& path, int input_size) {
  InceptionFeatures f;
  SMILE_ASSIGN_OR_RETURN(f.module_, LoadScript(path, "Inception (FID)"));
  f.size_ = input_size;
  return f;
}

Result<cv::Mat> InceptionFeatures::Compute(const std::vector<cv::Mat>& images, int batch) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> rows;
  for (size_t i = 0; i < images.size(); i += batch) {
    std::vector<torch::Tensor> xs;
    for (size_t j = i; j < std::min(images.size(), i + batch); ++j)
      xs.push_back(Resize(models::ImageToTensor(images[j]), size_));
    auto x = (torch::cat(xs) + 1) * 0.5;  // [0,1]
    try {
      auto outs = OutputTensors(module_->forward({x}));
      if (outs.empty()) return InvalidArgument("the Inception network returned no tensor; it must return (N,D)");
      rows.push_back(outs.back().flatten(1).to(torch::kDouble).contiguous());
    } catch (const std::exception& e) {
      return InvalidArgument(std::string("the Inception network failed on a (N,3,") + std::to_string(size_) + "," +
                             std::to_string(size_) + ") batch in [0,1]: " + std::string(e.what()).substr(0, 300));
    }
  }
  auto all = torch::cat(rows).contiguous();
  cv::Mat m(static_cast<int>(all.size(0)), static_cast<int>(all.size(1)), CV_64F, all.data_ptr<double>());
  return m.clone();
}

Result<LpipsMetric> LpipsMetric::Load(const std::string& path, int input_size) {
  LpipsMetric l;
  SMILE_ASSIGN_OR_RETURN(l.module_, LoadScript(path, "LPIPS"));
  try {
    l.pairwise_ = l.module_->get_method("forward").num_inputs() >= 3;  // self, x, y
  } catch (const std::exception&) {
    return InvalidArgument("LPIPS network '" + path + "' has no forward method");
  }
  l.size_ = input_size;
  return l;
}

Result<torch::Tensor> LpipsMetric::Distance(const torch::Tensor& a_in, const torch::Tensor& b_in) {
  torch::NoGradGuard no_grad;
  auto a = Resize(a_in, size_), b = Resize(b_in, size_);
  try {
    if (pairwise_) return module_->forward({a, b}).toTensor().reshape({a.size(0), -1}).sum(1);
    auto fa = OutputTensors(module_->forward({a}));
    auto fb = OutputTensors(module_->forward({b}));
    if (fa.empty() || fa.size() != fb.size()) return InvalidArgument("the LPIPS feature network returned no feature maps");
    auto total = torch::zeros({a.size(0)});
    for (size_t k = 0; k < fa.size(); ++k) {
      auto na = fa[k] / (fa[k].pow(2).sum(1, true).sqrt() + 1e-10);
      auto nb = fb[k] / (fb[k].pow(2).sum(1, true).sqrt() + 1e-10);
      auto d = (na - nb).pow(2).sum(1);  // (N, h, w) or (N)
      total += d.dim() > 1 ? d.flatten(1).mean(1) : d;
    }
    return total;
  } catch (const std::exception& e) {
    return InvalidArgument("the LPIPS network failed on RGB input in [-1,1]: " + std::string(e.what()).substr(0, 300));
  }
}

Result<double> LpipsMetric::Distance(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size()) return InvalidArgument("LPIPS needs two images of the same size");
  SMILE_ASSIGN_OR_RETURN(auto d, Distance(models::ImageToTensor(a), models::ImageToTensor(b)));
  return d[0].item<double>();
}

Result<double> LpipsDiversity(models::SynthesisNetwork& network, LpipsMetric& lpips, const cv::Mat& labels,
                              int styles, uint64_t seed) {
  if (styles < 2) return InvalidArgument("LPIPS diversity needs at least 2 styles");
  torch::NoGradGuard no_grad;
  network->eval();
  torch::manual_seed(seed);
  const int s = network->config.image_size;
  cv::Mat small;
  cv::resize(labels, small, cv::Size(s, s), 0, 0, cv::INTER_NEAREST);
  auto mask = models::LabelsToOneHot(small, network->config.num_classes);
  auto noise = network->generator->MakeNoise(0);
  std::vector<torch::Tensor> images;
  for (int i = 0; i < styles; ++i)
    images.push_back(network->generator->forward(mask, network->mapping->Sample(1), noise).clamp(-1, 1));
  double total = 0;
  int pairs = 0;
  for (int i = 0; i < styles; ++i)
    for (int j = i + 1; j < styles; ++j) {
      SMILE_ASSIGN_OR_RETURN(auto d, lpips.Distance(images[i], images[j]));
      total += d[0].item<double>();
      ++pairs;
    }
  return total / pairs;
}

}  // namespace smile::engine
