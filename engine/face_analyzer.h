// FaceAnalyzer: the per-frame face pipeline of the engine:
//   track (detect + landmarks) -> align -> parse -> smooth over time.
// One analyzer follows one video (state: tracks, filters, smoothed masks).
#pragma once

#include <memory>
#include <string>

#include <opencv2/core.hpp>

#include "core/status.h"
#include "engine/alignment.h"
#include "engine/face_parser.h"
#include "engine/face_tracker.h"
#include "engine/facemesh.h"
#include "engine/iris_mask.h"
#include "engine/mask_smoother.h"

namespace smile::engine {

struct AnalyzerOptions {
  TrackerOptions tracker;
  AlignOptions align;          // align.size = the parser's input size
  bool smooth = true;          // temporal mask smoothing
  // Temporal filtering of the crop itself (AlignmentFilter): a still head gets a still crop, so
  // the rendered head pasted back with it does not shake. Off, or `smooth` off (photo folders and
  // other unrelated frames): each frame's own FFHQ square.
  bool smooth_alignment = true;
  OneEuroParams alignment_filter{1.0, 8.0, 1.0};
  SmootherOptions smoother;
  GeometricParserOptions geometric;  // used when no parser is given
  // Which geometric parser when no parser is given: "geometric" or "mesh" (engine/parser_choice.h;
  // "mesh" adds FaceMesh parts and the Selfie person mask to `geometric`). Empty: the identity
  // model's own parser in a Session, "geometric" elsewhere.
  std::string parser;
  // Find both irises (MediaPipe Iris, engine/iris_mask.h) on every frame with a face:
  // FrameAnalysis::iris, for identity models whose masks have the iris class. Needs the iris
  // model (scripts/fetch_models.sh); `iris_model`, when given, is used instead of loading it again.
  bool iris = false;
  std::shared_ptr<const IrisModel> iris_model;
  // Fit FaceMesh to every aligned crop with a face: FrameAnalysis::mesh, for identity models with
  // mesh geometry channels (engine/mesh_geometry.h). Needs the FaceMesh model; `mesh_model`, when
  // given, is used instead of loading it again.
  bool mesh = false;
  std::shared_ptr<const FaceMesh> mesh_model;
};

struct FrameAnalysis {
  TrackResult tracks;
  bool found = false;          // a main face this frame
  TrackedFace face;            // the main face
  Alignment alignment;
  cv::Mat aligned;             // BGR, align.size square
  Landmarks aligned_landmarks;
  ParseResult parse;           // this frame's parse (aligned frame)
  ParseResult smoothed;        // after temporal smoothing (== parse when smoothing is off)
  IrisDiscs iris;              // AnalyzerOptions::iris: both irises, aligned pixels (the last found when not found now)
  std::vector<cv::Point3f> mesh;  // AnalyzerOptions::mesh: FaceMesh's 468 points, aligned pixels (empty: none found)
  double ms_track = 0, ms_align = 0, ms_iris = 0, ms_mesh = 0, ms_parse = 0, ms_smooth = 0;
  double ms_total() const { return ms_track + ms_align + ms_iris + ms_mesh + ms_parse + ms_smooth; }
  // The final labels warped back to frame coordinates (background outside the crop).
  cv::Mat FrameLabels(cv::Size frame_size) const;
};

class FaceAnalyzer {
 public:
  // `parser` null: a GeometricParser with options.geometric.
  static Result<FaceAnalyzer> Create(const AnalyzerOptions& o, std::unique_ptr<FaceParser> parser = nullptr);
  Result<FrameAnalysis> Process(const cv::Mat& frame, double t);
  // A still photo: fresh state, the main face parsed, labels in the photo's pixels
  // (background where no face or outside the aligned crop). NotFound when there is no face.
  Result<cv::Mat> ParseStill(const cv::Mat& image);
  FaceTracker& tracker() { return tracker_; }
  void Reset();
  // Off: Process tracks and aligns only (parse and smoothed stay empty), for jobs that draw their
  // own mask (the identity-layout swap); the parser and its models cost most of the analysis.
  void set_parse(bool on) { parse_ = on; }
  // Off: Process skips FaceMesh (AnalyzerOptions::mesh) for the next frames, e.g. frames a sample extraction does not keep.
  void set_mesh(bool on) { mesh_on_ = on; }
  // AnalyzerOptions::iris: the iris model (null otherwise), for jobs that find irises themselves.
  const IrisModel* iris_model() const { return iris_.get(); }

 private:
  AnalyzerOptions o_;
  FaceTracker tracker_;
  std::shared_ptr<const IrisModel> iris_;
  std::shared_ptr<const FaceMesh> mesh_;
  IrisDiscs last_iris_;
  int last_iris_id_ = -1;
  std::unique_ptr<FaceParser> parser_;
  MaskSmoother smoother_;
  bool have_prev_ = false;
  bool parse_ = true;
  bool mesh_on_ = true;
  Alignment prev_alignment_;
  AlignmentFilter align_filter_;
  int prev_id_ = -1;
};

}  // namespace smile::engine
