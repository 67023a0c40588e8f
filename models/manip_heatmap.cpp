#include "models/manip_heatmap.h"

#include <stdexcept>
#include <string>

namespace smile::models {

torch::Tensor LandmarkHeatmap68(const std::vector<std::array<float, 2>>& points, int size, double sigma_px) {
  if (points.size() != 68)
    throw std::invalid_argument("LandmarkHeatmap68 needs dlib's 68 landmarks, got " +
                                std::to_string(points.size()));
  if (size <= 0) throw std::invalid_argument("LandmarkHeatmap68 needs a positive size");
  const double sigma = sigma_px > 0 ? sigma_px : size / 64.0;
  auto splat = [&](const std::vector<std::pair<int, int>>& ranges) {
    std::vector<float> xs, ys;
    for (auto [a, b] : ranges)
      for (int i = a; i <= b; ++i) {
        xs.push_back(points[i][0]);
        ys.push_back(points[i][1]);
      }
    const int64_t k = static_cast<int64_t>(xs.size());
    torch::Tensor px = torch::from_blob(xs.data(), {k, 1, 1}, torch::kFloat).clone();
    torch::Tensor py = torch::from_blob(ys.data(), {k, 1, 1}, torch::kFloat).clone();
    torch::Tensor coord = torch::arange(size, torch::kFloat) + 0.5f;
    torch::Tensor gx = (coord.view({1, 1, size}) - px).pow(2);  // (k,1,S)
    torch::Tensor gy = (coord.view({1, size, 1}) - py).pow(2);  // (k,S,1)
    return torch::exp(-(gx + gy) / (2 * sigma * sigma)).sum(0).clamp(0, 1);  // (S,S)
  };
  torch::Tensor full = splat({{4, 12}, {17, 26}, {27, 35}, {36, 47}, {48, 67}});
  torch::Tensor inner = splat({{27, 35}, {36, 47}});
  return torch::stack({full, inner}).unsqueeze(0);
}

}  // namespace smile::models
