#include "engine/blazeface_detector.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "models/tfjs_graph.h"

namespace smile::engine {

struct BlazeFaceDetector::Impl {
  models::TfjsGraph graph;
  std::vector<cv::Point2f> anchors;  // centres in [0, 1], in the order of the concatenated heads
  int size = 256;                    // square input side; box offsets are in these pixels
};

namespace {
// MediaPipe's SSD anchors: a 16x16 grid with 2 anchors per cell, then an 8x8 grid with 6 (strides
// 16 and 32 of the back model's 256 px, 8 and 16 of the front model's 128 px: the same centres in
// [0, 1]); fixed anchor size 1.
std::vector<cv::Point2f> Anchors() {
  std::vector<cv::Point2f> a;
  for (auto [grid, per] : {std::pair{16, 2}, std::pair{8, 6}})
    for (int y = 0; y < grid; ++y)
      for (int x = 0; x < grid; ++x)
        for (int k = 0; k < per; ++k) a.emplace_back((x + 0.5f) / grid, (y + 0.5f) / grid);
  return a;
}
}  // namespace

Result<BlazeFaceDetector> BlazeFaceDetector::Load(const BlazeFaceOptions& o) {
  if (o.model != "blazeface" && o.model != "blazeface-front")
    return InvalidArgument("BlazeFace model must be blazeface or blazeface-front, not '" + o.model + "'");
  auto impl = std::make_shared<Impl>();
  SMILE_ASSIGN_OR_RETURN(impl->graph, models::TfjsGraph::LoadFetched(o.model, o.models_dir, o.device));
  impl->anchors = Anchors();
  const auto& shapes = impl->graph.input_shapes();
  if (!shapes.empty() && shapes[0].size() == 4 && shapes[0][1] > 0) impl->size = static_cast<int>(shapes[0][1]);
  if (impl->size != 128 && impl->size != 256)
    return Corrupt(models::ModelsDir(o.models_dir) + "/" + o.model + ".json: unexpected BlazeFace input size " + std::to_string(impl->size) + " (expected 128 or 256)");
  BlazeFaceDetector d;
  d.impl_ = std::move(impl);
  d.o_ = o;
  return d;
}

int BlazeFaceDetector::input_size() const { return impl_->size; }

Result<std::vector<BlazeFace>> BlazeFaceDetector::Detect(const cv::Mat& frame) const {
  if (frame.empty()) return InvalidArgument("BlazeFace: empty frame");
  const int kSize = impl_->size;
  // Letterbox: the frame centred in a square (black borders), then the model's side, RGB in [-1, 1].
  const cv::Mat bgr = ToBgr(frame);
  const int side = std::max(bgr.cols, bgr.rows);
  const int ox = (side - bgr.cols) / 2, oy = (side - bgr.rows) / 2;
  cv::Mat square(side, side, CV_8UC3, cv::Scalar(0, 0, 0));
  bgr.copyTo(square(cv::Rect(ox, oy, bgr.cols, bgr.rows)));
  cv::Mat small, rgb, f;
  cv::resize(square, small, cv::Size(kSize, kSize), 0, 0, cv::INTER_AREA);
  cv::cvtColor(small, rgb, cv::COLOR_BGR2RGB);
  rgb.convertTo(f, CV_32FC3, 1.0 / 127.5, -1.0);
  const torch::Tensor x = torch::from_blob(f.data, {1, kSize, kSize, 3}, torch::kFloat).clone();
  // Identity / Identity_1: scores of the fine / coarse heads; Identity_2 / Identity_3: their boxes.
  SMILE_ASSIGN_OR_RETURN(std::vector<torch::Tensor> out,
                         impl_->graph.Run({{impl_->graph.input_names()[0], x}},
                                          {"Identity", "Identity_1", "Identity_2", "Identity_3"}));
  const torch::Tensor scores = torch::cat({out[0], out[1]}, 1).reshape({-1}).to(torch::kCPU).contiguous();
  const torch::Tensor regs = torch::cat({out[2], out[3]}, 1).reshape({-1, 16}).to(torch::kCPU).contiguous();
  const int n = static_cast<int>(scores.size(0));
  if (n != static_cast<int>(impl_->anchors.size()) || regs.size(0) != n)
    return Internal("BlazeFace: unexpected output sizes " + std::to_string(n));
  const float* s = scores.data_ptr<float>();
  const float* r = regs.data_ptr<float>();
  struct Cand {
    float score;
    float v[16];  // box (cx, cy, w, h) + 6 keypoints, in [0, 1] of the square
  };
  std::vector<Cand> cands;
  for (int i = 0; i < n; ++i) {
    const float score = 1.f / (1.f + std::exp(-std::clamp(s[i], -100.f, 100.f)));
    if (score < o_.min_score) continue;
    Cand c;
    c.score = score;
    const cv::Point2f a = impl_->anchors[i];
    const float* q = r + 16 * i;
    c.v[0] = q[0] / kSize + a.x, c.v[1] = q[1] / kSize + a.y, c.v[2] = q[2] / kSize, c.v[3] = q[3] / kSize;
    for (int k = 0; k < 6; ++k) c.v[4 + 2 * k] = q[4 + 2 * k] / kSize + a.x, c.v[5 + 2 * k] = q[5 + 2 * k] / kSize + a.y;
    cands.push_back(c);
  }
  std::sort(cands.begin(), cands.end(), [](const Cand& a, const Cand& b) { return a.score > b.score; });
  auto rect = [](const Cand& c) { return cv::Rect2f(c.v[0] - c.v[2] / 2, c.v[1] - c.v[3] / 2, c.v[2], c.v[3]); };
  // Weighted non-maximum suppression.
  std::vector<BlazeFace> faces;
  std::vector<char> used(cands.size(), 0);
  for (size_t i = 0; i < cands.size(); ++i) {
    if (used[i]) continue;
    float acc[16] = {0}, wsum = 0;
    for (size_t j = i; j < cands.size(); ++j) {
      if (used[j] || IoU(rect(cands[i]), rect(cands[j])) < o_.nms_iou) continue;
      used[j] = 1;
      for (int k = 0; k < 16; ++k) acc[k] += cands[j].score * cands[j].v[k];
      wsum += cands[j].score;
    }
    for (float& v : acc) v /= wsum;
    auto to_frame = [&](float u, float v) { return cv::Point2f(u * side - ox, v * side - oy); };
    BlazeFace face;
    face.det.score = cands[i].score;
    const cv::Point2f tl = to_frame(acc[0] - acc[2] / 2, acc[1] - acc[3] / 2);
    face.det.box = cv::Rect2f(tl.x, tl.y, acc[2] * side, acc[3] * side);
    for (int k = 0; k < 6; ++k) face.keypoints[k] = to_frame(acc[4 + 2 * k], acc[5 + 2 * k]);
    faces.push_back(face);
  }
  return faces;
}

}  // namespace smile::engine
