// A simple identity descriptor for choosing "the same person as in this photo":
// uniform-LBP histograms on a 6x6 grid of the aligned, equalised inner face
// (Ahonen et al. 2006), compared with the chi-square distance. It tells people
// apart in one clip or between a few candidates; it is no face-recognition network.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

#include "engine/landmarks.h"

namespace smile::engine {

using FaceDescriptor = std::vector<float>;

FaceDescriptor ComputeDescriptor(const cv::Mat& frame, const Landmarks& pts);
// 1 for identical descriptors, towards 0 for unrelated faces.
double DescriptorSimilarity(const FaceDescriptor& a, const FaceDescriptor& b);

}  // namespace smile::engine
