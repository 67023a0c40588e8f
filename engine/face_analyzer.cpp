#include "engine/face_analyzer.h"
#include "engine/mesh_geometry.h"

#include <chrono>

#include <opencv2/imgproc.hpp>

#include "engine/parser_choice.h"

namespace smile::engine {
namespace {
double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

cv::Mat FrameAnalysis::FrameLabels(cv::Size frame_size) const {
  if (!found) return cv::Mat(frame_size, CV_8U, cv::Scalar(kBackground));
  return WarpToFrame(smoothed.labels, alignment, frame_size, cv::INTER_NEAREST, cv::Scalar(kBackground));
}

Result<FaceAnalyzer> FaceAnalyzer::Create(const AnalyzerOptions& o, std::unique_ptr<FaceParser> parser) {
  if (o.align.size < 32 || o.align.size > 2048)
    return InvalidArgument("aligned size " + std::to_string(o.align.size) + " is out of range; use 32..2048 (e.g. 256)");
  SMILE_ASSIGN_OR_RETURN(FaceTracker tracker, FaceTracker::Create(o.tracker));
  FaceAnalyzer a;
  a.o_ = o;
  a.tracker_ = std::move(tracker);
  if (parser) {
    a.parser_ = std::move(parser);
  } else {
    SMILE_ASSIGN_OR_RETURN(a.parser_, MakeParser(o.parser.empty() ? kParserGeometric : o.parser, o.geometric));
  }
  a.smoother_ = MaskSmoother(o.smoother);
  if (o.iris && o.iris_model) {
    a.iris_ = o.iris_model;
  } else if (o.iris) {
    auto iris = IrisModel::Load();
    if (!iris.ok())
      return iris.status().WithContext("this identity model's masks have the iris class, which needs the iris model; "
                                       "run scripts/fetch_models.sh");
    a.iris_ = std::make_shared<const IrisModel>(std::move(iris).value());
  }
  if (o.mesh && o.mesh_model) {
    a.mesh_ = o.mesh_model;
  } else if (o.mesh) {
    auto mesh = FaceMesh::Load();
    if (!mesh.ok())
      return mesh.status().WithContext("mesh geometry needs the FaceMesh model; run scripts/fetch_models.sh");
    a.mesh_ = std::make_shared<const FaceMesh>(std::move(mesh).value());
  }
  return a;
}

Result<cv::Mat> FaceAnalyzer::ParseStill(const cv::Mat& image) {
  if (image.empty()) return InvalidArgument("ParseStill: empty image");
  Reset();
  SMILE_ASSIGN_OR_RETURN(FrameAnalysis a, Process(image, 0.0));
  Reset();
  if (!a.found) return NotFound("no face found in the image; use a photo with a visible frontal face");
  return a.FrameLabels(image.size());
}

void FaceAnalyzer::Reset() {
  tracker_.Reset();
  smoother_.Reset();
  align_filter_.Reset();
  have_prev_ = false;
}

Result<FrameAnalysis> FaceAnalyzer::Process(const cv::Mat& frame, double t) {
  FrameAnalysis r;
  auto t0 = std::chrono::steady_clock::now();
  r.tracks = tracker_.Update(frame, t);
  r.ms_track = MsSince(t0);
  const TrackedFace* f = r.tracks.main_face();
  if (!f) {
    have_prev_ = false;
    return r;
  }
  r.found = true;
  r.face = *f;
  t0 = std::chrono::steady_clock::now();
  if (o_.smooth && o_.smooth_alignment) {  // smooth off (photos, unrelated frames): each frame its own crop
    if (!have_prev_ || f->id != prev_id_) align_filter_ = AlignmentFilter(o_.alignment_filter);  // a new face
    r.alignment = align_filter_.Filter(f->landmarks, o_.align, t);
  } else {
    r.alignment = ComputeAlignment(f->landmarks, o_.align);
  }
  prev_id_ = f->id;
  r.aligned = WarpToAligned(ToBgr(frame), r.alignment);
  r.aligned_landmarks = TransformPoints(f->landmarks, r.alignment.to_aligned);
  r.ms_align = MsSince(t0);
  if (iris_) {
    t0 = std::chrono::steady_clock::now();
    if (f->id != last_iris_id_ || !have_prev_) last_iris_ = IrisDiscs{};  // a new face: no earlier irises
    last_iris_id_ = f->id;
    if (auto eyes = iris_->Fit(frame, f->landmarks); eyes.ok()) {
      IrisDiscs d = IrisDiscsOf(*eyes, r.alignment.to_aligned, r.aligned.cols);
      if (d.valid) last_iris_ = d;
    }
    r.iris = last_iris_;
    r.ms_iris = MsSince(t0);
  }
  if (parse_) {
    t0 = std::chrono::steady_clock::now();
    SMILE_ASSIGN_OR_RETURN(r.parse, parser_->Parse(r.aligned, r.aligned_landmarks));
    r.ms_parse = MsSince(t0);
  }
  if (mesh_ && mesh_on_) {
    t0 = std::chrono::steady_clock::now();
    // On the aligned crop, as `smile fit` measured its training meshes. The `mesh` parser has
    // already fitted FaceMesh to this very crop and landmarks for its part masks: reuse that fit.
    if (r.parse.mesh.fitted) {
      if (r.parse.mesh.score >= kMinMeshScore) r.mesh = r.parse.mesh.pts;
    } else if (auto m = mesh_->Fit(r.aligned, r.aligned_landmarks); m.ok() && m->score >= kMinMeshScore) {
      r.mesh = std::move(m->pts);
    }
    r.ms_mesh = MsSince(t0);
  }
  if (!parse_) {
    have_prev_ = true;
    prev_alignment_ = r.alignment;
    return r;
  }
  t0 = std::chrono::steady_clock::now();
  // Previous aligned frame -> this one, through the video frame.
  cv::Matx23d prev_to_cur;
  if (have_prev_) {
    const cv::Matx33d a(r.alignment.to_aligned(0, 0), r.alignment.to_aligned(0, 1), r.alignment.to_aligned(0, 2),
                        r.alignment.to_aligned(1, 0), r.alignment.to_aligned(1, 1), r.alignment.to_aligned(1, 2), 0, 0, 1);
    const cv::Matx23d& b = prev_alignment_.to_frame;
    const cv::Matx33d bb(b(0, 0), b(0, 1), b(0, 2), b(1, 0), b(1, 1), b(1, 2), 0, 0, 1);
    const cv::Matx33d c = a * bb;
    prev_to_cur = cv::Matx23d(c(0, 0), c(0, 1), c(0, 2), c(1, 0), c(1, 1), c(1, 2));
  }
  r.smoothed = o_.smooth ? smoother_.Update(r.parse, f->id, have_prev_ ? &prev_to_cur : nullptr) : r.parse;
  have_prev_ = true;
  prev_alignment_ = r.alignment;
  r.ms_smooth = MsSince(t0);
  return r;
}

}  // namespace smile::engine
