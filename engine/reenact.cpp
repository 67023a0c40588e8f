#include "engine/reenact.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "engine/face_detector.h"
#include "engine/face_parser.h"
#include "engine/labels.h"

namespace smile::engine {
namespace {

// Rigid points: eye corners and the nose bridge/base; they barely move with expression.
const std::vector<int> kRigid = {36, 39, 42, 45, 27, 28, 29, 30, 31, 33, 35};

cv::Matx33d H(const cv::Matx23d& m) {
  return cv::Matx33d(m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2), 0, 0, 1);
}
cv::Matx23d A(const cv::Matx33d& m) { return cv::Matx23d(m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2)); }

}  // namespace

int ClassArea(const cv::Mat& labels, std::initializer_list<int> classes) {
  int n = 0;
  for (int c : classes) n += cv::countNonZero(labels == c);
  return n;
}

Landmarks ExpressionLandmarks(const FaceMesh* mesh, const cv::Mat& image, const Landmarks& pts68) {
  if (!mesh || pts68.size() != 68) return pts68;
  auto m = mesh->Fit(image, pts68);
  if (!m.ok() || m->score < 0.5f) return pts68;
  return MeshRefined68(pts68, *m);
}

namespace {
// The tracker's default landmark filter (a named object: GCC 12 warns, wrongly, that a temporary
// TrackerOptions' strings may be used uninitialised).
OneEuroParams DefaultLandmarkFilter() {
  const TrackerOptions defaults;
  return defaults.landmark_filter;
}
}  // namespace

ExpressionTracker::ExpressionTracker(const FaceMesh* mesh) : mesh_(mesh), filter_(DefaultLandmarkFilter()) {}

Landmarks ExpressionTracker::Update(const cv::Mat& image, const Landmarks& pts68, double t) {
  if (!mesh_ || pts68.size() != 68) return pts68;
  const Landmarks refined = ExpressionLandmarks(mesh_, image, pts68);
  const Landmarks smooth = filter_.Filter(Landmarks(refined.begin() + 36, refined.end()), t, InterOcular(refined));
  Landmarks out = pts68;
  std::copy(smooth.begin(), smooth.end(), out.begin() + 36);
  return out;
}

Result<ReenactSource> SourceFromPhoto(const cv::Mat& photo, FaceAnalyzer& analyzer, const FaceMesh* mesh) {
  if (photo.empty()) return InvalidArgument("the source photo is empty or could not be decoded");
  analyzer.Reset();
  SMILE_ASSIGN_OR_RETURN(FrameAnalysis a, analyzer.Process(photo, 0.0));
  analyzer.Reset();
  if (!a.found)
    return NotFound("no face found in the source photo; use a photo with one visible, roughly frontal face");
  if (a.tracks.faces.size() > 1) {
    // Several faces: only accept when the main one is clearly the largest.
    std::vector<float> areas;
    for (const auto& f : a.tracks.faces) areas.push_back(f.box.area());
    std::sort(areas.rbegin(), areas.rend());
    if (areas[1] > 0.5f * areas[0])
      return InvalidArgument("the source photo shows " + std::to_string(a.tracks.faces.size()) +
                             " faces of similar size; crop it to the one person to animate");
  }
  ReenactSource s;
  s.canvas = photo.channels() == 3 ? photo : ToBgr(photo);
  s.alignment = a.alignment;
  s.aligned = a.aligned;
  s.landmarks = mesh ? TransformPoints(ExpressionLandmarks(mesh, s.canvas, a.face.landmarks), a.alignment.to_aligned)
                     : a.aligned_landmarks;
  s.labels = a.parse.labels;
  return s;
}

ReenactSource SourceFromLayout(const cv::Mat& labels, const cv::Mat& canvas, const Landmarks& landmarks) {
  ReenactSource s;
  s.canvas = canvas;
  const int n = canvas.cols;
  cv::resize(labels, s.labels, cv::Size(n, n), 0, 0, cv::INTER_NEAREST);
  s.alignment.size = n;
  s.alignment.to_aligned = cv::Matx23d(1, 0, 0, 0, 1, 0);
  s.alignment.to_frame = cv::Matx23d(1, 0, 0, 0, 1, 0);
  s.alignment.quad = {{0.f, 0.f}, {0.f, float(n)}, {float(n), float(n)}, {float(n), 0.f}};
  s.aligned = canvas;
  s.landmarks = landmarks;
  return s;
}

cv::Matx23d Reenactor::Similarity(const Landmarks& from, const Landmarks& to, const std::vector<int>& idx) {
  // Umeyama in 2-D: to = s R from + t, least squares.
  cv::Point2d mf(0, 0), mt(0, 0);
  for (int i : idx) {
    mf += cv::Point2d(from[i]);
    mt += cv::Point2d(to[i]);
  }
  mf /= double(idx.size());
  mt /= double(idx.size());
  double a = 0, b = 0, var = 0;
  for (int i : idx) {
    const cv::Point2d f = cv::Point2d(from[i]) - mf, t = cv::Point2d(to[i]) - mt;
    a += f.x * t.x + f.y * t.y;
    b += f.x * t.y - f.y * t.x;
    var += f.x * f.x + f.y * f.y;
  }
  if (var < 1e-9) return cv::Matx23d(1, 0, mt.x - mf.x, 0, 1, mt.y - mf.y);
  const double c = a / var, s = b / var;  // s*cos, s*sin
  return cv::Matx23d(c, -s, mt.x - (c * mf.x - s * mf.y), s, c, mt.y - (s * mf.x + c * mf.y));
}

cv::Mat Reenactor::RedrawParts(const cv::Mat& labels, const Landmarks& pts) {
  cv::Mat out = labels.clone();
  const int removed[] = {kLBrow, kRBrow, kLEye, kREye, kMouth, kULip, kLLip, kIris};
  for (int c : removed) out.setTo(kSkin, labels == c);
  std::vector<cv::Mat> parts = GeometricParser::PartMasks(labels.size(), pts);
  // Draw where the face is skin now (never over hair, eyeglasses, background ...); the
  // mouth interior wins over lips, eyes over brows.
  const cv::Mat skin = out == kSkin;
  const int order[] = {kLBrow, kRBrow, kULip, kLLip, kLEye, kREye, kMouth};
  for (int c : order) {
    if (parts[c].empty()) continue;
    cv::Mat m = (parts[c] > 0.5) & skin;
    out.setTo(c, m);
  }
  return out;
}

Reenactor::Reenactor(ReenactSource source, ReenactOptions options) : src_(std::move(source)), o_(options) {
  src_region_ = HeadRegion(src_.labels);
}

Retargeted Reenactor::Retarget(const Landmarks& driver, const AlignOptions& driver_align) {
  Retargeted r;
  r.pose = cv::Matx23d(1, 0, 0, 0, 1, 0);
  if (!have_ref_) {
    ref_align_ = ComputeAlignment(driver, driver_align);
    ref_aligned_ = TransformPoints(driver, ref_align_.to_aligned);
    have_ref_ = true;
  }
  const double a_d = ref_align_.size, a_s = src_.labels.cols;
  if (src_.landmarks.size() != 68) {  // a layout without landmarks: the driver's first face, scaled
    src_.landmarks = ref_aligned_;
    for (auto& q : src_.landmarks) q *= static_cast<float>(a_s / a_d);
  }
  // This frame in the first frame's aligned crop.
  const Landmarks cur = TransformPoints(driver, ref_align_.to_aligned);
  const cv::Matx23d pose = Similarity(ref_aligned_, cur, kRigid);     // first -> now
  const cv::Matx23d unpose = A(H(pose).inv());
  const Landmarks cur_unposed = TransformPoints(cur, unpose);         // expression only
  r.landmarks = src_.landmarks;
  if (o_.expression) {
    const double k = o_.expression_gain * a_s / a_d;
    for (int i = 0; i < 68; ++i) {
      if (!IsExpressionPoint(i)) continue;
      r.landmarks[i] += cv::Point2f(static_cast<float>((cur_unposed[i].x - ref_aligned_[i].x) * k),
                                    static_cast<float>((cur_unposed[i].y - ref_aligned_[i].y) * k));
    }
  }
  cv::Mat labels = RedrawParts(src_.labels, r.landmarks);
  if (o_.pose) {
    const cv::Matx33d s(a_s / a_d, 0, 0, 0, a_s / a_d, 0, 0, 0, 1);
    r.pose = A(s * H(pose) * s.inv());
    cv::warpAffine(labels, r.labels, r.pose, labels.size(), cv::INTER_NEAREST, cv::BORDER_REPLICATE);
  } else {
    r.labels = labels;
  }
  cv::Mat region = src_region_ | HeadRegion(r.labels);
  const int d = std::max(1, cvRound(o_.region_margin * a_s));
  cv::dilate(region, r.region, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * d + 1, 2 * d + 1)));
  return r;
}

}  // namespace smile::engine

namespace smile::engine {

Result<ReenactSource> SourceFromIdentity(Session& session, const FaceMesh* mesh) {
  const cv::Mat labels = session.model()->DefaultLabels();
  const int side = std::max(256, labels.cols);
  cv::Mat big;
  cv::resize(labels, big, cv::Size(side, side), 0, 0, cv::INTER_NEAREST);
  SMILE_ASSIGN_OR_RETURN(cv::Mat canvas, session.renderer().Render(big));
  Landmarks pts;
  TrackResult t = session.analyzer().tracker().Update(canvas, 0.0);
  if (const TrackedFace* f = t.main_face()) pts = ExpressionLandmarks(mesh, canvas, f->landmarks);
  session.analyzer().Reset();
  ReenactSource src = SourceFromLayout(big, canvas, pts);
  src.identity_layout = true;
  return src;
}

AnalyseFn ReenactAnalysis(Session& session, std::shared_ptr<Reenactor> reenactor, std::shared_ptr<const FaceMesh> mesh) {
  auto last = std::make_shared<Retargeted>();
  auto last_iris = std::make_shared<IrisDiscs>();
  auto expression = std::make_shared<ExpressionTracker>(mesh.get());  // `mesh` is kept alive by the capture
  return [&session, reenactor, last, last_iris, mesh, expression](SessionItem& item) -> Status {
    const ReenactSource& src = reenactor->source();
    item.canvas = src.canvas;
    item.alignment = src.alignment;
    item.color_ref = src.aligned;
    if (!session.effect()) {
      item.pass = SessionItem::Pass::kEffectOff;
      return Status::Ok();
    }
    TrackResult t = session.analyzer().tracker().Update(*item.input.image, item.input.pts_us / 1e6);
    const TrackedFace* f = t.main_face();
    if (f) {
      const Landmarks pts = expression->Update(*item.input.image, f->landmarks, item.input.pts_us / 1e6);
      *last = reenactor->Retarget(pts);
      if (const IrisModel* iris = session.analyzer().iris_model()) {  // set for iris models only
        // The driver's irises (frame pixels) kept in place on its eyes, carried onto the source's
        // redrawn eyes and moved with the pose.
        if (auto eyes = iris->Fit(*item.input.image, f->landmarks); eyes.ok()) {
          const int side = last->labels.cols;
          const IrisDiscs in_frame = IrisDiscsOf(*eyes, cv::Matx23d(1, 0, 0, 0, 1, 0), 0);
          const IrisDiscs d = TransformIris(TransferIris(in_frame, pts, last->landmarks, side), last->pose, side);
          if (d.valid) *last_iris = d;
        }
      }
    } else {
      expression->Reset();
      if (last->labels.empty()) {
        item.pass = SessionItem::Pass::kNoFace;
        return Status::Ok();
      }
      item.pass = SessionItem::Pass::kHeld;
    }
    item.render = true;
    item.labels = last->labels;
    item.iris = *last_iris;
    item.region = last->region;
    if (src.identity_layout && !last->labels.empty())
      item.geometry = session.LayoutGeometry(src.landmarks, last->landmarks, last->labels.cols, &last->pose);
    return Status::Ok();
  };
}

}  // namespace smile::engine
