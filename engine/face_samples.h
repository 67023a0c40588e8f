// Face samples for training and fitting: aligned face crops and their 19-class
// label maps (20 with SampleOptions::iris), extracted from a video, an image folder or photos with the engine's
// tracker, aligner and parser.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"
#include "engine/face_tracker.h"
#include "engine/facemesh.h"
#include "engine/iris.h"

namespace smile::engine {

struct FaceSample {
  cv::Mat aligned;   // BGR, size x size
  cv::Mat labels;    // CV_8U, size x size
  std::string origin;  // "<file>#<frame>"
  std::vector<cv::Point3f> mesh;  // SampleOptions::mesh: FaceMesh's 468 points in aligned pixels (empty: none found)
};

struct SampleOptions {
  int size = 128;            // aligned side
  int every = 1;             // keep every k-th frame of a video
  int max_samples = 600;     // stop after this many samples
  bool smooth = true;        // temporal mask smoothing on videos
  std::string parser = "geometric";  // engine/parser_choice.h
  DetectorKind detector = DetectorKind::kAuto;  // face detector of the tracker
  bool iris = false;         // paint the iris class into the labels (engine/iris_mask.h)
  // The iris model, when the caller has it already (loaded once for every input instead of per input).
  std::shared_ptr<const IrisModel> iris_model;
  bool mesh = false;         // fit FaceMesh to each kept crop (FaceSample::mesh; needs the FaceMesh model)
  std::shared_ptr<const FaceMesh> mesh_model;  // the FaceMesh model when the caller has it already
};

struct SampleReport {
  int64_t frames = 0;        // frames looked at
  int64_t no_face = 0;       // frames without a usable face
};

// `inputs`: video files, image folders or single photos (anything capture::OpenSource reads).
Result<std::vector<FaceSample>> ExtractFaceSamples(const std::vector<std::string>& inputs,
                                                   const SampleOptions& options, SampleReport* report = nullptr);

}  // namespace smile::engine
