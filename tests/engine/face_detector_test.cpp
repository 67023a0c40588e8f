#include "engine/face_detector.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

namespace smile::engine {
namespace {

std::string Media(const std::string& rel) { return std::string(SMILE_MEDIA_DIR) + "/" + rel; }

cv::Mat ReadFrame(const std::string& clip, int index) {
  cv::VideoCapture cap(Media("video/" + clip));
  cv::Mat f;
  for (int i = 0; i <= index; ++i)
    if (!cap.read(f)) return cv::Mat();
  return f;
}

TEST(FaceDetector, NoFaceInFlatOrNoiseImages) {
  FaceDetector d;
  EXPECT_TRUE(d.Detect(cv::Mat()).empty());
  EXPECT_TRUE(d.Detect(cv::Mat(360, 640, CV_8UC3, cv::Scalar(90, 120, 150))).empty());
  cv::Mat noise(240, 320, CV_8U);
  cv::randu(noise, 0, 255);
  EXPECT_TRUE(d.Detect(noise).empty());
  EXPECT_TRUE(d.DetectInRoi(noise, cv::Rect(-50, -50, 10, 10), 40).empty()) << "ROI outside the frame";
}

TEST(FaceDetector, ScalesAndIoU) {
  FaceDetector d(DetectorOptions{640, 40, 0.0, 110});
  EXPECT_DOUBLE_EQ(d.FullFrameScale(cv::Size(1280, 720)), 0.5);
  EXPECT_DOUBLE_EQ(d.FullFrameScale(cv::Size(480, 480)), 1.0);
  EXPECT_DOUBLE_EQ(d.SmallFaceScale(cv::Size(1280, 720)), 2.0);
  EXPECT_DOUBLE_EQ(IoU(cv::Rect2f(0, 0, 10, 10), cv::Rect2f(0, 0, 10, 10)), 1.0);
  EXPECT_NEAR(IoU(cv::Rect2f(0, 0, 10, 10), cv::Rect2f(5, 0, 10, 10)), 50.0 / 150.0, 1e-6);
  EXPECT_EQ(IoU(cv::Rect2f(0, 0, 10, 10), cv::Rect2f(20, 20, 5, 5)), 0.0);
}

TEST(FaceDetectorMedia, FindsTheSmallFaceOfS18AndFacesInGrayFrames) {
  if (!std::filesystem::exists(Media("video/s18.mp4"))) GTEST_SKIP() << "no shared media at " << SMILE_MEDIA_DIR;
  FaceDetector d;
  cv::Mat f = ReadFrame("s18.mp4", 0);
  ASSERT_FALSE(f.empty());
  auto dets = d.Detect(f);
  ASSERT_EQ(dets.size(), 1u);
  std::printf("s18 face box %.0fx%.0f at (%.0f,%.0f)\n", dets[0].box.width, dets[0].box.height, dets[0].box.x,
              dets[0].box.y);
  // The ROI search at the face's own scale finds it again.
  const cv::Rect2f b = dets[0].box;
  auto roi = d.DetectInRoi(f, cv::Rect(cv::Rect2f(b.x - b.width, b.y - b.height, 3 * b.width, 3 * b.height)), b.width);
  ASSERT_FALSE(roi.empty());
  EXPECT_GT(IoU(roi[0].box, b), 0.5);
  cv::Mat gray;
  cv::cvtColor(ReadFrame("d3.mp4", 5), gray, cv::COLOR_BGR2GRAY);
  EXPECT_EQ(d.Detect(gray).size(), 1u) << "grayscale frames work";
}

}  // namespace
}  // namespace smile::engine
