#include "training/tensor_image.h"

namespace smile::training {

cv::Mat ImageTensorToBgr(const torch::Tensor& chw_in) {
  torch::Tensor t = chw_in.detach().to(torch::kCPU, torch::kFloat32);
  if (t.dim() == 4) t = t[0];
  t = ((t.clamp(-1, 1) + 1) * 127.5).round().to(torch::kUInt8);
  if (t.size(0) == 1) t = t.expand({3, t.size(1), t.size(2)});
  t = t.flip({0}).permute({1, 2, 0}).contiguous();  // RGB -> BGR, HWC
  cv::Mat m(static_cast<int>(t.size(0)), static_cast<int>(t.size(1)), CV_8UC3, t.data_ptr<uint8_t>());
  return m.clone();
}

cv::Mat LabelTensorToMat(const torch::Tensor& in) {
  torch::Tensor t = in.detach().to(torch::kCPU);
  if (t.dim() == 4) t = t[0];
  if (t.dim() == 3) t = t.argmax(0);
  t = t.clamp(0, 255).to(torch::kUInt8).contiguous();
  cv::Mat m(static_cast<int>(t.size(0)), static_cast<int>(t.size(1)), CV_8UC1, t.data_ptr<uint8_t>());
  return m.clone();
}

}  // namespace smile::training
