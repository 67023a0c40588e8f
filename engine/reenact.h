// Reenactment: a source face (photo, or an identity model's default layout) animated
// by a driver video. Per driver frame:
//  1. the driver's 68 landmarks are taken relative to its FIRST frame, in the first
//     frame's aligned crop (so they are normalised by the crop, i.e. by face size);
//  2. head pose = the similarity that maps the first frame's rigid points (eye corners,
//     nose) onto this frame's; expression = what is left of each point's motion once
//     that pose is undone;
//  3. the source's own aligned landmarks move by the expression (brows, eyes, mouth,
//     lips); its mask loses those classes (they become skin) and gets them redrawn by
//     the geometric parser from the moved landmarks; every other class of the source's
//     mask is kept;
//  4. the mask is moved by the pose (scaled into the source's crop) and rendered with the
//     identity's network and fixed style into the source's canvas.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"
#include "engine/alignment.h"
#include "engine/face_analyzer.h"
#include "engine/facemesh.h"
#include "engine/landmarks.h"

namespace smile::engine {

// The face being animated.
struct ReenactSource {
  cv::Mat canvas;          // BGR; the output has its size
  Alignment alignment;     // canvas -> aligned square (alignment.size)
  cv::Mat aligned;         // aligned BGR crop (colour reference; may be empty)
  Landmarks landmarks;     // 68 points in aligned pixels
  cv::Mat labels;          // aligned CV_8U labels (alignment.size square)
  // The identity model's own default layout (SourceFromIdentity): its mean mesh fits this layout,
  // so mesh-geometry models render it with that mesh moved as the layout moves.
  bool identity_layout = false;
};

// The landmarks reenactment works with: dlib's 68, with the eyes and lips (36-67) taken from
// FaceMesh when `mesh` is given and finds the face (MeshRefined68; score >= 0.5), else as given.
Landmarks ExpressionLandmarks(const FaceMesh* mesh, const cv::Mat& image, const Landmarks& pts68);

// A driver's landmarks as reenactment reads them, frame by frame: ExpressionLandmarks, with the
// mesh's eye and lip points (36-67) smoothed over time as the tracker smooths dlib's (the other
// points are the tracker's, already smoothed). Without a mesh, the points as given.
class ExpressionTracker {
 public:
  explicit ExpressionTracker(const FaceMesh* mesh);
  Landmarks Update(const cv::Mat& image, const Landmarks& pts68, double t);
  void Reset() { filter_.Reset(); }  // the face was lost: the next one starts its own smoothing

 private:
  const FaceMesh* mesh_;
  PointsFilter filter_;
};

// From a photo: its main face tracked, aligned and parsed (NotFound without a face,
// InvalidArgument with several faces of similar size); landmarks by ExpressionLandmarks.
Result<ReenactSource> SourceFromPhoto(const cv::Mat& photo, FaceAnalyzer& analyzer, const FaceMesh* mesh = nullptr);
// From an aligned layout without a photo (an identity model's default labels): the
// canvas is `canvas` (an aligned image, e.g. the layout rendered by the identity), the
// alignment is the identity; `landmarks` in the canvas' pixels, or empty: the driver's
// first aligned landmarks stand in for them.
ReenactSource SourceFromLayout(const cv::Mat& labels, const cv::Mat& canvas, const Landmarks& landmarks);

struct ReenactOptions {
  bool expression = true;      // transfer brows, eyes, mouth, lips
  bool pose = true;            // transfer head motion (translation, roll, scale)
  double expression_gain = 1.0;
  double region_margin = 0.04; // paste region dilation, fraction of the aligned side
};

struct Retargeted {
  cv::Mat labels;              // aligned source labels, moved (CV_8U)
  cv::Mat region;              // aligned paste region (CV_8U 0/255)
  Landmarks landmarks;         // moved source landmarks (aligned pixels, before the pose)
  cv::Matx23d pose;            // source-aligned pose applied to the mask
};

class Reenactor {
 public:
  Reenactor(ReenactSource source, ReenactOptions options = {});
  // `driver` 68 landmarks in the driver's frame pixels; the first call (or the first after
  // Reset) is the reference frame. `driver_align` aligned side used for normalisation.
  Retargeted Retarget(const Landmarks& driver, const AlignOptions& driver_align = {});
  void Reset() { have_ref_ = false; }
  bool has_reference() const { return have_ref_; }
  const ReenactSource& source() const { return src_; }

  // The expression landmark indices (brows, eyes, outer and inner lips).
  static bool IsExpressionPoint(int i) { return i >= 17 && i != 27 && !(i >= 28 && i <= 35); }
  // `labels` with brows, eyes, mouth and lips removed (-> skin, except under eyeglasses/hair)
  // and redrawn from `pts` (aligned pixels) with the geometric parser's part masks.
  static cv::Mat RedrawParts(const cv::Mat& labels, const Landmarks& pts);
  // Least-squares similarity mapping `from` onto `to` (points `idx`).
  static cv::Matx23d Similarity(const Landmarks& from, const Landmarks& to, const std::vector<int>& idx);

 private:
  ReenactSource src_;
  ReenactOptions o_;
  cv::Mat src_region_;
  bool have_ref_ = false;
  Alignment ref_align_;        // driver's first frame
  Landmarks ref_aligned_;      // driver's first landmarks in its aligned crop
};

// Area (pixels) of the given classes in a label map.
int ClassArea(const cv::Mat& labels, std::initializer_list<int> classes);

}  // namespace smile::engine

#include <memory>

#include "engine/session.h"

namespace smile::engine {

// The session identity's default layout as its own model renders it (side max(256, the layout's)):
// canvas, labels, and the landmarks the session's tracker finds on it (eyes and lips from `mesh`
// when given; empty when it finds no face: an undertrained model). The tracker is reset after.
// The source of `smile reenact --source model.smile` and the identity of `swap --layout identity`.
Result<ReenactSource> SourceFromIdentity(Session& session, const FaceMesh* mesh = nullptr);

// The analyse stage of a reenactment session: tracks the driver's face in each frame and
// hands the source's retargeted mask to synthesis, pasted into the source's canvas.
// Driver frames without a face re-render the last good mask (counted as held), or show
// the source canvas unchanged before the first face. Uses session.analyzer()'s tracker.
// With `mesh`, the driver's eyes and lips come from FaceMesh (ExpressionLandmarks), smoothed
// over time like the tracker's points; the source should then be made with the same mesh.
AnalyseFn ReenactAnalysis(Session& session, std::shared_ptr<Reenactor> reenactor,
                          std::shared_ptr<const FaceMesh> mesh = nullptr);

}  // namespace smile::engine
