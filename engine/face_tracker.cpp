#include "engine/face_tracker.h"

#include <algorithm>
#include <cmath>

namespace smile::engine {

Result<FaceTracker> FaceTracker::Create(const TrackerOptions& o) {
  SMILE_ASSIGN_OR_RETURN(LandmarkDetector lm, LandmarkDetector::Load(o.landmark_model));
  FaceTracker t;
  t.o_ = o;
  t.detector_ = FaceDetector(o.detector);
  t.landmarks_ = std::move(lm);
  return t;
}

void FaceTracker::Reset() {
  tracks_.clear();
  main_id_ = -1;
  frame_count_ = 0;
}

Status FaceTracker::SetReference(const cv::Mat& photo) {
  if (photo.empty()) return InvalidArgument("reference photo is empty; give a readable image with one face");
  auto dets = detector_.Detect(photo);
  if (dets.empty()) {
    // Portrait photos often show a large face: retry on a shrunk copy.
    FaceDetector big(DetectorOptions{320, 200, 0.0, 110});
    dets = big.Detect(photo);
  }
  if (dets.empty()) return NotFound("no face found in the reference photo; use a frontal, well-lit photo");
  auto best = std::max_element(dets.begin(), dets.end(),
                               [](const Detection& a, const Detection& b) { return a.box.area() < b.box.area(); });
  reference_ = ComputeDescriptor(photo, landmarks_.Fit(photo, best->box));
  o_.choice = FaceChoice::kReference;
  main_id_ = -1;
  return Status::Ok();
}

TrackResult FaceTracker::Update(const cv::Mat& frame_in, double t) {
  TrackResult res;
  ++frame_count_;
  if (frame_in.empty()) {
    for (auto& tr : tracks_) ++tr.missed;
    tracks_.erase(std::remove_if(tracks_.begin(), tracks_.end(), [&](const Track& x) { return x.missed > o_.max_missed; }),
                  tracks_.end());
    return res;
  }
  const cv::Mat gray = ToGray(frame_in);
  const cv::Rect frame_rect(0, 0, gray.cols, gray.rows);

  // 1. Search each track around its last box, at its scale.
  for (auto& tr : tracks_) {
    tr.detected = false;
    const float side = std::max(tr.box.width, tr.box.height);
    const cv::Rect roi = cv::Rect(cv::Rect2f(tr.box.x - side, tr.box.y - side, 3 * side, 3 * side)) & frame_rect;
    auto dets = detector_.DetectInRoi(gray, roi, side);
    double best = o_.match_iou;
    for (const auto& d : dets) {
      const double iou = IoU(d.box, tr.box);
      if (iou > best) best = iou, tr.box = d.box, tr.detected = true;
    }
  }
  // 2. Full-frame detection when due, when a track was missed, or when there is none.
  const bool any_missed =
      std::any_of(tracks_.begin(), tracks_.end(), [](const Track& x) { return !x.detected; });
  if (tracks_.empty() || any_missed || (frame_count_ - 1) % std::max(1, o_.redetect_every) == 0) {
    res.full_detection = true;
    auto dets = detector_.Detect(gray);
    std::vector<bool> used(dets.size(), false);
    for (auto& tr : tracks_) {
      if (tr.detected) {  // detections that overlap an already confirmed track are that track
        for (size_t i = 0; i < dets.size(); ++i)
          if (IoU(dets[i].box, tr.box) > o_.match_iou) used[i] = true;
        continue;
      }
      double best = o_.match_iou;
      int bi = -1;
      for (size_t i = 0; i < dets.size(); ++i) {
        if (used[i]) continue;
        const double iou = IoU(dets[i].box, tr.box);
        if (iou > best) best = iou, bi = static_cast<int>(i);
      }
      if (bi >= 0) used[bi] = true, tr.box = dets[bi].box, tr.detected = true;
    }
    for (size_t i = 0; i < dets.size(); ++i) {
      if (used[i]) continue;
      bool overlaps = false;
      for (const auto& tr : tracks_) overlaps |= IoU(dets[i].box, tr.box) > 0.1;
      if (overlaps) continue;
      Track tr{next_id_++, dets[i].box, {}, {}, 0, true, PointsFilter(o_.landmark_filter)};
      tracks_.push_back(std::move(tr));
    }
  }
  // 3. Missed tracks coast; old ones are dropped.
  for (auto& tr : tracks_) tr.missed = tr.detected ? 0 : tr.missed + 1;
  tracks_.erase(std::remove_if(tracks_.begin(), tracks_.end(), [&](const Track& x) { return x.missed > o_.max_missed; }),
                tracks_.end());
  // 4. Landmarks (coasting tracks follow their landmarks' motion).
  for (auto& tr : tracks_) {
    Landmarks pts = landmarks_.Fit(gray, tr.box);
    if (!tr.detected && !tr.raw.empty()) {
      const cv::Point2f shift = Mean(pts, 27, 35) - Mean(tr.raw, 27, 35);
      tr.box.x += shift.x;
      tr.box.y += shift.y;
    }
    // A jump (new detection far from the old face) restarts the filter.
    if (!tr.raw.empty() && cv::norm(Mean(pts, 0, 67) - Mean(tr.raw, 0, 67)) > 0.5 * tr.box.width) tr.filter.Reset();
    tr.raw = pts;
    tr.smooth = o_.smooth_landmarks ? tr.filter.Filter(pts, t, InterOcular(pts)) : pts;
  }
  // 5. Output, and the main face.
  const int main_idx = ChooseMain(gray);
  for (size_t i = 0; i < tracks_.size(); ++i) {
    const auto& tr = tracks_[i];
    TrackedFace f;
    f.id = tr.id;
    f.box = tr.box;
    f.landmarks = tr.smooth;
    f.raw_landmarks = tr.raw;
    f.detected = tr.detected;
    f.missed = tr.missed;
    f.similarity = tr.similarity;
    res.faces.push_back(std::move(f));
  }
  res.main = main_idx;
  return res;
}

int FaceTracker::ChooseMain(const cv::Mat& gray) {
  if (tracks_.empty()) {
    main_id_ = -1;
    return -1;
  }
  for (size_t i = 0; i < tracks_.size(); ++i)
    if (tracks_[i].id == main_id_) return static_cast<int>(i);  // stay with the chosen face
  int best = 0;
  switch (o_.choice) {
    case FaceChoice::kLargest:
      for (size_t i = 1; i < tracks_.size(); ++i)
        if (tracks_[i].box.area() > tracks_[best].box.area()) best = static_cast<int>(i);
      break;
    case FaceChoice::kIndex: {
      std::vector<int> order(tracks_.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
      std::sort(order.begin(), order.end(), [&](int a, int b) { return tracks_[a].box.x < tracks_[b].box.x; });
      best = order[std::clamp(o_.choice_index, 0, static_cast<int>(order.size()) - 1)];
      break;
    }
    case FaceChoice::kReference: {
      double bs = -1;
      for (size_t i = 0; i < tracks_.size(); ++i) {
        auto& tr = tracks_[i];
        if (tr.last_similarity_frame != frame_count_) {
          tr.similarity = reference_.empty() ? 0.0 : DescriptorSimilarity(reference_, ComputeDescriptor(gray, tr.smooth));
          tr.last_similarity_frame = frame_count_;
        }
        if (tr.similarity > bs) bs = tr.similarity, best = static_cast<int>(i);
      }
      break;
    }
  }
  main_id_ = tracks_[best].id;
  return best;
}

}  // namespace smile::engine
