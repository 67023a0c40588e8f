#include "engine/blazeface_detector.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "engine/face_tracker.h"
#include "engine/landmarks.h"
#include "models/runtime.h"

namespace smile::engine {
namespace {

std::string Media(const std::string& rel) { return std::string(SMILE_MEDIA_DIR) + "/" + rel; }

// BlazeFace on real portraits: one confident face where dlib finds it, eyes where dlib's 68 points
// put them; also on the same photos rotated by 35 degrees, where dlib's frontal HOG detector struggles.
TEST(BlazeFaceMedia, FindsTheFacesDlibFindsAndRotatedOnes) {
  if (!std::filesystem::exists(Media("faces"))) GTEST_SKIP() << "no shared media at " << SMILE_MEDIA_DIR;
  auto bf = BlazeFaceDetector::Load();
  if (!bf.ok()) GTEST_SKIP() << bf.status().ToString();
  models::InitTorchRuntime(std::getenv("SMILE_THREADS") ? std::atoi(std::getenv("SMILE_THREADS")) : 2);
  auto lm = LandmarkDetector::Load();
  ASSERT_TRUE(lm.ok()) << lm.status().ToString();
  FaceDetector dlib;
  double ms = 0;
  int n = 0, rotated_bf = 0, rotated_dlib = 0;
  const std::vector<std::string> photos = {"faces/lp_s0.jpg", "faces/lp_s5.jpg", "faces/lp_d8.jpg",
                                           "celebamask/0.jpg", "celebamask/1.jpg", "refs/teaser_input.png"};
  ASSERT_TRUE(bf->Detect(cv::imread(Media(photos[0]))).ok());  // warm-up
  for (const auto& f : photos) {
    const cv::Mat img = cv::imread(Media(f));
    ASSERT_FALSE(img.empty()) << f;
    const auto t0 = std::chrono::steady_clock::now();
    auto faces = bf->Detect(img);
    ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ++n;
    ASSERT_TRUE(faces.ok()) << faces.status().ToString();
    ASSERT_EQ(faces->size(), 1u) << f;
    const BlazeFace& b = (*faces)[0];
    const auto d = dlib.Detect(img);
    ASSERT_FALSE(d.empty()) << f;
    const Landmarks p = lm->Fit(ToGray(img), d[0].box);
    const double iod = InterOcular(p);
    const double e_r = cv::norm(b.keypoints[0] - RightEyeCenter(p)) / iod;
    const double e_l = cv::norm(b.keypoints[1] - LeftEyeCenter(p)) / iod;
    const cv::Point2f cb = (b.det.box.tl() + b.det.box.br()) * 0.5f, cd = (d[0].box.tl() + d[0].box.br()) * 0.5f;
    std::printf("%-22s score %.3f  box %4.0f px (dlib %4.0f)  centre offset %.2f  eyes %.2f %.2f (inter-ocular)\n",
                f.c_str(), b.det.score, b.det.box.width, d[0].box.width, cv::norm(cb - cd) / iod, e_r, e_l);
    EXPECT_GT(b.det.score, 0.75) << f;
    EXPECT_LT(e_r, 0.25) << f;
    EXPECT_LT(e_l, 0.25) << f;
    EXPECT_LT(cv::norm(cb - cd) / iod, 0.5) << f;
    // The same photo rotated by 35 degrees.
    cv::Mat rot;
    const cv::Point2f c(img.cols / 2.f, img.rows / 2.f);
    cv::warpAffine(img, rot, cv::getRotationMatrix2D(c, 35, 1.0), img.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    auto rf = bf->Detect(rot);
    ASSERT_TRUE(rf.ok());
    rotated_bf += !rf->empty();
    rotated_dlib += !dlib.Detect(rot).empty();
  }
  std::printf("BlazeFace: %.1f ms per frame (letterbox + 256 px + decode); rotated 35 deg: BlazeFace %d/%d, dlib HOG %d/%d\n",
              ms / n, rotated_bf, n, rotated_dlib, n);
  EXPECT_GE(rotated_bf, n - 1);
  // No face in a flat image.
  auto none = bf->Detect(cv::Mat(300, 400, CV_8UC3, cv::Scalar(40, 120, 200)));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

// The front-camera model (128 px) on the region the tracker searches around a known face (a square
// three times dlib's box): the same face, eyes where dlib puts them, like the back model.
TEST(BlazeFaceMedia, FrontModelFindsTheFaceInTheTrackingRegion) {
  if (!std::filesystem::exists(Media("faces"))) GTEST_SKIP() << "no shared media at " << SMILE_MEDIA_DIR;
  BlazeFaceOptions fo;
  fo.model = "blazeface-front";
  auto front = BlazeFaceDetector::Load(fo);
  if (!front.ok()) GTEST_SKIP() << front.status().ToString();
  EXPECT_EQ(front->input_size(), 128);
  auto back = BlazeFaceDetector::Load();
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->input_size(), 256);
  auto lm = LandmarkDetector::Load();
  ASSERT_TRUE(lm.ok()) << lm.status().ToString();
  FaceDetector dlib;
  for (const std::string f : {"faces/lp_s0.jpg", "faces/lp_s5.jpg", "faces/lp_d8.jpg", "celebamask/0.jpg",
                              "celebamask/1.jpg", "refs/teaser_input.png"}) {
    const cv::Mat img = cv::imread(Media(f));
    ASSERT_FALSE(img.empty()) << f;
    const auto d = dlib.Detect(img);
    ASSERT_FALSE(d.empty()) << f;
    const Landmarks p = lm->Fit(ToGray(img), d[0].box);
    const double iod = InterOcular(p);
    const cv::Rect roi = TrackSearchRegion(d[0].box, img.size());
    auto faces = front->Detect(img(roi));
    ASSERT_TRUE(faces.ok()) << faces.status().ToString();
    ASSERT_EQ(faces->size(), 1u) << f;
    const BlazeFace& b = (*faces)[0];
    const cv::Point2f off(static_cast<float>(roi.x), static_cast<float>(roi.y));
    const double e_r = cv::norm(b.keypoints[0] + off - RightEyeCenter(p)) / iod;
    const double e_l = cv::norm(b.keypoints[1] + off - LeftEyeCenter(p)) / iod;
    auto bb = back->Detect(img(roi));
    ASSERT_TRUE(bb.ok() && !bb->empty()) << f;
    const double box_ratio = b.det.box.width / (*bb)[0].det.box.width;
    std::printf("%-22s front score %.3f  eyes %.2f %.2f (inter-ocular)  box / back model's %.2f\n", f.c_str(),
                b.det.score, e_r, e_l, box_ratio);
    EXPECT_GT(b.det.score, 0.75) << f;
    EXPECT_LT(e_r, 0.25) << f;
    EXPECT_LT(e_l, 0.25) << f;
    EXPECT_NEAR(box_ratio, 1.0, 0.2) << f;
  }
  // Nothing in a flat region.
  auto none = front->Detect(cv::Mat(200, 200, CV_8UC3, cv::Scalar(40, 120, 200)));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace smile::engine
