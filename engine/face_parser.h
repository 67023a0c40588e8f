// FaceParser: aligned face image -> 19-class label map (CV_8U, labels.h) and,
// when the parser has them, per-class probabilities. Everything is in the
// aligned frame (alignment.h). GeometricParser needs no training; a learned
// network (models/) implements the same interface.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"
#include "engine/labels.h"
#include "engine/landmarks.h"

namespace smile::engine {

// A FaceMesh fit that a parser ran on its crop (the `mesh` parser's part masks), handed back so
// that callers who also need the mesh (mesh geometry) do not fit it a second time.
struct FittedMesh {
  bool fitted = false;           // a fit ran (whatever its score); false: fit it yourself
  std::vector<cv::Point3f> pts;  // FaceMesh's 468 points in the crop's pixels (empty if the fit failed)
  float score = 0;               // face presence, 0..1
};

struct ParseResult {
  cv::Mat labels;               // CV_8U, aligned size, values 0..18
  std::vector<cv::Mat> probs;   // empty, or kNumLabels CV_32F planes (sum 1 per pixel), aligned size;
                                // an empty plane means 0 everywhere (a class the parser never produces)
  bool has_eyeglasses = false;  // evidence found (GeometricParser) or eye_g pixels present
  FittedMesh mesh;              // the parser's own FaceMesh fit of this crop, when it ran one
};

class FaceParser {
 public:
  virtual ~FaceParser() = default;
  // `aligned` BGR (or gray) square; `pts` its 68 landmarks in aligned pixels (may be
  // ignored by parsers that do not use landmarks).
  virtual Result<ParseResult> Parse(const cv::Mat& aligned, const Landmarks& pts) = 0;
  virtual std::string name() const = 0;
};

// Argmax of per-class planes -> CV_8U labels.
cv::Mat ArgmaxLabels(const std::vector<cv::Mat>& probs);
// Labels -> one-hot planes (CV_32F).
std::vector<cv::Mat> OneHot(const cv::Mat& labels);

// Landmark-driven part masks from another source than the 68 points (e.g. FaceMeshParts in
// engine/facemesh.h), for GeometricParser.
class PartMaskSource {
 public:
  virtual ~PartMaskSource() = default;
  // Soft masks (CV_32F, the aligned image's size, 0..1), kNumLabels planes; the classes it
  // draws are non-empty and replace the 68-point masks, empty ones keep them. An error
  // (e.g. no confident mesh) keeps all 68-point masks. `fitted`, when not null, receives the
  // landmark model's fit of the crop where the source ran one (also when it returns an error).
  virtual Result<std::vector<cv::Mat>> PartMasks(const cv::Mat& aligned, const Landmarks& pts,
                                                 FittedMesh* fitted) const = 0;
};

// Person-vs-background probability of an aligned image (e.g. PersonSegmenter in
// engine/person_segmenter.h), for GeometricParser's background prior.
class PersonMaskSource {
 public:
  virtual ~PersonMaskSource() = default;
  // CV_32F, the aligned image's size, 1 = person (face, hair, neck, cloth), 0 = background.
  virtual Result<cv::Mat> PersonProbability(const cv::Mat& aligned) const = 0;
};

struct GeometricParserOptions {
  int work_size = 128;         // image-evidence classes are estimated at this resolution
  int em_iterations = 2;       // colour-model refinements
  bool detect_eyeglasses = true;
  // min(bridge, lower-rim) / cheek edge-energy ratio above which glasses are drawn. Conservative:
  // on 32 CelebA-HQ photos the one with thin rimless glasses scores 0.74 and the others up to 0.75
  // (rimless glasses are missed); drawn dark frames score above 10.
  double eyeglasses_threshold = 1.0;
  std::shared_ptr<const PartMaskSource> parts;  // null: parts from the 68 landmarks only
  std::shared_ptr<const PersonMaskSource> person;  // null: background from colour + geometry only
  double person_weight = 0.9;  // how strongly the person mask scales the background / person priors
};

// Parts (skin, brows, eyes, nose, lips, mouth interior, ears' place) from the
// landmarks; hair, neck, cloth, ears and background from colour models seeded by
// the face geometry (Lab histograms, refined by EM) times spatial priors.
class GeometricParser : public FaceParser {
 public:
  explicit GeometricParser(GeometricParserOptions o = {}) : o_(o) {}
  Result<ParseResult> Parse(const cv::Mat& aligned, const Landmarks& pts) override;
  std::string name() const override { return "geometric"; }
  const GeometricParserOptions& options() const { return o_; }

  // Landmark-driven part masks only (CV_32F soft masks per class, 0 planes elsewhere), for tests.
  static std::vector<cv::Mat> PartMasks(cv::Size size, const Landmarks& pts);
  // Eyeglasses evidence (edge energy across the nose bridge vs the cheeks) of a gray aligned image.
  static double EyeglassesScore(const cv::Mat& gray, const Landmarks& pts);

 private:
  GeometricParserOptions o_;
};

}  // namespace smile::engine
