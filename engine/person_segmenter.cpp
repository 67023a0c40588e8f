#include "engine/person_segmenter.h"

#include <opencv2/imgproc.hpp>

#include "engine/face_detector.h"
#include "models/tfjs_graph.h"

namespace smile::engine {

struct PersonSegmenter::Impl {
  models::TfjsGraph graph;
};

Result<PersonSegmenter> PersonSegmenter::Load(const PersonSegmenterOptions& o) {
  auto impl = std::make_shared<Impl>();
  SMILE_ASSIGN_OR_RETURN(impl->graph, models::TfjsGraph::LoadFetched("selfie", o.models_dir, o.device));
  PersonSegmenter s;
  s.impl_ = std::move(impl);
  return s;
}

Result<cv::Mat> PersonSegmenter::Segment(const cv::Mat& image) const {
  if (image.empty()) return InvalidArgument("PersonSegmenter: empty image");
  constexpr int kSize = 256;
  cv::Mat small, rgb, f;
  cv::resize(ToBgr(image), small, cv::Size(kSize, kSize), 0, 0, cv::INTER_AREA);
  cv::cvtColor(small, rgb, cv::COLOR_BGR2RGB);
  rgb.convertTo(f, CV_32FC3, 1.0 / 255);
  const torch::Tensor x = torch::from_blob(f.data, {1, kSize, kSize, 3}, torch::kFloat).clone();
  SMILE_ASSIGN_OR_RETURN(std::vector<torch::Tensor> out, impl_->graph.Run(x));
  const torch::Tensor p = out[0].to(torch::kCPU).reshape({kSize, kSize}).contiguous();
  cv::Mat prob(kSize, kSize, CV_32F, p.data_ptr<float>()), up;
  cv::resize(prob, up, image.size(), 0, 0, cv::INTER_LINEAR);
  return up;
}

}  // namespace smile::engine
