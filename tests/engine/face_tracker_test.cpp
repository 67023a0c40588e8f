#include "engine/face_tracker.h"

#include <filesystem>
#include <set>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

namespace smile::engine {
namespace {

std::string Media(const std::string& rel) { return std::string(SMILE_MEDIA_DIR) + "/" + rel; }

std::vector<cv::Mat> ReadFrames(const std::string& clip, int n, int step = 1) {
  cv::VideoCapture cap(Media("video/" + clip));
  std::vector<cv::Mat> out;
  cv::Mat f;
  for (int i = 0; static_cast<int>(out.size()) < n && cap.read(f); ++i)
    if (i % step == 0) out.push_back(f.clone());
  return out;
}

#define SKIP_WITHOUT_MEDIA()                                                        \
  if (!std::filesystem::exists(Media("video/d3.mp4")))                              \
    GTEST_SKIP() << "no shared media at " << SMILE_MEDIA_DIR;                       \
  if (!std::filesystem::exists(kDefaultShapePredictor))                            \
    GTEST_SKIP() << "no landmark model; apt-get install libdlib-data"

TEST(FaceTracker, MissingLandmarkModelNamesThePackage) {
  TrackerOptions o;
  o.landmark_model = "/nonexistent/shape_predictor_68_face_landmarks.dat";
  auto t = FaceTracker::Create(o);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("libdlib-data"), std::string::npos) << t.status().message();
}

TEST(FaceTracker, NoFaceFramesGiveNoTracksAndNoCrash) {
  if (!std::filesystem::exists(kDefaultShapePredictor)) GTEST_SKIP() << "apt-get install libdlib-data";
  auto t = FaceTracker::Create();
  ASSERT_TRUE(t.ok());
  for (int i = 0; i < 3; ++i) {
    auto r = t->Update(cv::Mat(240, 320, CV_8UC3, cv::Scalar(40 * i, 80, 120)), i / 30.0);
    EXPECT_TRUE(r.faces.empty());
    EXPECT_EQ(r.main_face(), nullptr);
    EXPECT_TRUE(r.full_detection);
  }
  EXPECT_TRUE(t->Update(cv::Mat(), 1.0).faces.empty()) << "empty frame";
}

TEST(FaceTrackerMedia, OneFaceKeepsOneIdAndStillLandmarksAreStill) {
  SKIP_WITHOUT_MEDIA();
  auto frames = ReadFrames("d3.mp4", 30);
  ASSERT_EQ(frames.size(), 30u);
  auto t = FaceTracker::Create();
  ASSERT_TRUE(t.ok());
  std::set<int> ids;
  int full = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    auto r = t->Update(frames[i], i / 30.0);
    ASSERT_EQ(r.faces.size(), 1u) << "frame " << i;
    ASSERT_NE(r.main_face(), nullptr);
    ids.insert(r.main_face()->id);
    full += r.full_detection;
  }
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_LE(full, 4) << "full-frame detection only every 10 frames while the face is tracked";
  // A still face with sensor noise: the raw landmarks jitter, the filtered ones stay still.
  t->Reset();
  std::vector<Landmarks> raw, smooth;
  for (int i = 0; i < 24; ++i) {
    cv::Mat noisy = frames[0].clone(), noise(noisy.size(), CV_16SC3);
    cv::randn(noise, 0, 8);
    noisy.convertTo(noisy, CV_16SC3);
    noisy = noisy + noise;
    noisy.convertTo(noisy, CV_8UC3);
    auto r = t->Update(noisy, i / 30.0);
    ASSERT_NE(r.main_face(), nullptr);
    if (i >= 8) raw.push_back(r.main_face()->raw_landmarks), smooth.push_back(r.main_face()->landmarks);
  }
  auto spread = [](const std::vector<Landmarks>& v) {
    double s = 0;
    for (int k = 0; k < 68; ++k) {
      cv::Point2f m(0, 0);
      for (const auto& p : v) m += p[k];
      m *= 1.0f / v.size();
      for (const auto& p : v) s += cv::norm(p[k] - m);
    }
    return s / (68.0 * v.size());
  };
  std::printf("still face: landmark spread raw %.3f px, filtered %.3f px\n", spread(raw), spread(smooth));
  EXPECT_LT(spread(smooth), 0.5 * spread(raw));
}

TEST(FaceTrackerMedia, SeveralFacesGetStableIdsAndTheChosenOneIsFollowed) {
  SKIP_WITHOUT_MEDIA();
  auto a = ReadFrames("d3.mp4", 12), b = ReadFrames("d10.mp4", 12);
  ASSERT_EQ(a.size(), 12u);
  ASSERT_EQ(b.size(), 12u);
  const auto later = ReadFrames("d10.mp4", 2, 200);  // frames 0 and 200: the reference is another frame
  ASSERT_EQ(later.size(), 2u);
  const cv::Mat ref_photo = later[1].clone();
  for (FaceChoice choice : {FaceChoice::kLargest, FaceChoice::kIndex, FaceChoice::kReference}) {
    TrackerOptions o;
    o.choice = choice;
    o.choice_index = 1;
    auto t = FaceTracker::Create(o);
    ASSERT_TRUE(t.ok());
    if (choice == FaceChoice::kReference) {
      ASSERT_TRUE(t->SetReference(ref_photo).ok());
    }
    std::set<int> main_ids;
    for (size_t i = 0; i < a.size(); ++i) {
      cv::Mat small, frame;
      cv::resize(a[i], small, cv::Size(), 0.7, 0.7);  // left face smaller than the right one
      frame = cv::Mat(512, 512 + small.cols, CV_8UC3, cv::Scalar(0, 0, 0));
      small.copyTo(frame(cv::Rect(0, 0, small.cols, small.rows)));
      b[i].copyTo(frame(cv::Rect(small.cols, 0, 512, 512)));
      auto r = t->Update(frame, i / 30.0);
      ASSERT_EQ(r.faces.size(), 2u) << "frame " << i;
      ASSERT_NE(r.main_face(), nullptr);
      main_ids.insert(r.main_face()->id);
      EXPECT_GT(r.main_face()->box.x, small.cols - 20) << "the right face (larger, index 1, the reference) is chosen";
      if (choice == FaceChoice::kReference && i == 0) {
        const auto& other = r.faces[r.main == 0 ? 1 : 0];
        std::printf("reference similarity: same person %.6f, other %.6f\n", r.main_face()->similarity, other.similarity);
        // LBP similarities differ by a few hundredths; FaceRes descriptors separate people by ~0.1-0.2 in cosine.
        EXPECT_GT(r.main_face()->similarity, other.similarity + (t->uses_embedding() ? 0.0 : 0.02));
      }
    }
    EXPECT_EQ(main_ids.size(), 1u);
  }
}

TEST(FaceTrackerMedia, FaceLeavingAndReenteringIsFoundAgainAndGrayFramesWork) {
  SKIP_WITHOUT_MEDIA();
  auto frames = ReadFrames("d10.mp4", 24);
  ASSERT_EQ(frames.size(), 24u);
  auto t = FaceTracker::Create();
  ASSERT_TRUE(t.ok());
  int found_before = 0, found_gap = 0, found_after = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    cv::Mat f = frames[i];
    if (i >= 8 && i < 14) f = cv::Mat(f.size(), f.type(), cv::Scalar(30, 30, 30));  // face gone
    if (i >= 14) cv::cvtColor(frames[i], f, cv::COLOR_BGR2GRAY);                   // back, in gray
    auto r = t->Update(f, i / 30.0);
    const bool found = r.main_face() != nullptr && r.main_face()->detected;
    (i < 8 ? found_before : i < 14 ? found_gap : found_after) += found;
    if (static_cast<int>(i) >= 8 + t->options().max_missed + 1 && i < 14) {
      EXPECT_TRUE(r.faces.empty()) << "track dropped, frame " << i;
    }
  }
  EXPECT_EQ(found_before, 8);
  EXPECT_EQ(found_gap, 0);
  EXPECT_EQ(found_after, 10) << "the face is found again at once when it comes back";
}

}  // namespace
}  // namespace smile::engine
