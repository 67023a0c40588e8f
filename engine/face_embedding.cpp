#include "engine/face_embedding.h"

#include <cmath>

#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/face_detector.h"
#include "models/tfjs_graph.h"

namespace smile::engine {

struct FaceEmbedder::Impl {
  models::TfjsGraph graph;
};

Result<FaceEmbedder> FaceEmbedder::Load(const FaceEmbedderOptions& o) {
  auto impl = std::make_shared<Impl>();
  SMILE_ASSIGN_OR_RETURN(impl->graph, models::TfjsGraph::LoadFetched("faceres", o.models_dir, o.device));
  FaceEmbedder e;
  e.impl_ = std::move(impl);
  return e;
}

cv::Mat FaceEmbedder::AlignedCrop(const cv::Mat& image, const Landmarks& p, int size, double zoom) {
  // ArcFace's 112x112 five-point template (image-left eye, image-right eye, nose tip, mouth
  // corners), scaled to `size` and shrunk about the centre by `zoom` (< 1: more margin).
  const std::vector<cv::Point2f> tmpl = {{38.2946f, 51.6963f}, {73.5318f, 51.5014f}, {56.0252f, 71.7366f},
                                         {41.5493f, 92.3655f}, {70.7299f, 92.2041f}};
  std::vector<cv::Point2f> dst;
  for (const auto& t : tmpl)
    dst.push_back({static_cast<float>(((t.x - 56) * zoom + 56) * size / 112.0),
                   static_cast<float>(((t.y - 56) * zoom + 56) * size / 112.0)});
  const std::vector<cv::Point2f> src = {RightEyeCenter(p), LeftEyeCenter(p), p[30], p[48], p[54]};
  cv::Mat m = cv::estimateAffinePartial2D(src, dst, cv::noArray(), cv::LMEDS);
  cv::Mat crop;
  if (m.empty()) return crop;
  cv::warpAffine(ToBgr(image), crop, m, cv::Size(size, size), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return crop;
}

Result<std::vector<float>> FaceEmbedder::Embed(const cv::Mat& image, const Landmarks& pts) const {
  if (image.empty()) return InvalidArgument("FaceEmbedder: empty image");
  if (pts.size() != 68) return InvalidArgument("FaceEmbedder: needs 68 landmarks, got " + std::to_string(pts.size()));
  const cv::Mat crop = AlignedCrop(image, pts, 224, 0.5);
  if (crop.empty()) return InvalidArgument("FaceEmbedder: degenerate landmarks");
  cv::Mat rgb, f;
  cv::cvtColor(crop, rgb, cv::COLOR_BGR2RGB);
  rgb.convertTo(f, CV_32FC3);  // faceres takes RGB 0..255 (Human: src/face/faceres.ts)
  const torch::Tensor x = torch::from_blob(f.data, {1, 224, 224, 3}, torch::kFloat).clone();
  SMILE_ASSIGN_OR_RETURN(std::vector<torch::Tensor> out, impl_->graph.Run({{"input_1", x}}, {"global_pooling/Mean"}));
  const torch::Tensor e = out[0].to(torch::kCPU).reshape({-1}).contiguous();
  std::vector<float> v(e.data_ptr<float>(), e.data_ptr<float>() + e.numel());
  double n = 0;
  for (float a : v) n += a * a;
  n = std::sqrt(std::max(n, 1e-12));
  for (float& a : v) a = static_cast<float>(a / n);
  return v;
}

double FaceEmbedder::Distance(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) d += a[i] * b[i];
  return 1 - d;
}

}  // namespace smile::engine
