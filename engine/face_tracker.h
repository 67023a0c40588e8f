// FaceTracker: faces across video frames with stable ids.
// Per frame: each track is searched in a region around its last box at the
// scale of its face (cheap, and finds small faces); a full-frame detection runs
// every `redetect_every` frames, whenever a track was missed, and while there is
// no track. Detections are matched to tracks by IoU. A missed track coasts on
// landmarks for up to `max_missed` frames, then it is dropped (a face that comes
// back later gets a new id). Landmarks are stabilised with a One-Euro filter.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"
#include "engine/face_descriptor.h"
#include "engine/face_detector.h"
#include "engine/landmarks.h"
#include "engine/one_euro.h"

namespace smile::engine {

enum class FaceChoice { kLargest, kIndex, kReference };

struct TrackerOptions {
  int redetect_every = 10;     // frames between full-frame detections
  int max_missed = 4;          // frames a track survives without a detection
  double match_iou = 0.25;     // detection <-> track association
  bool smooth_landmarks = true;
  OneEuroParams landmark_filter{1.2, 6.0, 1.0};  // in inter-ocular units
  FaceChoice choice = FaceChoice::kLargest;
  int choice_index = 0;        // kIndex: faces ordered left to right
  DetectorOptions detector;
  std::string landmark_model = kDefaultShapePredictor;
};

struct TrackedFace {
  int id = -1;
  cv::Rect2f box;           // frame pixels
  Landmarks landmarks;      // stabilised (what to align with)
  Landmarks raw_landmarks;  // this frame's predictor output
  bool detected = false;    // the detector confirmed it this frame (else coasting)
  int missed = 0;           // consecutive frames without a detection
  double similarity = 0;    // to the reference (kReference)
};

struct TrackResult {
  std::vector<TrackedFace> faces;  // ordered by id
  int main = -1;                   // index into faces of the chosen face, -1 when none
  bool full_detection = false;     // a full-frame detection ran on this frame
  const TrackedFace* main_face() const { return main >= 0 ? &faces[main] : nullptr; }
};

class FaceTracker {
 public:
  static Result<FaceTracker> Create(const TrackerOptions& o = {});
  // Processes the next frame (BGR or gray) taken at time t (seconds).
  TrackResult Update(const cv::Mat& frame, double t);
  // kReference: the face most similar to the one in `photo` (fails when the photo has no face).
  Status SetReference(const cv::Mat& photo);
  void Reset();
  const TrackerOptions& options() const { return o_; }
  int64_t frames() const { return frame_count_; }

 private:
  struct Track {
    int id;
    cv::Rect2f box;
    Landmarks raw, smooth;
    int missed = 0;
    bool detected = false;
    PointsFilter filter;
    double similarity = 0;
    int64_t last_similarity_frame = -1000;
  };
  int ChooseMain(const cv::Mat& frame);

  TrackerOptions o_;
  FaceDetector detector_;
  LandmarkDetector landmarks_;
  std::vector<Track> tracks_;
  int next_id_ = 0;
  int main_id_ = -1;
  int64_t frame_count_ = 0;
  FaceDescriptor reference_;
};

}  // namespace smile::engine
