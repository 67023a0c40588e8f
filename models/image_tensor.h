// Conversions between OpenCV images / label maps and the tensors the networks take.
// Images: BGR uint8 (H,W,3) <-> RGB float (1,3,H,W) in [-1,1]. Labels: CV_8U class ids
// <-> one-hot float (1,C,H,W) or int64 (1,H,W).
#pragma once

#include <opencv2/core.hpp>
#include <torch/torch.h>

namespace smile::models {

torch::Tensor ImageToTensor(const cv::Mat& bgr);
// Clamps to [-1,1]; takes the first sample of a batch.
cv::Mat TensorToImage(const torch::Tensor& rgb);
// Labels (CV_8U, values < num_classes) -> (1,C,H,W) float one-hot.
torch::Tensor LabelsToOneHot(const cv::Mat& labels, int num_classes);
// Labels -> (1,H,W) int64.
torch::Tensor LabelsToTensor(const cv::Mat& labels);
// Float channels (CV_32FC(channels), e.g. mesh geometry) -> (1,channels,H,W) float, an owned copy;
// empty: zeros of `size`.
torch::Tensor ChannelsToTensor(const cv::Mat& channels_hwc, int channels, cv::Size size);
// (1,C,H,W) logits/probabilities or (1,H,W) ids -> CV_8U labels.
cv::Mat TensorToLabels(const torch::Tensor& t);

}  // namespace smile::models
