#include "engine/face_tracker.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <mutex>

#include <opencv2/imgproc.hpp>

#include "core/log.h"

namespace smile::engine {

// BlazeFace -> dlib box: measured on real photos and clip frames where both detectors find the face
// (tests/engine/face_tracker_detector_test.cpp, FaceTrackerDetectorMedia.BlazeFaceBoxMapping), in units of
// the eye-to-mouth distance along the face's own axes.
constexpr double kSeedSide = 2.05;    // dlib box side / eye-mouth distance
constexpr double kSeedDown = 0.46;    // box centre below the eye midpoint / eye-mouth distance
constexpr double kTiltForUpright = 12;  // degrees of eye-line tilt above which landmarks are fitted upright

Result<DetectorKind> ParseDetectorKind(const std::string& name) {
  if (name == "hog") return DetectorKind::kHog;
  if (name == "blazeface") return DetectorKind::kBlazeFace;
  if (name == "auto") return DetectorKind::kAuto;
  return InvalidArgument("--detector takes hog, blazeface or auto, got '" + name + "'");
}

const char* DetectorKindName(DetectorKind k) {
  switch (k) {
    case DetectorKind::kHog: return "hog";
    case DetectorKind::kBlazeFace: return "blazeface";
    case DetectorKind::kAuto: return "auto";
  }
  return "?";
}

FaceSeed SeedFromBlazeFace(const BlazeFace& f) {
  const cv::Point2f re = f.keypoints[0], le = f.keypoints[1], mouth = f.keypoints[3];
  const cv::Point2f eyes = (re + le) * 0.5f;
  FaceSeed s;
  s.det.score = f.det.score;
  s.angle = std::atan2(le.y - re.y, le.x - re.x) * 180.0 / CV_PI;
  // The face's own axes: u along the eye line, v towards the chin.
  const double a = s.angle * CV_PI / 180.0;
  const cv::Point2f v(static_cast<float>(-std::sin(a)), static_cast<float>(std::cos(a)));
  const cv::Point2f em = mouth - eyes;
  double d = em.dot(v);
  // Degenerate keypoints (a very small or odd face): fall back to the box's own size.
  if (!(d > 0.15 * f.det.box.height)) d = 0.4 * f.det.box.height;
  const double side = kSeedSide * d;
  const cv::Point2f c = eyes + v * static_cast<float>(kSeedDown * d);
  s.det.box = cv::Rect2f(c.x - side / 2, c.y - side / 2, side, side);
  return s;
}

Landmarks FitRotated(const LandmarkDetector& lm, const cv::Mat& gray, const cv::Rect2f& box, double angle) {
  if (std::fabs(angle) < kTiltForUpright) return lm.Fit(gray, box);
  const cv::Point2f c(box.x + box.width / 2, box.y + box.height / 2);
  const int n = std::max(32, static_cast<int>(std::ceil(2.2 * std::max(box.width, box.height))));
  // Rotate by `angle` about the face centre (levels the eyes), the centre at the middle of an n x n patch.
  cv::Mat m = cv::getRotationMatrix2D(c, angle, 1.0);
  m.at<double>(0, 2) += n / 2.0 - c.x;
  m.at<double>(1, 2) += n / 2.0 - c.y;
  cv::Mat patch;
  cv::warpAffine(gray, patch, m, cv::Size(n, n), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  const cv::Rect2f upright(n / 2.0f - box.width / 2, n / 2.0f - box.height / 2, box.width, box.height);
  Landmarks pts = lm.Fit(patch, upright);
  cv::Mat inv;
  cv::invertAffineTransform(m, inv);
  cv::transform(pts, pts, inv);
  return pts;
}

namespace {
// Loaded TFJS models are shared by every tracker of the process (loading parses the graph and its
// weights; running is const and keeps no state).
std::string KeyOf(const BlazeFaceOptions& o) {
  return o.models_dir + "|" + o.device + "|" + o.model + "|" + std::to_string(o.min_score) + "|" +
         std::to_string(o.nms_iou);
}
std::string KeyOf(const FaceEmbedderOptions& o) { return o.models_dir + "|" + o.device; }

template <typename T, typename Options>
Result<T> Shared(const Options& o, const std::function<Result<T>(const Options&)>& load) {
  static std::mutex mu;
  static std::map<std::string, T> cache;
  const std::string key = KeyOf(o);
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  SMILE_ASSIGN_OR_RETURN(T v, load(o));
  cache.emplace(key, v);
  return v;
}
}  // namespace

cv::Rect TrackSearchRegion(const cv::Rect2f& box, const cv::Size& frame) {
  const float side = std::max(box.width, box.height);
  return cv::Rect(cv::Rect2f(box.x - side, box.y - side, 3 * side, 3 * side)) & cv::Rect(cv::Point(), frame);
}

Result<FaceTracker> FaceTracker::Create(const TrackerOptions& o) {
  SMILE_ASSIGN_OR_RETURN(LandmarkDetector lm, LandmarkDetector::Load(o.landmark_model));
  FaceTracker t;
  t.o_ = o;
  t.detector_ = FaceDetector(o.detector);
  t.landmarks_ = std::move(lm);
  if (o.detector_kind != DetectorKind::kHog) {
    auto bf = Shared<BlazeFaceDetector, BlazeFaceOptions>(
        o.blazeface, [](const BlazeFaceOptions& x) { return BlazeFaceDetector::Load(x); });
    if (bf.ok()) {
      t.blaze_ = std::move(*bf);
      // The search around a track's last position sees the face at a third of its region: the
      // front-camera model's range, at a quarter of the back model's pixels.
      if (o.blazeface.model == "blazeface" && o.roi_model_front) {
        BlazeFaceOptions front = o.blazeface;
        front.model = "blazeface-front";
        auto fr = Shared<BlazeFaceDetector, BlazeFaceOptions>(
            front, [](const BlazeFaceOptions& x) { return BlazeFaceDetector::Load(x); });
        if (fr.ok()) t.blaze_roi_ = std::move(*fr);
        else SMILE_LOG(kDebug) << "tracking search: back model (" << fr.status().message() << ")";
      }
    } else if (o.detector_kind == DetectorKind::kBlazeFace) {
      return bf.status().WithContext("--detector blazeface");
    } else {
      SMILE_LOG(kDebug) << "face detector: dlib HOG (BlazeFace unavailable: " << bf.status().message() << ")";
    }
  }
  // kReference without a photo here: the caller gives it with SetReference before the first frame.
  if (!o.reference.empty()) {
    SMILE_RETURN_IF_ERROR(t.SetReference(o.reference).WithContext("--face photo"));
  }
  return t;
}

void FaceTracker::Reset() {
  tracks_.clear();
  main_id_ = -1;
  frame_count_ = 0;
}

std::vector<TrackedFace> FaceTracker::DetectStill(const cv::Mat& image) const {
  std::vector<TrackedFace> out;
  if (image.empty()) return out;
  const cv::Mat gray = ToGray(image), bgr = ToBgr(image);
  auto seeds = DetectFull(bgr, gray);
  if (seeds.empty() && !blaze_) {
    // Portrait photos often show a large face: retry on a shrunk copy.
    FaceDetector big(DetectorOptions{320, 200, 0.0, 110});
    for (const auto& d : big.Detect(gray)) seeds.push_back({d, 0.0});
  }
  for (const auto& sd : seeds) {
    TrackedFace f;
    f.box = sd.det.box;
    f.angle = sd.angle;
    f.detected = true;
    f.raw_landmarks = f.landmarks = Fit(gray, sd.det.box, sd.angle);
    out.push_back(std::move(f));
  }
  std::sort(out.begin(), out.end(), [](const TrackedFace& a, const TrackedFace& b) { return a.box.area() > b.box.area(); });
  return out;
}

Status FaceTracker::SetReference(const cv::Mat& photo) {
  if (photo.empty()) return InvalidArgument("reference photo is empty; give a readable image with one face");
  const auto faces = DetectStill(photo);
  if (faces.empty())
    return NotFound("no face found in the reference photo; use a photo where the person's face is visible");
  reference_faces_ = static_cast<int>(faces.size());
  if (faces.size() > 1) {
    SMILE_LOG(kWarn) << "the reference photo shows " << faces.size()
                     << " faces; the largest one is the reference (crop the photo to choose another)";
  }
  if (!embedder_) {
    auto e = Shared<FaceEmbedder, FaceEmbedderOptions>(FaceEmbedderOptions{o_.blazeface.models_dir, o_.blazeface.device},
                                                      [](const FaceEmbedderOptions& x) { return FaceEmbedder::Load(x); });
    if (e.ok()) {
      embedder_ = std::move(*e);
    } else {
      SMILE_LOG(kWarn) << "face choice by photo uses the LBP descriptor (FaceRes unavailable: "
                       << e.status().message() << ")";
    }
  }
  if (embedder_) {
    SMILE_ASSIGN_OR_RETURN(reference_embedding_, embedder_->Embed(photo, faces[0].landmarks));
  }
  reference_ = ComputeDescriptor(photo, faces[0].landmarks);
  o_.choice = FaceChoice::kReference;
  main_id_ = -1;
  for (auto& tr : tracks_) tr.last_similarity_frame = -1000;
  return Status::Ok();
}

double FaceTracker::Similarity(const cv::Mat& frame, const Landmarks& pts) const {
  if (embedder_ && !reference_embedding_.empty()) {
    auto e = embedder_->Embed(frame, pts);
    return e.ok() ? 1.0 - FaceEmbedder::Distance(reference_embedding_, *e) : -1.0;
  }
  return reference_.empty() ? 0.0 : DescriptorSimilarity(reference_, ComputeDescriptor(frame, pts));
}

Landmarks FaceTracker::Fit(const cv::Mat& gray, const cv::Rect2f& box, double angle) const {
  return blaze_ ? FitRotated(landmarks_, gray, box, angle) : landmarks_.Fit(gray, box);
}

std::vector<FaceSeed> FaceTracker::DetectFull(const cv::Mat& bgr, const cv::Mat& gray) const {
  std::vector<FaceSeed> out;
  if (!blaze_) {
    for (const auto& d : detector_.Detect(gray)) out.push_back({d, 0.0});
    return out;
  }
  auto faces = blaze_->Detect(bgr);
  if (faces.ok())
    for (const auto& f : *faces) out.push_back(SeedFromBlazeFace(f));
  if (!out.empty()) return out;
  // BlazeFace sees the whole frame at 256 px, so a small face in a large frame can shrink below what
  // it finds: then HOG's passes (its small-face pass up-samples) search the frame. (Searching tiles of
  // the frame with BlazeFace instead gave false faces on empty rooms at scores 0.5-0.73.)
  for (const auto& d : detector_.Detect(gray)) out.push_back({d, 0.0});
  return out;
}

std::vector<FaceSeed> FaceTracker::DetectInRoi(const cv::Mat& bgr, const cv::Mat& gray, const cv::Rect& roi_in,
                                               double side) const {
  std::vector<FaceSeed> out;
  if (!blaze_) {
    for (const auto& d : detector_.DetectInRoi(gray, roi_in, side)) out.push_back({d, 0.0});
    return out;
  }
  const cv::Rect roi = roi_in & cv::Rect(0, 0, bgr.cols, bgr.rows);
  if (roi.width < 16 || roi.height < 16) return out;
  auto faces = (blaze_roi_ ? *blaze_roi_ : *blaze_).Detect(bgr(roi));
  if (!faces.ok()) return out;
  for (auto f : *faces) {
    f.det.box.x += roi.x, f.det.box.y += roi.y;
    for (auto& k : f.keypoints) k += cv::Point2f(static_cast<float>(roi.x), static_cast<float>(roi.y));
    out.push_back(SeedFromBlazeFace(f));
  }
  return out;
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
  const cv::Mat bgr = blaze_ || o_.choice == FaceChoice::kReference ? ToBgr(frame_in) : cv::Mat();

  // 1. Search each track around its last box, at its scale.
  for (auto& tr : tracks_) {
    tr.detected = false;
    const float side = std::max(tr.box.width, tr.box.height);
    const cv::Rect roi = TrackSearchRegion(tr.box, gray.size());
    const auto dets = DetectInRoi(bgr, gray, roi, side);
    double best = o_.match_iou;
    const cv::Rect2f last = tr.box;
    for (const auto& d : dets) {
      const double iou = IoU(d.det.box, last);
      if (iou > best) best = iou, tr.box = d.det.box, tr.angle = d.angle, tr.detected = true;
    }
  }
  // 2. Full-frame detection when due, when a track was missed, or when there is none.
  const bool any_missed =
      std::any_of(tracks_.begin(), tracks_.end(), [](const Track& x) { return !x.detected; });
  if (tracks_.empty() || any_missed || (frame_count_ - 1) % std::max(1, o_.redetect_every) == 0) {
    res.full_detection = true;
    const auto seeds = DetectFull(bgr, gray);
    std::vector<Detection> dets;
    for (const auto& sd : seeds) dets.push_back(sd.det);
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
      if (bi >= 0) used[bi] = true, tr.box = dets[bi].box, tr.angle = seeds[bi].angle, tr.detected = true;
    }
    for (size_t i = 0; i < dets.size(); ++i) {
      if (used[i]) continue;
      bool overlaps = false;
      for (const auto& tr : tracks_) overlaps |= IoU(dets[i].box, tr.box) > 0.1;
      if (overlaps) continue;
      Track tr{next_id_++, dets[i].box, {}, {}, 0, true, PointsFilter(o_.landmark_filter)};
      tr.angle = seeds[i].angle;
      tracks_.push_back(std::move(tr));
    }
  }
  // 3. Missed tracks coast; old ones are dropped.
  for (auto& tr : tracks_) tr.missed = tr.detected ? 0 : tr.missed + 1;
  tracks_.erase(std::remove_if(tracks_.begin(), tracks_.end(), [&](const Track& x) { return x.missed > o_.max_missed; }),
                tracks_.end());
  // 4. Landmarks (coasting tracks follow their landmarks' motion).
  for (auto& tr : tracks_) {
    Landmarks pts = Fit(gray, tr.box, tr.angle);
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
  const int main_idx = ChooseMain(bgr.empty() ? gray : bgr, res.full_detection);
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
    f.angle = tr.angle;
    res.faces.push_back(std::move(f));
  }
  res.main = main_idx;
  return res;
}

int FaceTracker::ChooseMain(const cv::Mat& frame, bool full_detection) {
  if (tracks_.empty()) {
    main_id_ = -1;
    return -1;
  }
  for (size_t i = 0; i < tracks_.size(); ++i) {
    if (tracks_[i].id != main_id_) continue;
    // Stay with the chosen face; a reference choice that matched poorly is looked at again when
    // a full detection may have brought a better match.
    const bool doubtful = o_.choice == FaceChoice::kReference && tracks_[i].similarity < o_.reference_accept &&
                          full_detection && tracks_.size() > 1;
    if (!doubtful) return static_cast<int>(i);
  }
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
          tr.similarity = Similarity(frame, tr.raw);
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
