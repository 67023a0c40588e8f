// Known-answer tests of the evaluation metrics (engine/eval_metrics.h, engine/eval_nets.h).
#include <cmath>
#include <filesystem>
#include <random>
#include <tuple>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "core/image_metrics.h"
#include "engine/eval_metrics.h"
#include "engine/eval_nets.h"
#include "models/config.h"
#include "tests/temp_path.h"

namespace smile::engine {
namespace {

cv::Mat Noise(int size, uint64_t seed, int blur = 5) {
  cv::Mat m(size, size, CV_8UC3);
  cv::RNG rng(seed);
  rng.fill(m, cv::RNG::UNIFORM, 0, 256);
  cv::GaussianBlur(m, m, cv::Size(0, 0), blur / 3.0);
  cv::normalize(m, m, 0, 255, cv::NORM_MINMAX);
  return m;
}

TEST(EvalImageErrors, IdenticalAndKnownOffset) {
  cv::Mat a = Noise(64, 1);
  auto same = CompareImages(a, a);
  EXPECT_TRUE(std::isinf(same.psnr));
  EXPECT_NEAR(same.ssim, 1.0, 1e-9);
  EXPECT_EQ(same.rmse, 0.0);
  cv::Mat z(32, 32, CV_8UC3, cv::Scalar::all(100)), b(32, 32, CV_8UC3, cv::Scalar::all(110));
  auto e = CompareImages(z, b);
  EXPECT_NEAR(e.rmse, 10.0, 1e-9);
  EXPECT_NEAR(e.psnr, 20 * std::log10(255.0 / 10.0), 1e-6);
  // Region: only the differing half counts.
  cv::Mat c = z.clone();
  c(cv::Rect(0, 0, 16, 32)).setTo(cv::Scalar::all(120));
  cv::Mat region = cv::Mat::zeros(32, 32, CV_8U);
  region(cv::Rect(0, 0, 16, 32)).setTo(255);
  EXPECT_NEAR(Rmse(z, c, region), 20.0, 1e-9);
  EXPECT_NEAR(Rmse(z, c), std::sqrt(200.0), 1e-9);
}

// Per-class errors agree with the region PSNR, and "if exact" removes exactly that class's share.
TEST(EvalImageErrors, ClassErrorsSplitTheRegionError) {
  cv::Mat truth(32, 32, CV_8UC3, cv::Scalar::all(100)), out = truth.clone();
  cv::Mat labels(32, 32, CV_8U, cv::Scalar(0));
  labels(cv::Rect(0, 0, 16, 32)).setTo(1);   // class 1: error 10 per channel
  labels(cv::Rect(16, 0, 8, 32)).setTo(13);  // class 13: error 20
  out(cv::Rect(0, 0, 16, 32)).setTo(cv::Scalar::all(110));
  out(cv::Rect(16, 0, 8, 32)).setTo(cv::Scalar::all(80));
  ClassErrors e;
  e.Add(out, truth, labels);
  e.Add(out, truth, labels);  // pooled over frames: the same figures
  EXPECT_DOUBLE_EQ(e.Pixels({1}), 2.0 * 16 * 32);
  EXPECT_NEAR(e.Psnr({1}), 20 * std::log10(255.0 / 10), 1e-9);
  EXPECT_NEAR(e.Psnr({13}), 20 * std::log10(255.0 / 20), 1e-9);
  EXPECT_TRUE(std::isinf(e.Psnr({0})));
  EXPECT_TRUE(std::isnan(e.Psnr({7})));
  cv::Mat region = (labels == 1) | (labels == 13);
  EXPECT_NEAR(e.Psnr({1, 13}), Psnr(out, truth, region), 1e-9);
  // Class 13 exact: only class 1's squared error over both classes' pixels.
  const double mse = (16 * 32 * 100.0) / (24 * 32);
  EXPECT_NEAR(e.PsnrWithout({1, 13}, {13}), 10 * std::log10(255.0 * 255.0 / mse), 1e-9);
  EXPECT_GT(e.PsnrWithout({1, 13}, {13}), e.Psnr({1, 13}));
  EXPECT_NEAR(e.Sse({13}) / e.Sse({1, 13}), 8 * 400.0 / (16 * 100 + 8 * 400), 1e-12);
}

// Class edges: the pixels within `radius` of another class keep their class, the rest get `fill`;
// the image border is not an edge. Columns 0-15 class 1, 16-23 class 13, 24-31 class 0.
TEST(EvalImageErrors, NearClassEdgesKeepsABandOnEachSideOfABoundary) {
  cv::Mat labels(32, 32, CV_8U, cv::Scalar(0));
  labels(cv::Rect(0, 0, 16, 32)).setTo(1);
  labels(cv::Rect(16, 0, 8, 32)).setTo(13);
  const cv::Mat e = NearClassEdges(labels, 2, 255);
  ASSERT_EQ(e.size(), labels.size());
  for (int y : {0, 15, 31})
    for (int x = 0; x < 32; ++x) {
      const bool near = (x >= 14 && x <= 17) || (x >= 22 && x <= 25);
      EXPECT_EQ(e.at<uint8_t>(y, x), near ? labels.at<uint8_t>(y, x) : 255) << "x " << x << " y " << y;
    }
  // Measured through ClassErrors: class 13's error split into its two edge bands (4 columns) and none inside.
  cv::Mat truth(32, 32, CV_8UC3, cv::Scalar::all(100)), out = truth.clone();
  out(cv::Rect(16, 0, 8, 32)).setTo(cv::Scalar::all(80));
  ClassErrors all, edges;
  all.Add(out, truth, labels);
  edges.Add(out, truth, e);
  EXPECT_DOUBLE_EQ(edges.Pixels({13}), 4.0 * 32);
  EXPECT_NEAR(edges.Sse({13}) / all.Sse({13}), 0.5, 1e-12);
  EXPECT_DOUBLE_EQ(cv::countNonZero(NearClassEdges(cv::Mat(8, 8, CV_8U, cv::Scalar(5)), 1, 0)), 0);
}

TEST(EvalFrechet, SetAgainstItselfIsZero) {
  cv::Mat f(300, 16, CV_64F);
  cv::randn(f, 0.0, 1.0);
  auto s = ComputeFeatureStats(f);
  EXPECT_NEAR(FrechetDistance(s, s), 0.0, 1e-8);
}

TEST(EvalFrechet, ClosedFormGaussians) {
  // 1-D: N(0, 1) vs N(1, 4): (0-1)^2 + 1 + 4 - 2*sqrt(4) = 2.
  FeatureStats a{cv::Mat(1, 1, CV_64F, cv::Scalar(0)), cv::Mat(1, 1, CV_64F, cv::Scalar(1)), 2};
  FeatureStats b{cv::Mat(1, 1, CV_64F, cv::Scalar(1)), cv::Mat(1, 1, CV_64F, cv::Scalar(4)), 2};
  EXPECT_NEAR(FrechetDistance(a, b), 2.0, 1e-9);
  // Diagonal: sum of per-axis terms (sqrt(s1) - sqrt(s2))^2 + |mu1 - mu2|^2.
  const double s1[3] = {1, 2, 9}, s2[3] = {4, 0.5, 1}, m1[3] = {0, 1, 2}, m2[3] = {1, 1, -1};
  FeatureStats c{cv::Mat(1, 3, CV_64F), cv::Mat::zeros(3, 3, CV_64F), 2}, d{cv::Mat(1, 3, CV_64F), cv::Mat::zeros(3, 3, CV_64F), 2};
  double expect = 0;
  for (int k = 0; k < 3; ++k) {
    c.mean.at<double>(k) = m1[k], d.mean.at<double>(k) = m2[k];
    c.cov.at<double>(k, k) = s1[k], d.cov.at<double>(k, k) = s2[k];
    expect += (m1[k] - m2[k]) * (m1[k] - m2[k]) + std::pow(std::sqrt(s1[k]) - std::sqrt(s2[k]), 2);
  }
  EXPECT_NEAR(FrechetDistance(c, d), expect, 1e-9);
  // Rotating both covariances by the same orthogonal matrix leaves the distance unchanged.
  cv::Mat q;
  cv::Mat rnd(3, 3, CV_64F);
  cv::randn(rnd, 0, 1);
  cv::Mat w, u, vt;
  cv::SVD::compute(rnd, w, u, vt);
  q = u;
  FeatureStats cr{c.mean * q.t(), q * c.cov * q.t(), 2}, dr{d.mean * q.t(), q * d.cov * q.t(), 2};
  EXPECT_NEAR(FrechetDistance(cr, dr), expect, 1e-7);
}

TEST(EvalFrechet, SampledGaussiansApproachTheClosedForm) {
  cv::Mat a(4000, 4, CV_64F), b(4000, 4, CV_64F);
  cv::randn(a, 0.0, 1.0);
  cv::randn(b, 0.0, 2.0);
  b += 1.0;  // mean (1,1,1,1), std 2: FD = 4 * 1 + 4 * (1 - 2)^2 = 8
  EXPECT_NEAR(FrechetDistance(ComputeFeatureStats(a), ComputeFeatureStats(b)), 8.0, 0.5);
}

TEST(EvalFrechet, SymmetricSqrtSquaresBack) {
  cv::Mat r(5, 5, CV_64F);
  cv::randn(r, 0, 1);
  cv::Mat m = r * r.t();
  cv::Mat s = SymmetricSqrt(m);
  EXPECT_LT(cv::norm(s * s - m, cv::NORM_INF), 1e-8);
}

Landmarks Project(const cv::Matx33d& rot, cv::Size size, double distance, cv::Point2d offset = {0, 0}) {
  Landmarks pts(68, cv::Point2f(size.width / 2.f, size.height / 2.f));
  const double f = std::max(size.width, size.height);
  const auto& model = GenericFace3d();
  const auto& ids = GenericFaceLandmarkIds();
  for (size_t k = 0; k < ids.size(); ++k) {
    cv::Vec3d p = rot * cv::Vec3d(model[k].x, model[k].y, model[k].z) + cv::Vec3d(offset.x, offset.y, distance);
    pts[ids[k]] = cv::Point2f(static_cast<float>(f * p[0] / p[2] + size.width / 2.0),
                              static_cast<float>(f * p[1] / p[2] + size.height / 2.0));
  }
  return pts;
}

TEST(EvalPose, EulerRoundTrip) {
  using Angles = std::tuple<double, double, double>;
  for (auto [y, p, r] : std::vector<Angles>{{20.0, -10.0, 5.0}, {-35.0, 15.0, -12.0}, {0.0, 0.0, 0.0}}) {
    HeadPose h = EulerFromRotation(RotationFromEuler(y, p, r));
    EXPECT_NEAR(h.yaw, y, 1e-9);
    EXPECT_NEAR(h.pitch, p, 1e-9);
    EXPECT_NEAR(h.roll, r, 1e-9);
  }
}

TEST(EvalPose, KnownRotationIsRecoveredWithinOneDegree) {
  const cv::Size size(512, 512);
  using Angles = std::tuple<double, double, double>;
  for (auto [y, p, r] : std::vector<Angles>{{0.0, 0.0, 0.0}, {20.0, -10.0, 5.0}, {-30.0, 12.0, -8.0}, {10.0, 20.0, 15.0}}) {
    Landmarks pts = Project(RotationFromEuler(y, p, r), size, 60, {3, -2});
    HeadPose h = EstimateHeadPose(pts, size);
    ASSERT_TRUE(h.ok);
    EXPECT_NEAR(h.yaw, y, 1.0) << y << " " << p << " " << r;
    EXPECT_NEAR(h.pitch, p, 1.0);
    EXPECT_NEAR(h.roll, r, 1.0);
  }
  // Pose error between a frontal face and one turned by 20 degrees: yaw 20, others 0.
  HeadPose a = EstimateHeadPose(Project(RotationFromEuler(0, 0, 0), size, 60), size);
  HeadPose b = EstimateHeadPose(Project(RotationFromEuler(20, 0, 0), size, 60), size);
  PoseError e = ComparePoses(a, b);
  EXPECT_NEAR(e.yaw, 20, 1.0);
  EXPECT_NEAR(e.pitch, 0, 1.0);
  EXPECT_NEAR(e.roll, 0, 1.0);
}

TEST(EvalPose, NoisyLandmarksStayClose) {
  const cv::Size size(480, 480);
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0, 0.5f);
  Landmarks pts = Project(RotationFromEuler(15, -5, 3), size, 50);
  for (auto& q : pts) q += cv::Point2f(noise(rng), noise(rng));
  HeadPose h = EstimateHeadPose(pts, size);
  ASSERT_TRUE(h.ok);
  EXPECT_NEAR(h.yaw, 15, 3.0);
  EXPECT_NEAR(h.pitch, -5, 3.0);
  EXPECT_NEAR(h.roll, 3, 3.0);
  EXPECT_FALSE(EstimateHeadPose(Landmarks(5), size).ok);
}

TEST(EvalLandmarks, ErrorIsNormalisedByInterOcular) {
  Landmarks a = Project(RotationFromEuler(0, 0, 0), {512, 512}, 60);
  for (int i = 0; i < 68; ++i) a[i] += cv::Point2f(float(i % 7), float(i % 5));  // distinct points
  EXPECT_EQ(LandmarkError(a, a), 0.0);
  const double iod = InterOcular(a);
  Landmarks b = a;
  for (auto& p : b) p += cv::Point2f(static_cast<float>(0.1 * iod), 0);
  EXPECT_NEAR(LandmarkError(a, b), 0.1, 1e-5);
  EXPECT_EQ(LandmarkError(a, Landmarks(3)), -1);
}

TEST(EvalMasks, MeanIoU) {
  cv::Mat a(20, 20, CV_8U, cv::Scalar(1));
  EXPECT_DOUBLE_EQ(MaskMeanIoU(a, a), 1.0);
  cv::Mat b = a.clone();
  b(cv::Rect(10, 0, 10, 20)).setTo(2);
  // class 1: IoU 200/400 = 0.5; class 2: 0 / 200 = 0 -> mean 0.25
  EXPECT_NEAR(MaskMeanIoU(a, b), 0.25, 1e-12);
}

TEST(EvalTemporal, RegionFlicker) {
  cv::Mat a = Noise(40, 2);
  EXPECT_EQ(RegionFlicker(a, a), 0.0);
  cv::Mat b = a.clone();
  cv::Mat region = cv::Mat::zeros(40, 40, CV_8U);
  region(cv::Rect(5, 5, 10, 10)).setTo(255);
  b(cv::Rect(5, 5, 10, 10)).setTo(cv::Scalar::all(0));
  cv::Mat a2 = a.clone();
  a2(cv::Rect(5, 5, 10, 10)).setTo(cv::Scalar::all(10));
  EXPECT_NEAR(RegionFlicker(a2, b, region), 10.0, 1e-9);
  EXPECT_TRUE(std::isnan(RegionFlicker(a2, b, cv::Mat::zeros(40, 40, CV_8U))));  // empty region
}

TEST(EvalTemporal, StillFramesAreRunsBelowTheThreshold) {
  const double n = NAN;
  //                               0    1    2    3    4    5    6    7    8    9   10
  const std::vector<double> m = {n, 0.1, 0.2, 0.3, 0.9, 0.1, 0.1, n, 0.2, 0.2, 0.2};
  const std::vector<bool> want = {false, true, true, true, false, false, false, false, true, true, true};
  EXPECT_EQ(StillFrames(m, 0.5, 3), want);
  // min_run 1: every finite frame under the threshold.
  const std::vector<bool> each = {false, true, true, true, false, true, true, false, true, true, true};
  EXPECT_EQ(StillFrames(m, 0.5, 1), each);
  EXPECT_EQ(StillFrames(m, 0.05, 1), std::vector<bool>(m.size(), false));
  EXPECT_TRUE(StillFrames({}, 0.5, 3).empty());
}

TEST(EvalTemporal, MeanFlowMagnitudeInsideTheRegion) {
  cv::Mat flow(4, 4, CV_32FC2, cv::Scalar(3, 4));  // length 5 everywhere
  flow(cv::Rect(0, 0, 2, 4)).setTo(cv::Scalar(0, 1));
  cv::Mat region = cv::Mat::zeros(4, 4, CV_8U);
  region(cv::Rect(2, 0, 2, 4)).setTo(255);
  EXPECT_DOUBLE_EQ(MeanFlowMagnitude(flow, region), 5.0);
  EXPECT_DOUBLE_EQ(MeanFlowMagnitude(flow), 3.0);
  EXPECT_TRUE(std::isnan(MeanFlowMagnitude(flow, cv::Mat::zeros(4, 4, CV_8U))));
  // A real translation measured by DIS: ~3 px inside the textured middle.
  cv::Mat a(96, 96, CV_8U);
  cv::randu(a, 0, 255);
  cv::GaussianBlur(a, a, {0, 0}, 1.5);
  cv::Mat b;
  const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, 3, 0, 1, 0);
  cv::warpAffine(a, b, shift, a.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT);
  cv::Mat mid = cv::Mat::zeros(a.size(), CV_8U);
  mid(cv::Rect(24, 24, 48, 48)).setTo(255);
  EXPECT_NEAR(MeanFlowMagnitude(DenseFlow(a, b), mid), 3.0, 0.3);
}

TEST(EvalTemporal, WarpingErrorOfATranslationIsNearZero) {
  cv::Mat big = Noise(200, 5, 7);
  cv::Mat prev = big(cv::Rect(40, 40, 120, 120)).clone();
  cv::Mat cur = big(cv::Rect(43, 42, 120, 120)).clone();  // the content moved by (-3, -2)
  const double moved = WarpingError(prev, cur, prev, cur);
  cv::Mat other = Noise(200, 6, 7)(cv::Rect(43, 42, 120, 120)).clone();
  const double changed = WarpingError(prev, cur, prev, other);
  const double unaligned = RegionFlicker(prev, cur);
  EXPECT_GE(moved, 0.0);
  EXPECT_LT(moved, 2e-3) << "a pure translation should warp almost exactly";
  EXPECT_GT(changed, 10 * moved + 1e-3);
  EXPECT_GT(unaligned, 5.0);  // the plain frame difference is large: the flow is what makes it small
  cv::Mat flow = DenseFlow(prev, cur);
  cv::Scalar mean = cv::mean(flow(cv::Rect(20, 20, 80, 80)));
  EXPECT_NEAR(mean[0], -3.0, 0.3);
  EXPECT_NEAR(mean[1], -2.0, 0.3);
}

// ---- reenactment: expression motion, rigid motion, correlation ----

// A schematic 68-point face (iBUG layout) centred at (cx, cy), inter-ocular distance 80.
Landmarks SchematicFace(double cx = 250, double cy = 250) {
  Landmarks p(68);
  auto set = [&](int i, double x, double y) { p[i] = cv::Point2f(float(cx + x), float(cy + y)); };
  for (int i = 0; i <= 16; ++i) {
    const double a = CV_PI - CV_PI * i / 16;  // the jaw: lower half ellipse, subject's right first
    set(i, 95 * std::cos(a), 20 + 90 * std::sin(a));
  }
  for (int i = 0; i < 5; ++i) set(17 + i, -70 + 12 * i, -62 + (i == 2 ? -6 : 0)), set(22 + i, 22 + 12 * i, -62 + (i == 2 ? -6 : 0));
  for (int i = 0; i < 4; ++i) set(27 + i, 0, -40 + 12 * i);
  for (int i = 0; i < 5; ++i) set(31 + i, -16 + 8 * i, 14 + (i == 2 ? 3 : 0));
  for (int e = 0; e < 2; ++e)
    for (int i = 0; i < 6; ++i) {
      const double a = CV_PI - 2 * CV_PI * i / 6;
      set(36 + 6 * e + i, (e ? 40 : -40) + 15 * std::cos(a), -30 - 6 * std::sin(a));
    }
  for (int i = 0; i < 12; ++i) {
    const double a = CV_PI - 2 * CV_PI * i / 12;
    set(48 + i, 35 * std::cos(a), 50 - 12 * std::sin(a));
  }
  for (int i = 0; i < 8; ++i) {
    const double a = CV_PI - 2 * CV_PI * i / 8;
    set(60 + i, 25 * std::cos(a), 50 - 4 * std::sin(a));
  }
  return p;
}

Landmarks Transform(const Landmarks& pts, double angle_deg, double scale, cv::Point2d shift) {
  const double a = angle_deg * CV_PI / 180, c = std::cos(a) * scale, s = std::sin(a) * scale;
  Landmarks out;
  for (const auto& q : pts) out.emplace_back(float(c * q.x - s * q.y + shift.x), float(s * q.x + c * q.y + shift.y));
  return out;
}

TEST(EvalReenact, SchematicFaceIsSane) {
  Landmarks f = SchematicFace();
  EXPECT_NEAR(InterOcular(f), 80.0, 1e-3);
  EXPECT_NEAR(MouthOpenness(f), (8 + 2 * 8 * std::sin(CV_PI / 4)) / 3 / 70, 1e-4);  // inner-lip gap / width
}

TEST(EvalReenact, ExpressionTransferIsZeroWhateverTheFacePlacement) {
  const Landmarks d0 = SchematicFace();
  Landmarks d1 = d0;
  const double iod = InterOcular(d0);
  for (int i = 48; i <= 59; ++i) d1[i].y += float(0.1 * iod);  // outer lips move down by 0.1 IOD
  // The driver also turns its head (roll 8 degrees, 10 % closer) while opening: removed.
  const Landmarks d1_moved = Transform(d1, 8, 1.1, {-30, 12});
  const auto drv = ExpressionMotion(d0, d1_moved);
  ASSERT_EQ(drv.size(), 42u);  // brows, eyes, lips
  // 12 of the 42 expression points moved by 0.1 inter-ocular, straight down in the face's axes.
  EXPECT_NEAR(ExpressionMagnitude(drv), 12 * 0.1 / 42, 1e-6);
  int lip = 0;
  for (int i = 17, k = 0; i < 68; ++i) {
    if (i >= 27 && i <= 35) continue;
    if (i >= 48 && i <= 59) {
      EXPECT_NEAR(drv[k].x, 0.0, 1e-6);
      EXPECT_NEAR(drv[k].y, 0.1, 1e-6);
      ++lip;
    }
    ++k;
  }
  EXPECT_EQ(lip, 12);
  // The output: the same face elsewhere, smaller and tilted by 25 degrees, making the same change
  // and a different head motion of its own.
  const Landmarks o0 = Transform(d0, 25, 0.6, {400, 100});
  const Landmarks o1 = Transform(Transform(d1, 25, 0.6, {400, 100}), -5, 0.9, {20, 4});
  EXPECT_NEAR(ExpressionTransferError(drv, ExpressionMotion(o0, o1)), 0.0, 1e-5);
  // An output that never moves has the baseline error; one that does half the motion, half of it.
  EXPECT_NEAR(ExpressionTransferError(drv, ExpressionMotion(o0, o0)), ExpressionMagnitude(drv), 1e-6);
  Landmarks half = d0;
  for (int i = 48; i <= 59; ++i) half[i].y += float(0.05 * iod);
  EXPECT_NEAR(ExpressionTransferError(drv, ExpressionMotion(o0, Transform(half, 25, 0.6, {400, 100}))),
              ExpressionMagnitude(drv) / 2, 1e-5);
  EXPECT_TRUE(ExpressionMotion(d0, Landmarks(5)).empty());
  EXPECT_TRUE(std::isnan(ExpressionTransferError(drv, {})));
}

TEST(EvalReenact, RigidMotionKnownRotationAndScale) {
  const Landmarks a = SchematicFace();
  const RigidMotion m = RigidMotionBetween(a, Transform(a, 15, 1.3, {7, -9}));
  ASSERT_TRUE(m.ok);
  EXPECT_NEAR(m.angle, 15.0, 1e-4);  // landmarks are float
  EXPECT_NEAR(m.scale, 1.3, 1e-5);
  EXPECT_FALSE(RigidMotionBetween(a, Landmarks()).ok);
}

TEST(EvalReenact, PearsonKnownValues) {
  EXPECT_NEAR(PearsonCorrelation({1, 2, 3}, {1, 3, 2}), 0.5, 1e-12);
  EXPECT_NEAR(PearsonCorrelation({1, 2, 3, 4}, {3, 5, 7, 9}), 1.0, 1e-12);
  EXPECT_NEAR(PearsonCorrelation({1, 2, 3, 4}, {-1, -2, -3, -4}), -1.0, 1e-12);
  EXPECT_NEAR(PearsonCorrelation({1, NAN, 2, 3, 9}, {1, 5, 3, 2, NAN}), 0.5, 1e-12);  // non-finite pairs skipped
  EXPECT_TRUE(std::isnan(PearsonCorrelation({1, 1, 1}, {1, 2, 3})));
  EXPECT_TRUE(std::isnan(PearsonCorrelation({1, 2}, {1, 2})));
}

TEST(EvalContinuity, CountsGapsLossesAndIdChanges) {
  TrackContinuity c;
  EXPECT_TRUE(std::isnan(c.found_rate()));
  c.Add(false);            // before any face: a gap, not a loss
  c.Add(true, true, 1);
  c.Add(true, false, 1);   // coasting
  c.Add(false);
  c.Add(false);            // lost for 2 frames
  c.Add(true, true, 2);    // found again with a new id
  c.Add(true, true, 2);
  EXPECT_EQ(c.frames, 7);
  EXPECT_EQ(c.found, 4);
  EXPECT_EQ(c.detected, 3);
  EXPECT_EQ(c.gaps, 1);
  EXPECT_EQ(c.longest_gap, 2);
  EXPECT_EQ(c.id_changes, 1);
  EXPECT_NEAR(c.found_rate(), 4.0 / 7, 1e-12);
  EXPECT_NEAR(c.detected_rate(), 3.0 / 7, 1e-12);
  TrackContinuity all;
  for (int i = 0; i < 5; ++i) all.Add(true, true, 3);
  EXPECT_EQ(all.found_rate(), 1.0);
  EXPECT_EQ(all.gaps + all.longest_gap + all.id_changes, 0);
}

// ---- TorchScript feature networks built here with torch::jit::Module::define ----

std::string SaveScript(const std::string& name, const std::string& src, const torch::Tensor& weight) {
  torch::jit::Module m(name);
  m.register_parameter("weight", weight, false);
  m.define(src);
  std::string path = (std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()) + ".pt")).string();
  m.save(path);
  return path;
}

TEST(EvalNets, InceptionFeaturesGiveZeroFidForTheSameSet) {
  torch::manual_seed(0);
  std::string path = SaveScript("FakeInception", R"(
def forward(self, x):
    return torch.mean(torch.relu(torch.conv2d(x, self.weight, None, [2, 2])), [2, 3])
)", torch::randn({8, 3, 3, 3}));
  auto net = InceptionFeatures::Load(path, 32);
  ASSERT_TRUE(net.ok()) << net.status().message();
  std::vector<cv::Mat> set, brighter;
  for (int i = 0; i < 12; ++i) {
    set.push_back(Noise(48, 10 + i, 3));
    cv::Mat b;
    set.back().convertTo(b, -1, 0.5, 120);
    brighter.push_back(b);
  }
  auto fa = net->Compute(set, 5);
  ASSERT_TRUE(fa.ok()) << fa.status().message();
  EXPECT_EQ(fa->rows, 12);
  EXPECT_EQ(fa->cols, 8);
  auto fb = net->Compute(brighter);
  ASSERT_TRUE(fb.ok());
  auto sa = ComputeFeatureStats(*fa);
  EXPECT_NEAR(FrechetDistance(sa, sa), 0.0, 1e-9);
  EXPECT_GT(FrechetDistance(sa, ComputeFeatureStats(*fb)), 1e-3);
  std::filesystem::remove(path);
  EXPECT_FALSE(InceptionFeatures::Load(path).ok());
}

TEST(EvalNets, LpipsFeatureTrunkIsZeroForIdenticalImages) {
  torch::manual_seed(1);
  std::string path = SaveScript("FakeTrunk", R"(
def forward(self, x):
    a = torch.relu(torch.conv2d(x, self.weight, None, [1, 1], [1, 1]))
    b = torch.relu(torch.conv2d(a[:, 0:3], self.weight, None, [2, 2]))
    return [a, b]
)", torch::randn({6, 3, 3, 3}));
  auto lp = LpipsMetric::Load(path);
  ASSERT_TRUE(lp.ok()) << lp.status().message();
  EXPECT_FALSE(lp->pairwise_module());
  cv::Mat a = Noise(32, 20, 3), b = Noise(32, 21, 3);
  auto same = lp->Distance(a, a);
  ASSERT_TRUE(same.ok()) << same.status().message();
  EXPECT_NEAR(*same, 0.0, 1e-9);
  auto diff = lp->Distance(a, b);
  ASSERT_TRUE(diff.ok());
  EXPECT_GT(*diff, 1e-3);
  EXPECT_LE(*diff, 8.0);  // two layers of unit vectors: at most 4 each
  std::filesystem::remove(path);
}

TEST(EvalNets, LpipsPairwiseModuleKnownValue) {
  std::string path = SaveScript("FakeLpips", R"(
def forward(self, x, y):
    return torch.mean((x - y) ** 2, [1, 2, 3]) * self.weight
)", torch::ones({1}));
  auto lp = LpipsMetric::Load(path);
  ASSERT_TRUE(lp.ok()) << lp.status().message();
  EXPECT_TRUE(lp->pairwise_module());
  cv::Mat black(16, 16, CV_8UC3, cv::Scalar::all(0)), white(16, 16, CV_8UC3, cv::Scalar::all(255));
  EXPECT_NEAR(*lp->Distance(black, white), 4.0, 1e-6);  // (-1 - 1)^2
  EXPECT_NEAR(*lp->Distance(white, white), 0.0, 1e-9);
  // Diversity over random styles of a tiny synthesis network: positive, and zero when the
  // "distance" ignores the images.
  auto cfg = models::ModelConfig::Preset("tiny");
  ASSERT_TRUE(cfg.ok());
  models::SynthesisNetwork net(*cfg);
  cv::Mat labels(cfg->image_size, cfg->image_size, CV_8U, cv::Scalar(1));
  labels(cv::Rect(0, 0, cfg->image_size, cfg->image_size / 3)).setTo(13);
  auto div = LpipsDiversity(net, *lp, labels, 4);
  ASSERT_TRUE(div.ok()) << div.status().message();
  EXPECT_GT(*div, 0.0);
  EXPECT_FALSE(LpipsDiversity(net, *lp, labels, 1).ok());
  std::filesystem::remove(path);
}

TEST(EvalNets, MissingOrBrokenFilesSayHowToFix) {
  auto missing = LpipsMetric::Load("/nonexistent/lpips.pt");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("torch.jit"), std::string::npos);
  std::string junk = smile::testing::UniqueTempPath("smile_junk_lpips", ".pt").string();
  { FILE* f = std::fopen(junk.c_str(), "w"); std::fputs("not a model", f); std::fclose(f); }
  auto broken = LpipsMetric::Load(junk);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("TorchScript"), std::string::npos);
  std::filesystem::remove(junk);
}

}  // namespace
}  // namespace smile::engine
