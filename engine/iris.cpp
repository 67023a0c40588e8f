#include "engine/iris.h"

#include <cmath>

#include <opencv2/imgproc.hpp>

#include "engine/face_detector.h"
#include "models/tfjs_graph.h"

namespace smile::engine {

namespace {
constexpr int kSize = 64;
constexpr int kRegionPoints = 71, kIrisPoints = 5;
}  // namespace

struct IrisModel::Impl {
  models::TfjsGraph graph;
};

Result<IrisModel> IrisModel::Load(const IrisOptions& o) {
  auto impl = std::make_shared<Impl>();
  SMILE_ASSIGN_OR_RETURN(impl->graph, models::TfjsGraph::LoadFetched("iris", o.models_dir, o.device));
  IrisModel m;
  m.impl_ = std::move(impl);
  m.o_ = o;
  return m;
}

Result<std::array<EyeIris, 2>> IrisModel::Fit(const cv::Mat& image, const Landmarks& p) const {
  if (p.size() != 68) return InvalidArgument("Iris: needs 68 landmarks, got " + std::to_string(p.size()));
  return FitCorners(image, {p[36], p[39], p[42], p[45]});
}

Result<std::array<EyeIris, 2>> IrisModel::FitCorners(const cv::Mat& image,
                                                     const std::array<cv::Point2f, 4>& corners) const {
  if (image.empty()) return InvalidArgument("Iris: empty image");
  const cv::Mat bgr = ToBgr(image);
  std::array<EyeIris, 2> eyes;
  std::array<cv::Matx23d, 2> to_crop;
  torch::Tensor x = torch::empty({2, kSize, kSize, 3}, torch::kFloat);
  for (int e = 0; e < 2; ++e) {
    cv::Point2f a = corners[2 * e], b = corners[2 * e + 1];
    if (a.x > b.x) std::swap(a, b);
    const double width = cv::norm(b - a);
    if (width < 2) return InvalidArgument("Iris: eye too small (" + std::to_string(width) + " px between corners)");
    const cv::Point2f c = 0.5f * (a + b);
    const double angle = std::atan2(b.y - a.y, b.x - a.x);
    const double scale = kSize / (o_.box_scale * width);
    // Image -> crop: rotate the corner line level, scale, centre; the image-right eye mirrored.
    const double mirror = e == 1 ? -1.0 : 1.0;
    const double ca = std::cos(angle) * scale, sa = std::sin(angle) * scale;
    cv::Matx23d m(mirror * ca, mirror * sa, 0, -sa, ca, 0);
    m(0, 2) = kSize / 2.0 - (m(0, 0) * c.x + m(0, 1) * c.y);
    m(1, 2) = kSize / 2.0 - (m(1, 0) * c.x + m(1, 1) * c.y);
    to_crop[e] = m;
    cv::Mat crop, rgb, f;
    cv::warpAffine(bgr, crop, m, cv::Size(kSize, kSize), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    cv::cvtColor(crop, rgb, cv::COLOR_BGR2RGB);
    rgb.convertTo(f, CV_32FC3, 1.0 / 255);
    x[e].copy_(torch::from_blob(f.data, {kSize, kSize, 3}, torch::kFloat));
    eyes[e].corner_left = a;
    eyes[e].corner_right = b;
  }
  SMILE_ASSIGN_OR_RETURN(std::vector<torch::Tensor> out, impl_->graph.Run(x));
  const torch::Tensor pts = out[0].to(torch::kCPU).to(torch::kFloat).reshape({2, -1}).contiguous();
  if (pts.size(1) < 3 * (kRegionPoints + kIrisPoints))
    return Internal("Iris: the model gave " + std::to_string(pts.size(1)) + " values per eye, expected " +
                    std::to_string(3 * (kRegionPoints + kIrisPoints)));
  for (int e = 0; e < 2; ++e) {
    cv::Matx23d inv;
    cv::invertAffineTransform(to_crop[e], inv);
    const float* q = pts[e].data_ptr<float>();
    auto back = [&](int i) {
      const double u = q[3 * i], v = q[3 * i + 1];
      return cv::Point2f(static_cast<float>(inv(0, 0) * u + inv(0, 1) * v + inv(0, 2)),
                         static_cast<float>(inv(1, 0) * u + inv(1, 1) * v + inv(1, 2)));
    };
    for (int i = 0; i < kRegionPoints; ++i) eyes[e].region.push_back(back(i));
    for (int i = 0; i < kIrisPoints; ++i) eyes[e].iris.push_back(back(kRegionPoints + i));
  }
  return eyes;
}

cv::Point2f EyeGaze(const EyeIris& eye) {
  if (eye.iris.empty() || eye.region.size() < 9) return {0, 0};
  // The corners as the model itself placed them (the lower lid's ends, points 0 and 8): the
  // landmarks the crop was cut from are noisier than the model's own frame of reference.
  cv::Point2f a = eye.region[0], b = eye.region[8];
  if (a.x > b.x) std::swap(a, b);
  const cv::Point2f d = b - a;
  const float w2 = d.dot(d);
  if (w2 < 1e-6f) return {0, 0};
  const cv::Point2f o = eye.iris[0] - 0.5f * (a + b);
  return {o.dot(d) / w2, (d.x * o.y - d.y * o.x) / w2};
}

Gaze GazeOf(const std::array<EyeIris, 2>& eyes) {
  Gaze g;
  g.right = EyeGaze(eyes[0]);
  g.left = EyeGaze(eyes[1]);
  g.valid = !eyes[0].iris.empty() && !eyes[1].iris.empty();
  return g;
}

}  // namespace smile::engine
