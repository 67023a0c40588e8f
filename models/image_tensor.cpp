#include "models/image_tensor.h"

#include <opencv2/imgproc.hpp>

namespace smile::models {

torch::Tensor ImageToTensor(const cv::Mat& bgr) {
  cv::Mat rgb;
  if (bgr.channels() == 1) cv::cvtColor(bgr, rgb, cv::COLOR_GRAY2RGB);
  else cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  auto t = torch::from_blob(rgb.data, {rgb.rows, rgb.cols, 3}, torch::kUInt8).clone();
  return t.permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat).div_(127.5).sub_(1.0).contiguous();
}

cv::Mat TensorToImage(const torch::Tensor& rgb) {
  auto t = rgb.detach().to(torch::kCPU, torch::kFloat);
  if (t.dim() == 4) t = t[0];
  t = t.clamp(-1, 1).add(1).mul(127.5).round().to(torch::kUInt8).permute({1, 2, 0}).contiguous();
  cv::Mat img(static_cast<int>(t.size(0)), static_cast<int>(t.size(1)), CV_8UC3, t.data_ptr<uint8_t>());
  cv::Mat bgr;
  cv::cvtColor(img, bgr, cv::COLOR_RGB2BGR);
  return bgr;
}

torch::Tensor LabelsToTensor(const cv::Mat& labels) {
  CV_Assert(labels.type() == CV_8UC1);
  cv::Mat c = labels.isContinuous() ? labels : labels.clone();
  return torch::from_blob(c.data, {1, c.rows, c.cols}, torch::kUInt8).to(torch::kLong);
}

torch::Tensor ChannelsToTensor(const cv::Mat& m, int channels, cv::Size size) {
  if (m.empty()) return torch::zeros({1, channels, size.height, size.width});
  CV_Assert(m.type() == CV_32FC(channels));
  cv::Mat c = m.isContinuous() ? m : m.clone();
  return torch::from_blob(c.data, {1, c.rows, c.cols, channels}, torch::kFloat).permute({0, 3, 1, 2}).contiguous();
}

torch::Tensor LabelsToOneHot(const cv::Mat& labels, int num_classes) {
  auto ids = LabelsToTensor(labels).clamp(0, num_classes - 1);
  return torch::nn::functional::one_hot(ids, num_classes).permute({0, 3, 1, 2}).to(torch::kFloat).contiguous();
}

cv::Mat TensorToLabels(const torch::Tensor& t) {
  auto ids = t.detach().to(torch::kCPU);
  if (ids.dim() == 4) ids = ids.argmax(1);
  if (ids.dim() == 3) ids = ids[0];
  ids = ids.to(torch::kUInt8).contiguous();
  return cv::Mat(static_cast<int>(ids.size(0)), static_cast<int>(ids.size(1)), CV_8UC1, ids.data_ptr<uint8_t>())
      .clone();
}

}  // namespace smile::models
