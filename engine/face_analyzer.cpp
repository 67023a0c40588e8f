#include "engine/face_analyzer.h"

#include <chrono>

#include <opencv2/imgproc.hpp>

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
  a.parser_ = parser ? std::move(parser) : std::make_unique<GeometricParser>(o.geometric);
  a.smoother_ = MaskSmoother(o.smoother);
  return a;
}

void FaceAnalyzer::Reset() {
  tracker_.Reset();
  smoother_.Reset();
}

Result<FrameAnalysis> FaceAnalyzer::Process(const cv::Mat& frame, double t) {
  FrameAnalysis r;
  auto t0 = std::chrono::steady_clock::now();
  r.tracks = tracker_.Update(frame, t);
  r.ms_track = MsSince(t0);
  const TrackedFace* f = r.tracks.main_face();
  if (!f) return r;
  r.found = true;
  r.face = *f;
  t0 = std::chrono::steady_clock::now();
  r.alignment = ComputeAlignment(f->landmarks, o_.align);
  r.aligned = WarpToAligned(ToBgr(frame), r.alignment);
  r.aligned_landmarks = TransformPoints(f->landmarks, r.alignment.to_aligned);
  r.ms_align = MsSince(t0);
  t0 = std::chrono::steady_clock::now();
  SMILE_ASSIGN_OR_RETURN(r.parse, parser_->Parse(r.aligned, r.aligned_landmarks));
  r.ms_parse = MsSince(t0);
  t0 = std::chrono::steady_clock::now();
  r.smoothed = o_.smooth ? smoother_.Update(r.parse, f->id) : r.parse;
  r.ms_smooth = MsSince(t0);
  return r;
}

}  // namespace smile::engine
