// Tensor <-> OpenCV conversions for previews, grids and tests.
#pragma once

#include <opencv2/core.hpp>
#include <torch/torch.h>

namespace smile::training {

// (3,H,W) or (1,3,H,W) RGB in [-1,1] -> BGR uint8 image.
cv::Mat ImageTensorToBgr(const torch::Tensor& chw);
// (H,W) class ids, or (19,H,W) one-hot / logits (argmax over classes) -> CV_8UC1 class map.
cv::Mat LabelTensorToMat(const torch::Tensor& t);

}  // namespace smile::training
