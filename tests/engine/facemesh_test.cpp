#include "engine/facemesh.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/face_analyzer.h"
#include "engine/face_detector.h"
#include "engine/metrics.h"
#include "engine/person_segmenter.h"
#include "models/runtime.h"
#include "celebamask_score.h"

namespace smile::engine {
namespace {

std::string Media(const std::string& rel) { return std::string(SMILE_MEDIA_DIR) + "/" + rel; }

#define SKIP_WITHOUT_MESH(var)                                                                   \
  if (!std::filesystem::exists(Media("celebamask/0.jpg")))                                        \
    GTEST_SKIP() << "no shared media at " << SMILE_MEDIA_DIR;                                     \
  auto var = FaceMesh::Load();                                                                   \
  if (!var.ok()) GTEST_SKIP() << var.status().ToString();

// FaceMesh on real portraits, cropped from dlib's 68 points: confident, consistent with dlib's
// eyes and mouth, subject's right eye on the image left.
TEST(FaceMeshMedia, AgreesWithDlibOnRealPortraits) {
  SKIP_WITHOUT_MESH(fm);
  models::InitTorchRuntime(std::getenv("SMILE_THREADS") ? std::atoi(std::getenv("SMILE_THREADS")) : 2);
  auto lm = LandmarkDetector::Load();
  ASSERT_TRUE(lm.ok()) << lm.status().ToString();
  FaceDetector det;
  double ms_sum = 0;
  int n = 0;
  ASSERT_TRUE(fm->FitCrop(cv::imread(Media("faces/lp_s0.jpg")), cv::Point2f(256, 256), 300, 0).ok());  // warm-up
  for (const char* f : {"faces/lp_s0.jpg", "faces/lp_d8.jpg", "celebamask/0.jpg", "celebamask/1.jpg"}) {
    const cv::Mat img = cv::imread(Media(f));
    ASSERT_FALSE(img.empty()) << f;
    const auto faces = det.Detect(img);
    ASSERT_FALSE(faces.empty()) << f;
    const Landmarks p = lm->Fit(ToGray(img), faces[0].box);
    const auto t0 = std::chrono::steady_clock::now();
    auto m = fm->Fit(img, p);
    ms_sum += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ++n;
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    ASSERT_EQ(m->pts.size(), 468u);
    const double iod = InterOcular(p);
    auto center = [&](const std::vector<int>& idx) {
      cv::Point2f c(0, 0);
      for (int i : idx) c += cv::Point2f(m->pts[i].x, m->pts[i].y) / static_cast<float>(idx.size());
      return c;
    };
    const double d_re = cv::norm(center(mesh::kRightEye) - RightEyeCenter(p)) / iod;
    const double d_le = cv::norm(center(mesh::kLeftEye) - LeftEyeCenter(p)) / iod;
    const double d_mouth = cv::norm(center(mesh::kLipsOuter) - Mean(p, 48, 59)) / iod;
    std::printf("%-18s score %.3f  |eye_r| %.3f |eye_l| %.3f |mouth| %.3f (inter-ocular units)\n", f, m->score, d_re,
                d_le, d_mouth);
    EXPECT_GT(m->score, 0.9) << f;
    EXPECT_LT(d_re, 0.12) << f;
    EXPECT_LT(d_le, 0.12) << f;
    EXPECT_LT(d_mouth, 0.15) << f;
    EXPECT_LT(m->pts[33].x, m->pts[263].x) << "subject's right eye is on the image left";
  }
  std::printf("FaceMesh fit (2 passes incl. crops, %s threads): %.1f ms per face\n",
              std::getenv("SMILE_THREADS") ? std::getenv("SMILE_THREADS") : "2", ms_sum / n);
  // A non-face crop scores low.
  const cv::Mat flat(400, 400, CV_8UC3, cv::Scalar(90, 140, 60));
  auto none = fm->FitCrop(flat, cv::Point2f(200, 200), 200, 0);
  ASSERT_TRUE(none.ok());
  EXPECT_LT(none->score, 0.5);
}

// MeshRefined68 puts each mesh point where dlib's point of the same number is: on real portraits
// every replaced point lies near dlib's (a wrong index, e.g. a swapped eye or lip, would be half
// an eye or a mouth width away), and the jaw, brows and nose are dlib's own.
TEST(FaceMeshMedia, RefinedPointsSitWhereDlibsAre) {
  SKIP_WITHOUT_MESH(fm);
  auto lm = LandmarkDetector::Load();
  ASSERT_TRUE(lm.ok()) << lm.status().ToString();
  FaceDetector det;
  for (const char* f : {"faces/lp_s0.jpg", "faces/lp_d8.jpg", "celebamask/0.jpg", "celebamask/1.jpg"}) {
    const cv::Mat img = cv::imread(Media(f));
    const auto faces = det.Detect(img);
    ASSERT_FALSE(faces.empty()) << f;
    const Landmarks p = lm->Fit(ToGray(img), faces[0].box);
    auto m = fm->Fit(img, p);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    const Landmarks r = MeshRefined68(p, *m);
    ASSERT_EQ(r.size(), 68u);
    const double iod = InterOcular(p);
    double worst = 0, sum = 0;
    for (int i = 0; i < 68; ++i) {
      const double d = cv::norm(r[i] - p[i]) / iod;
      if (i < 36) {
        EXPECT_EQ(d, 0.0) << f << " point " << i << " is not a mesh point";
        continue;
      }
      EXPECT_GE(mesh::kDlib68[i], 0) << i;
      EXPECT_LT(d, 0.16) << f << " point " << i << " (mesh " << mesh::kDlib68[i] << ")";
      worst = std::max(worst, d);
      sum += d;
    }
    std::printf("%-18s refined eyes + lips: mean %.3f, worst %.3f inter-ocular from dlib's\n", f, sum / 32, worst);
    EXPECT_LT(sum / 32, 0.08) << f;
  }
  // Without a usable mesh the points stay as they are.
  Landmarks p(68, cv::Point2f(5, 5));
  EXPECT_EQ(MeshRefined68(p, FaceMeshResult{}), p);
}

// The geometric parser's mean IoU on the CelebAMask-HQ ground truth, with the 68-point parts and
// with FaceMesh parts.
TEST(FaceMeshMedia, SharpensTheGeometricParserOnCelebAMask) {
  SKIP_WITHOUT_MESH(fm);
  models::InitTorchRuntime(std::getenv("SMILE_THREADS") ? std::atoi(std::getenv("SMILE_THREADS")) : 2);
  auto seg = PersonSegmenter::Load();
  ASSERT_TRUE(seg.ok()) << seg.status().ToString();
  double miou[3] = {0, 0, 0};
  ConfusionMatrix totals[3];
  for (int variant = 0; variant < 3; ++variant) {  // 68-point, + FaceMesh, + FaceMesh + Selfie
    AnalyzerOptions o;
    o.align.size = 256;
    o.smooth = false;
    if (variant >= 1) o.geometric.parts = std::make_shared<FaceMeshParts>(*fm);
    if (variant == 2) o.geometric.person = std::make_shared<PersonSegmenter>(*seg);
    auto analyzer = FaceAnalyzer::Create(o);
    ASSERT_TRUE(analyzer.ok()) << analyzer.status().ToString();
    ASSERT_NO_FATAL_FAILURE(ScoreOnCelebAMask(*analyzer, &totals[variant], [&](int i, const cv::Mat& img,
                                                                               const cv::Mat& truth,
                                                                               const cv::Mat& labels) {
      if (const char* dir = std::getenv("SMILE_DEBUG_DIR")) {
        cv::Mat small, row;
        cv::resize(img, small, truth.size());
        cv::hconcat(std::vector<cv::Mat>{small, ColorizeLabels(labels), ColorizeLabels(truth)}, row);
        cv::imwrite(std::string(dir) + "/mesh" + std::to_string(variant) + "_" + std::to_string(i) + ".png", row);
      }
    }));
    miou[variant] = totals[variant].MeanIoUTruthClasses();
  }
  std::printf("68-point parts:\n%s\nFaceMesh parts:\n%s\nFaceMesh parts + Selfie person mask:\n%s\n",
              totals[0].Report().c_str(), totals[1].Report().c_str(), totals[2].Report().c_str());
  std::printf("geometric parser mean IoU on CelebAMask-HQ (2 maps): 68-point %.3f, +FaceMesh %.3f, +FaceMesh+Selfie %.3f\n",
              miou[0], miou[1], miou[2]);
  EXPECT_GT(miou[2], miou[1]) << "the person mask must help the background/hair/cloth split";
  EXPECT_GT(miou[1], miou[0]) << "FaceMesh parts must beat the 68-point polygons";
  // The classes FaceMesh draws: lips and the subject's right eye gain most.
  auto iou = [](const ConfusionMatrix& m, int c) { return m.IoU(c); };
  EXPECT_GT(iou(totals[1], kULip), iou(totals[0], kULip));
  EXPECT_GT(iou(totals[1], kREye), iou(totals[0], kREye));
}

// Selfie segmentation on the CelebAMask-HQ photos: person (every non-background class) vs background.
TEST(PersonSegmenterMedia, SeparatesThePersonFromTheBackground) {
  if (!std::filesystem::exists(Media("celebamask/0.jpg"))) GTEST_SKIP() << "no shared media at " << SMILE_MEDIA_DIR;
  auto seg = PersonSegmenter::Load();
  if (!seg.ok()) GTEST_SKIP() << seg.status().ToString();
  models::InitTorchRuntime(std::getenv("SMILE_THREADS") ? std::atoi(std::getenv("SMILE_THREADS")) : 2);
  for (int i = 0; i < 2; ++i) {
    const cv::Mat img = cv::imread(Media("celebamask/" + std::to_string(i) + ".jpg"));
    const cv::Mat truth = cv::imread(Media("celebamask/" + std::to_string(i) + ".png"), cv::IMREAD_GRAYSCALE);
    ASSERT_TRUE(seg->Segment(img).ok());  // warm-up
    const auto t0 = std::chrono::steady_clock::now();
    auto p = seg->Segment(img);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    ASSERT_EQ(p->size(), img.size());
    cv::Mat small;
    cv::resize(*p, small, truth.size());
    const cv::Mat pred = small > 0.5, gt = truth > 0;
    const double inter = cv::countNonZero(pred & gt), uni = cv::countNonZero(pred | gt);
    std::printf("celebamask/%d: person IoU %.3f (%.1f ms)\n", i, inter / std::max(1.0, uni), ms);
    EXPECT_GT(inter / std::max(1.0, uni), 0.85);
  }
}

}  // namespace
}  // namespace smile::engine
