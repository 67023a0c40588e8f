#include "engine/reenact.h"

#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "capture/source.h"
#include "engine/face_parser.h"
#include "synth_face.h"

namespace smile::engine {
namespace {

// A source layout: skin oval, hair on top, parts from the landmarks.
ReenactSource SynthSource() {
  Landmarks pts = SynthFace();
  cv::Mat labels(256, 256, CV_8U, cv::Scalar(kBackground));
  cv::ellipse(labels, {128, 100}, {70, 100}, 0, 0, 360, cv::Scalar(kHair), -1);
  cv::ellipse(labels, {128, 120}, {62, 80}, 0, 0, 360, cv::Scalar(kSkin), -1);
  labels = Reenactor::RedrawParts(labels, pts);
  return SourceFromLayout(labels, cv::Mat(256, 256, CV_8UC3, cv::Scalar(90, 120, 170)), pts);
}

cv::Point2d Centroid(const cv::Mat& labels, int c) {
  cv::Moments m = cv::moments(labels == c, true);
  return m.m00 > 0 ? cv::Point2d(m.m10 / m.m00, m.m01 / m.m00) : cv::Point2d(-1, -1);
}

TEST(Reenact, SimilarityRecoversAKnownTransform) {
  Landmarks a = SynthFace(), b(68);
  const double ang = 0.2, s = 1.3;
  for (int i = 0; i < 68; ++i)
    b[i] = {float(s * (std::cos(ang) * a[i].x - std::sin(ang) * a[i].y) + 7),
            float(s * (std::sin(ang) * a[i].x + std::cos(ang) * a[i].y) - 3)};
  std::vector<int> all(68);
  for (int i = 0; i < 68; ++i) all[i] = i;
  cv::Matx23d m = Reenactor::Similarity(a, b, all);
  EXPECT_NEAR(m(0, 0), s * std::cos(ang), 1e-4);
  EXPECT_NEAR(m(1, 0), s * std::sin(ang), 1e-4);
  EXPECT_NEAR(m(0, 2), 7, 1e-2);
  EXPECT_NEAR(m(1, 2), -3, 1e-2);
}

TEST(Reenact, RedrawPartsKeepsTheRestOfTheMask) {
  ReenactSource src = SynthSource();
  cv::Mat moved = Reenactor::RedrawParts(src.labels, SynthFace(20));
  EXPECT_EQ(ClassArea(src.labels, {kMouth}), 0);
  EXPECT_GT(ClassArea(moved, {kMouth}), 200);
  // Hair and background are untouched.
  EXPECT_EQ(cv::countNonZero((src.labels == kHair) != (moved == kHair)), 0);
  EXPECT_EQ(cv::countNonZero((src.labels == kBackground) != (moved == kBackground)), 0);
}

TEST(Reenact, MouthOpeningFollowsTheDriverAtAnyFaceSize) {
  // The driver's face is 1.6x bigger and elsewhere in its frame: normalisation by its
  // aligned crop makes the source open its mouth by the same relative amount.
  for (float scale : {1.0f, 1.6f}) {
    Reenactor r(SynthSource());
    std::vector<int> areas;
    for (float open : {0.f, 6.f, 12.f, 18.f}) {
      Retargeted out = r.Retarget(SynthFace(open, scale, {20 * scale - 20, 10}));
      areas.push_back(ClassArea(out.labels, {kMouth}));
    }
    EXPECT_EQ(areas[0], 0) << "first frame = reference: the source's closed mouth";
    for (size_t i = 1; i < areas.size(); ++i) EXPECT_GT(areas[i], areas[i - 1] + 20) << "scale " << scale;
    // Same relative opening as drawing the source itself with that opening.
    const int direct = ClassArea(Reenactor::RedrawParts(SynthSource().labels, SynthFace(18)), {kMouth});
    EXPECT_NEAR(areas[3], direct, 0.25 * direct) << "scale " << scale;
  }
}

TEST(Reenact, HeadPoseMovesTheMask) {
  ReenactSource src = SynthSource();
  Reenactor r(src);
  Retargeted first = r.Retarget(SynthFace());
  const cv::Point2d n0 = Centroid(first.labels, kLEye);
  ASSERT_GT(n0.x, 0);
  EXPECT_NEAR(n0.x, Centroid(src.labels, kLEye).x, 0.5);
  // 12 px to the right in the driver's frame -> scaled by its alignment into the source crop.
  Alignment a = ComputeAlignment(SynthFace(), AlignOptions{});
  const double s = std::hypot(a.to_aligned(0, 0), a.to_aligned(1, 0)) * 256.0 / a.size;
  Retargeted moved = r.Retarget(SynthFace(0, 1, {12, 0}));
  const cv::Point2d n1 = Centroid(moved.labels, kLEye);
  EXPECT_NEAR(n1.x - n0.x, 12 * s, 1.5);
  EXPECT_NEAR(n1.y - n0.y, 0, 1.0);
  EXPECT_EQ(ClassArea(moved.labels, {kMouth}), 0) << "pure motion is no expression";
  // A roll of 10 degrees shows in the pose.
  Landmarks rolled = SynthFace();
  const double ang = 10 * M_PI / 180;
  for (auto& q : rolled) {
    const cv::Point2f d = q - cv::Point2f(128, 128);
    q = cv::Point2f(128 + float(std::cos(ang) * d.x - std::sin(ang) * d.y),
                    128 + float(std::sin(ang) * d.x + std::cos(ang) * d.y));
  }
  Retargeted roll = r.Retarget(rolled);
  EXPECT_NEAR(std::atan2(roll.pose(1, 0), roll.pose(0, 0)) * 180 / M_PI, 10, 0.5);
  // The paste region covers the old and the new head.
  EXPECT_EQ(cv::countNonZero(HeadRegion(src.labels) & ~roll.region), 0);
  EXPECT_EQ(cv::countNonZero(HeadRegion(roll.labels) & ~roll.region), 0);
}

TEST(Reenact, PoseAndExpressionCanBeSwitchedOff) {
  ReenactOptions o;
  o.pose = false;
  o.expression = false;
  ReenactSource src = SynthSource();
  Reenactor r(src, o);
  r.Retarget(SynthFace());
  Retargeted out = r.Retarget(SynthFace(18, 1, {15, 5}));
  EXPECT_EQ(cv::countNonZero(out.labels != src.labels), 0);
}

// ---- real media: a photo animated by a talking clip ----

std::string Media(const std::string& rel) { return std::string(SMILE_MEDIA_DIR) + "/" + rel; }

double Pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = a.size();
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) ma += a[i] / n, mb += b[i] / n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0;
}

// The driver's mouth-interior area (the geometric parser's mask of its landmarks in its own aligned
// crop) against the retargeted mask's, over d3's first 90 frames; `mesh` set: eyes and lips from
// FaceMesh on both sides (the driver's through ExpressionTracker, as ReenactAnalysis reads them).
double MouthCorrelation(const FaceMesh* mesh) {
  auto analyzer = FaceAnalyzer::Create(AnalyzerOptions{});
  EXPECT_TRUE(analyzer.ok());
  cv::Mat photo = cv::imread(Media("faces/lp_s0.jpg"));
  EXPECT_FALSE(photo.empty());
  auto src = SourceFromPhoto(photo, *analyzer, mesh);
  EXPECT_TRUE(src.ok()) << src.status().ToString();
  if (!src.ok()) return 0;
  Reenactor r(*src);
  auto driver = capture::OpenSource(Media("video/d3.mp4"));
  EXPECT_TRUE(driver.ok());
  ExpressionTracker expression(mesh);
  std::vector<double> drv, out;
  for (int i = 0; i < 90; ++i) {
    auto f = (*driver)->Read();
    if (!f.ok()) break;
    TrackResult t = analyzer->tracker().Update(*f->image, f->pts_us / 1e6);
    const TrackedFace* face = t.main_face();
    if (!face) continue;
    const Landmarks pts = expression.Update(*f->image, face->landmarks, f->pts_us / 1e6);
    Alignment a = ComputeAlignment(pts, AlignOptions{});
    std::vector<cv::Mat> parts = GeometricParser::PartMasks(cv::Size(a.size, a.size), TransformPoints(pts, a.to_aligned));
    drv.push_back(cv::countNonZero(parts[kMouth] > 0.5) / double(a.size * a.size));
    Retargeted rt = r.Retarget(pts);
    out.push_back(ClassArea(rt.labels, {kMouth}) / double(rt.labels.total()));
  }
  EXPECT_GE(drv.size(), 60u);
  double dmax = 0;
  for (double v : drv) dmax = std::max(dmax, v);
  EXPECT_GT(dmax, 0.002) << "the driver should open its mouth in these frames";
  return Pearson(drv, out);
}

TEST(ReenactMedia, MouthOfAPhotoFollowsTheDriversMouth) {
  if (!std::filesystem::exists(Media("video/d3.mp4"))) GTEST_SKIP() << "shared media not found at " << SMILE_MEDIA_DIR;
  const double rho = MouthCorrelation(nullptr);
  EXPECT_GT(rho, 0.8) << "mouth-interior area of the retargeted mask vs the driver's";
  std::printf("mouth area correlation driver vs reenacted: %.3f\n", rho);
}

TEST(ReenactMedia, FaceMeshEyesAndLipsDriveTheMask) {
  if (!std::filesystem::exists(Media("video/d3.mp4"))) GTEST_SKIP() << "shared media not found at " << SMILE_MEDIA_DIR;
  auto mesh = FaceMesh::Load();
  if (!mesh.ok()) GTEST_SKIP() << mesh.status().ToString();
  // The source photo's eyes and lips are FaceMesh's, the rest dlib's.
  auto analyzer = FaceAnalyzer::Create(AnalyzerOptions{});
  ASSERT_TRUE(analyzer.ok());
  const cv::Mat photo = cv::imread(Media("faces/lp_s0.jpg"));
  auto plain = SourceFromPhoto(photo, *analyzer);
  auto meshed = SourceFromPhoto(photo, *analyzer, &*mesh);
  ASSERT_TRUE(plain.ok() && meshed.ok());
  for (int i = 0; i < 36; ++i) EXPECT_EQ(plain->landmarks[i], meshed->landmarks[i]) << i;
  double moved = 0;
  for (int i = 36; i < 68; ++i) moved += cv::norm(plain->landmarks[i] - meshed->landmarks[i]) / 32;
  EXPECT_GT(moved, 0.1) << "mean shift of the eye and lip points (aligned px)";
  const double rho = MouthCorrelation(&*mesh);
  EXPECT_GT(rho, 0.8) << "mouth-interior area of the retargeted mask vs the driver's (FaceMesh lips)";
  std::printf("FaceMesh eyes and lips: points moved %.2f aligned px; mouth area correlation %.3f\n", moved, rho);
}

}  // namespace
}  // namespace smile::engine
