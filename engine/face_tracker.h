// FaceTracker: faces across video frames with stable ids.
// Per frame: each track is searched in a region around its last box at the
// scale of its face (cheap, and finds small faces); a full-frame detection runs
// every `redetect_every` frames, whenever a track was missed, and while there is
// no track. Detections are matched to tracks by IoU. A missed track coasts on
// landmarks for up to `max_missed` frames, then it is dropped (a face that comes
// back later gets a new id). Landmarks are stabilised with a One-Euro filter.
//
// Two detectors: dlib's HOG (no model file) or MediaPipe's BlazeFace (TFJS model from
// scripts/fetch_models.sh; finds rotated and profile faces HOG misses). BlazeFace boxes are mapped
// to dlib's box convention from their eye and mouth keypoints, and a face whose eye line is tilted
// is fitted by dlib's 68-point predictor in an upright copy, then rotated back.
// Face choice: largest, the N-th from the left, or the person of a reference photo (FaceRes
// embedding when its model is present, else an LBP descriptor); the choice is kept by track id and
// made again when that track is lost.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"
#include "engine/blazeface_detector.h"
#include "engine/face_descriptor.h"
#include "engine/face_detector.h"
#include "engine/face_embedding.h"
#include "engine/landmarks.h"
#include "engine/one_euro.h"

namespace smile::engine {

enum class FaceChoice { kLargest, kIndex, kReference };

// kAuto: BlazeFace when its model is present (scripts/fetch_models.sh), else HOG.
enum class DetectorKind { kHog, kBlazeFace, kAuto };
// "hog" | "blazeface" | "auto"; InvalidArgument naming the choices otherwise.
Result<DetectorKind> ParseDetectorKind(const std::string& name);
const char* DetectorKindName(DetectorKind k);

// A BlazeFace detection as the tracker uses it: box in dlib's convention (what the 68-point
// predictor was trained on) and the in-plane angle of the eye line (degrees, image coordinates).
struct FaceSeed {
  Detection det;
  double angle = 0;
};
// BlazeFace's box and keypoints -> a dlib-style box and the eye-line angle.
FaceSeed SeedFromBlazeFace(const BlazeFace& f);
// 68 points for a face whose eye line is at `angle` degrees: fitted in an upright copy of the
// region around `box` (a dlib-style box of the upright face, centred on the face), mapped back.
Landmarks FitRotated(const LandmarkDetector& lm, const cv::Mat& gray, const cv::Rect2f& box, double angle);

// The region a track is searched in on the next frame: three times its box side, centred on a
// square box, clipped to the frame (the face fills a third of it).
cv::Rect TrackSearchRegion(const cv::Rect2f& box, const cv::Size& frame);

struct TrackerOptions {
  int redetect_every = 10;     // frames between full-frame detections
  int max_missed = 4;          // frames a track survives without a detection
  double match_iou = 0.25;     // detection <-> track association
  bool smooth_landmarks = true;
  OneEuroParams landmark_filter{1.2, 6.0, 1.0};  // in inter-ocular units
  FaceChoice choice = FaceChoice::kLargest;
  int choice_index = 0;        // kIndex: faces ordered left to right
  DetectorOptions detector;    // HOG settings
  DetectorKind detector_kind = DetectorKind::kAuto;
  // BlazeFace's models folder and score threshold: faces of the shared media score 0.82-0.96, empty
  // regions zoomed in up to 0.73 (s18's room), whole empty frames stayed below 0.5.
  BlazeFaceOptions blazeface{"", "cpu", 0.6f, 0.3f};
  // Search around a track's last position with BlazeFace's front-camera model (128 px, ~4x
  // cheaper) when it is fetched; false: the back model there too.
  bool roi_model_front = true;
  std::string landmark_model = kDefaultShapePredictor;
  cv::Mat reference;           // kReference: the photo of the person to follow (also SetReference)
  // kReference: a chosen face less similar than this (cosine of FaceRes descriptors; frames of one
  // person measured 0.68-0.73, other people <= 0.55) is chosen again at each full detection, so a
  // face found later that matches better can take over.
  double reference_accept = 0.6;
};

struct TrackedFace {
  int id = -1;
  cv::Rect2f box;           // frame pixels
  Landmarks landmarks;      // stabilised (what to align with)
  Landmarks raw_landmarks;  // this frame's predictor output
  bool detected = false;    // the detector confirmed it this frame (else coasting)
  int missed = 0;           // consecutive frames without a detection
  double similarity = 0;    // to the reference (kReference): cosine similarity (embedding) or LBP
  double angle = 0;         // in-plane angle of the eye line (degrees; BlazeFace only)
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
  // kReference: the face most similar to the one in `photo` (fails when the photo has no face;
  // with several faces, the largest is the reference and `reference_faces()` says how many there were).
  Status SetReference(const cv::Mat& photo);
  void Reset();
  const TrackerOptions& options() const { return o_; }
  int64_t frames() const { return frame_count_; }
  // The detector in use (kHog or kBlazeFace; never kAuto).
  DetectorKind detector() const { return blaze_ ? DetectorKind::kBlazeFace : DetectorKind::kHog; }
  // True when kReference compares FaceRes embeddings (else LBP descriptors).
  bool uses_embedding() const { return embedder_.has_value(); }
  int reference_faces() const { return reference_faces_; }
  // All faces of one still image with landmarks, largest first (the tracker's detector and predictor).
  std::vector<TrackedFace> DetectStill(const cv::Mat& image) const;

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
    double angle = 0;
  };
  int ChooseMain(const cv::Mat& frame, bool full_detection);
  double Similarity(const cv::Mat& frame, const Landmarks& pts) const;
  // Detections of the configured detector (boxes in dlib's convention).
  std::vector<FaceSeed> DetectFull(const cv::Mat& bgr, const cv::Mat& gray) const;
  std::vector<FaceSeed> DetectInRoi(const cv::Mat& bgr, const cv::Mat& gray, const cv::Rect& roi, double side) const;
  Landmarks Fit(const cv::Mat& gray, const cv::Rect2f& box, double angle) const;

  TrackerOptions o_;
  FaceDetector detector_;
  LandmarkDetector landmarks_;
  std::vector<Track> tracks_;
  int next_id_ = 0;
  int main_id_ = -1;
  int64_t frame_count_ = 0;
  FaceDescriptor reference_;
  std::vector<float> reference_embedding_;
  int reference_faces_ = 0;
  std::optional<BlazeFaceDetector> blaze_;
  std::optional<BlazeFaceDetector> blaze_roi_;  // front-camera model for the search around a track
  std::optional<FaceEmbedder> embedder_;
};

}  // namespace smile::engine
