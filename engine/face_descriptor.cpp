#include "engine/face_descriptor.h"

#include <opencv2/imgproc.hpp>

#include "engine/alignment.h"
#include "engine/face_detector.h"

namespace smile::engine {
namespace {
constexpr int kSide = 72, kGrid = 6;
// Map 8-bit LBP codes to 59 uniform-pattern bins.
std::vector<int> UniformMap() {
  std::vector<int> map(256, 58);
  int next = 0;
  for (int c = 0; c < 256; ++c) {
    int transitions = 0;
    for (int b = 0; b < 8; ++b) transitions += ((c >> b) & 1) != ((c >> ((b + 1) % 8)) & 1);
    if (transitions <= 2) map[c] = next++;
  }
  return map;
}
}  // namespace

FaceDescriptor ComputeDescriptor(const cv::Mat& frame, const Landmarks& pts) {
  static const std::vector<int> umap = UniformMap();
  AlignOptions o;
  o.size = kSide + 2;
  o.scale = 0.55;  // the inner face: brows to chin, no hair or background
  const Alignment a = ComputeAlignment(pts, o);
  cv::Mat g = ToGray(WarpToAligned(ToGray(frame), a));
  cv::equalizeHist(g, g);
  const int cell = kSide / kGrid;
  FaceDescriptor d(kGrid * kGrid * 59, 0.f);
  static const int dx[8] = {-1, 0, 1, 1, 1, 0, -1, -1}, dy[8] = {-1, -1, -1, 0, 1, 1, 1, 0};
  for (int y = 1; y <= kSide; ++y)
    for (int x = 1; x <= kSide; ++x) {
      const uint8_t c = g.at<uint8_t>(y, x);
      int code = 0;
      for (int k = 0; k < 8; ++k) code |= (g.at<uint8_t>(y + dy[k], x + dx[k]) >= c) << k;
      const int cy = std::min(kGrid - 1, (y - 1) / cell), cx = std::min(kGrid - 1, (x - 1) / cell);
      d[(cy * kGrid + cx) * 59 + umap[code]] += 1.f / (cell * cell);
    }
  return d;
}

double DescriptorSimilarity(const FaceDescriptor& a, const FaceDescriptor& b) {
  if (a.size() != b.size() || a.empty()) return 0;
  double chi = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double s = a[i] + b[i];
    if (s > 0) chi += (a[i] - b[i]) * (a[i] - b[i]) / s;
  }
  chi /= kGrid * kGrid;  // per cell, in [0, 2]
  return 1.0 - chi / 2.0;
}

}  // namespace smile::engine
