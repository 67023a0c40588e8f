// Face edge cases on real media, through the whole per-frame pipeline (track -> align -> parse ->
// smooth) with the default detector: no face, many faces, a tiny face, a strongly rotated face,
// a face covered by a hand, a face cut by the frame edge. Each: no crash, and the outcome asserted
// (found where the face can be found, cleanly reported and counted where it cannot).
#include "engine/face_analyzer.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <set>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "models/runtime.h"

namespace smile::engine {
namespace {

namespace fs = std::filesystem;
std::string Media(const std::string& rel) { return std::string(SMILE_MEDIA_DIR) + "/" + rel; }

#define SKIP_WITHOUT_MEDIA()                                                                         \
  if (!fs::exists(Media("video/d3.mp4"))) GTEST_SKIP() << "no shared media at " << SMILE_MEDIA_DIR; \
  if (!fs::exists(kDefaultShapePredictor)) GTEST_SKIP() << "apt-get install libdlib-data"

std::vector<cv::Mat> Frames(const std::string& clip, int n, int step = 1) {
  cv::VideoCapture cap(Media("video/" + clip));
  std::vector<cv::Mat> out;
  cv::Mat f;
  for (int i = 0; static_cast<int>(out.size()) < n && cap.read(f); ++i)
    if (i % step == 0) out.push_back(f.clone());
  return out;
}

struct Outcome {
  int frames = 0, found = 0, detected = 0, max_faces = 0;
  std::set<int> ids;
  std::vector<FrameAnalysis> analyses;
};

Outcome Analyze(const std::vector<cv::Mat>& frames, TrackerOptions t = {}) {
  models::InitTorchRuntime(1);
  AnalyzerOptions o;
  o.align.size = 128;
  o.tracker = t;
  auto an = FaceAnalyzer::Create(o);
  Outcome r;
  EXPECT_TRUE(an.ok()) << an.status().ToString();
  if (!an.ok()) return r;
  for (size_t i = 0; i < frames.size(); ++i) {
    auto a = an->Process(frames[i], i / 30.0);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    if (!a.ok()) break;
    ++r.frames;
    r.found += a->found;
    r.detected += a->found && a->face.detected;
    r.max_faces = std::max(r.max_faces, static_cast<int>(a->tracks.faces.size()));
    for (const auto& f : a->tracks.faces) r.ids.insert(f.id);
    if (a->found) {
      EXPECT_EQ(a->aligned.size(), cv::Size(128, 128));
      EXPECT_EQ(a->smoothed.labels.size(), cv::Size(128, 128));
      EXPECT_EQ(a->FrameLabels(frames[i].size()).size(), frames[i].size());
    }
    r.analyses.push_back(std::move(*a));
  }
  std::printf("  %d frames: main face found %d (detector-confirmed %d), at most %d faces, %zu ids\n", r.frames,
              r.found, r.detected, r.max_faces, r.ids.size());
  return r;
}

std::vector<cv::Mat> Map(const std::vector<cv::Mat>& in, const std::function<cv::Mat(const cv::Mat&)>& f) {
  std::vector<cv::Mat> out;
  for (const auto& m : in) out.push_back(f(m));
  return out;
}

// A real background with no one in it: the left part of the s18 room (window, plants, shelves).
std::vector<cv::Mat> Room(int n) {
  return Map(Frames("s18.mp4", n), [](const cv::Mat& f) { return f(cv::Rect(0, 0, 480, 720)).clone(); });
}

// The truth for a frame: the tracker's landmarks on the untouched frame.
Landmarks TruthLandmarks(const cv::Mat& frame) {
  auto t = FaceTracker::Create();
  EXPECT_TRUE(t.ok());
  auto faces = t->DetectStill(frame);
  EXPECT_FALSE(faces.empty());
  return faces.empty() ? Landmarks() : faces[0].landmarks;
}

TEST(FaceEdgeCasesMedia, NoFaceIsReportedOnEveryFrame) {
  SKIP_WITHOUT_MEDIA();
  const auto frames = Room(8);
  ASSERT_EQ(frames.size(), 8u);
  const Outcome r = Analyze(frames);
  EXPECT_EQ(r.frames, 8);
  EXPECT_EQ(r.found, 0) << "no face in an empty room";
  EXPECT_EQ(r.max_faces, 0) << "no false detections";
  for (const auto& a : r.analyses) {
    EXPECT_TRUE(a.tracks.full_detection) << "while there is no face the whole frame is searched every frame";
    EXPECT_EQ(cv::countNonZero(a.FrameLabels(cv::Size(480, 720)) != kBackground), 0);
  }
}

// Six people in a 3 x 2 grid (six clips, 240 px each): six tracks with stable ids; the index choice
// counts from the left.
TEST(FaceEdgeCasesMedia, ManyFacesGetOneTrackEach) {
  SKIP_WITHOUT_MEDIA();
  const std::vector<std::string> clips = {"d3", "d6", "d10", "d11", "d14", "d18"};
  std::vector<std::vector<cv::Mat>> per;
  for (const auto& c : clips) per.push_back(Frames(c + ".mp4", 8));
  std::vector<cv::Mat> grid;
  for (int i = 0; i < 8; ++i) {
    cv::Mat g(480, 720, CV_8UC3);
    for (int k = 0; k < 6; ++k) {
      ASSERT_EQ(per[k].size(), 8u);
      cv::Mat s;
      cv::resize(per[k][i], s, cv::Size(240, 240), 0, 0, cv::INTER_AREA);
      s.copyTo(g(cv::Rect(240 * (k % 3), 240 * (k / 3), 240, 240)));
    }
    grid.push_back(g);
  }
  TrackerOptions t;
  t.choice = FaceChoice::kIndex;
  t.choice_index = 2;  // the third from the left: a face of the right column
  const Outcome r = Analyze(grid, t);
  EXPECT_EQ(r.max_faces, 6);
  EXPECT_EQ(r.ids.size(), 6u) << "one id per person, kept over the frames";
  EXPECT_EQ(r.found, 8);
  int six = 0;
  for (const auto& a : r.analyses) {
    six += a.tracks.faces.size() == 6;
    if (a.found) {
      EXPECT_GT(a.face.box.x + a.face.box.width / 2, 240) << "index 2 is not in the left column";
    }
  }
  EXPECT_GE(six, 7);
}

// d11's face shrunk into a 640x480 room: at 1/4 (a face of about 50 px) it is found and tracked;
// at 1/12 (about 17 px) it is too small for either detector: reported as no face, no false faces.
TEST(FaceEdgeCasesMedia, TinyFaceIsFoundDownToAboutFiftyPixels) {
  SKIP_WITHOUT_MEDIA();
  const auto room = Room(1)[0](cv::Rect(0, 120, 480, 480));
  cv::Mat bg;
  cv::resize(room, bg, cv::Size(640, 480));
  const auto d11 = Frames("d11.mp4", 16);
  for (double scale : {0.25, 1.0 / 12}) {
    const auto frames = Map(d11, [&](const cv::Mat& f) {
      cv::Mat s, c = bg.clone();
      cv::resize(f, s, cv::Size(), scale, scale, cv::INTER_AREA);
      s.copyTo(c(cv::Rect(400, 200, s.cols, s.rows)));
      return c;
    });
    std::printf("face scaled by %.3f (frame side %d px):\n", scale, static_cast<int>(512 * scale));
    const Outcome r = Analyze(frames);
    EXPECT_LE(r.max_faces, 1) << "no false faces in the room";
    if (scale > 0.2) {
      EXPECT_GE(r.detected, 14);
      for (const auto& a : r.analyses) {
        if (a.found) {
          EXPECT_NEAR(a.face.box.x + a.face.box.width / 2, 400 + 256 * scale, 20);
        }
      }
    } else {
      EXPECT_EQ(r.found, 0);
    }
  }
}

// d10 turned in the image plane by 50 and 90 degrees, and upside down. The default detector (BlazeFace
// when its model is present) finds the face at 50 and 90 degrees and the landmarks follow the rotation;
// upside down is reported (or found), without a crash.
TEST(FaceEdgeCasesMedia, StronglyRotatedFace) {
  SKIP_WITHOUT_MEDIA();
  const auto d10 = Frames("d10.mp4", 12);
  const Landmarks truth0 = TruthLandmarks(d10[0]);
  ASSERT_EQ(truth0.size(), 68u);
  auto probe = FaceTracker::Create();
  ASSERT_TRUE(probe.ok());
  const bool blaze = probe->detector() == DetectorKind::kBlazeFace;
  for (double deg : {50.0, 90.0, 180.0}) {
    const cv::Point2f c(256, 256);
    const cv::Mat m = cv::getRotationMatrix2D(c, deg, 1.0);
    const auto frames = Map(d10, [&](const cv::Mat& f) {
      cv::Mat r;
      cv::warpAffine(f, r, m, f.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
      return r;
    });
    std::printf("rotated by %.0f deg (%s):\n", deg, blaze ? "BlazeFace" : "HOG");
    const Outcome r = Analyze(frames);
    EXPECT_EQ(r.frames, 12);
    EXPECT_LE(r.max_faces, 1);
    if (deg < 100 && blaze) {
      EXPECT_GE(r.detected, 11) << deg;
      Landmarks expect;
      cv::transform(truth0, expect, m);
      ASSERT_TRUE(r.analyses[0].found);
      double err = 0;
      for (int i = 0; i < 68; ++i) err += cv::norm(r.analyses[0].face.raw_landmarks[i] - expect[i]);
      err /= 68 * InterOcular(expect);
      std::printf("  first frame landmark error %.3f inter-ocular\n", err);
      EXPECT_LT(err, 0.12);
    }
  }
  if (!blaze) std::printf("no BlazeFace model: HOG only (scripts/fetch_models.sh)\n");
}

// A hand over the mouth and chin. Real: lp_d30 (her hand against her cheek and chin). Drawn: a
// skin-coloured palm with four fingers over d3's mouth for 12 frames. The face is still found and the
// eyes' landmarks stay where they are without the hand.
TEST(FaceEdgeCasesMedia, FaceCoveredByAHand) {
  SKIP_WITHOUT_MEDIA();
  const cv::Mat photo = cv::imread(Media("faces/lp_d30.jpg"));
  ASSERT_FALSE(photo.empty());
  std::printf("lp_d30 (hand on the chin):\n");
  EXPECT_EQ(Analyze({photo}).found, 1);

  const auto d3 = Frames("d3.mp4", 12);
  std::vector<Landmarks> truths;  // each frame's landmarks without the hand
  auto still = FaceTracker::Create();
  ASSERT_TRUE(still.ok());
  for (const auto& f : d3) {
    const auto faces = still->DetectStill(f);
    ASSERT_FALSE(faces.empty());
    truths.push_back(faces[0].landmarks);
  }
  const Landmarks& truth = truths[0];
  ASSERT_EQ(truth.size(), 68u);
  const double iod = InterOcular(truth);
  const cv::Point2f mouth = Mean(truth, 48, 59), chin = truth[8];
  const cv::Vec3b skin = d3[0].at<cv::Vec3b>(cv::Point(Mean(truth, 1, 3) * 0.5f + Mean(truth, 48, 48) * 0.5f));
  const auto frames = Map(d3, [&](const cv::Mat& f) {
    cv::Mat h = f.clone();
    const cv::Scalar col(skin[0] * 0.9, skin[1] * 0.85, skin[2] * 0.95);
    const cv::Point palm((mouth.x + chin.x) / 2 + iod * 0.4, (mouth.y + chin.y) / 2 + iod * 0.2);
    cv::ellipse(h, palm, cv::Size(iod * 0.8, iod * 0.65), -15, 0, 360, col, cv::FILLED, cv::LINE_AA);
    for (int k = 0; k < 4; ++k) {  // fingers reaching across the mouth towards the other cheek
      const cv::Point a(palm.x - iod * 0.3, palm.y - iod * (0.55 - 0.28 * k));
      const cv::Point b(a.x - iod * (1.1 - 0.1 * std::abs(k - 1.5)), a.y - iod * 0.15);
      cv::line(h, a, b, col, std::max(3, static_cast<int>(iod * 0.22)), cv::LINE_AA);
      cv::line(h, a, b, col * 0.8, 1, cv::LINE_AA);  // the gap between fingers
    }
    return h;
  });
  for (DetectorKind kind : {DetectorKind::kHog, DetectorKind::kAuto}) {
    std::printf("d3 with a drawn hand over the mouth (%s):\n", DetectorKindName(kind));
    TrackerOptions to;
    to.detector_kind = kind;
    const Outcome r = Analyze(frames, to);
    EXPECT_GE(r.found, 11);
    double eye_err = 0;
    int n = 0;
    for (size_t i = 0; i < r.analyses.size(); ++i) {
      const auto& a = r.analyses[i];
      if (!a.found) continue;
      eye_err += (cv::norm(LeftEyeCenter(a.face.raw_landmarks) - LeftEyeCenter(truths[i])) +
                  cv::norm(RightEyeCenter(a.face.raw_landmarks) - RightEyeCenter(truths[i]))) / (2 * iod);
      ++n;
    }
    ASSERT_GT(n, 0);
    std::printf("  eye centres off by %.3f inter-ocular on average\n", eye_err / n);
    EXPECT_LT(eye_err / n, 0.15);
  }
}

// d11's face pushed off the frame: 40 % of it past the left edge, then its lower half past the bottom.
// No crash; where a face is reported it is where the visible part is, and crops keep their size.
TEST(FaceEdgeCasesMedia, FaceCutByTheFrameEdge) {
  SKIP_WITHOUT_MEDIA();
  const auto d11 = Frames("d11.mp4", 12);
  const Landmarks truth = TruthLandmarks(d11[0]);
  ASSERT_EQ(truth.size(), 68u);
  float x0 = 1e9f, x1 = -1e9f, y0 = 1e9f, y1 = -1e9f;
  for (const auto& p : truth) x0 = std::min(x0, p.x), x1 = std::max(x1, p.x), y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
  const int dx = static_cast<int>(x0 + 0.4f * (x1 - x0)), dy = static_cast<int>(512 - (y0 + y1) / 2);
  for (int side = 0; side < 2; ++side) {
    const cv::Mat m = side == 0 ? (cv::Mat_<double>(2, 3) << 1, 0, -dx, 0, 1, 0) : (cv::Mat_<double>(2, 3) << 1, 0, 0, 0, 1, dy);
    const auto frames = Map(d11, [&](const cv::Mat& f) {
      cv::Mat r;
      cv::warpAffine(f, r, m, f.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(20, 20, 20));
      return r;
    });
    std::printf("%s:\n", side == 0 ? "40%% of the face past the left edge" : "lower half past the bottom edge");
    const Outcome r = Analyze(frames);
    EXPECT_EQ(r.frames, 12);
    EXPECT_LE(r.max_faces, 1);
    Landmarks expect;
    cv::transform(truth, expect, m);
    const cv::Point2f eyes = (LeftEyeCenter(expect) + RightEyeCenter(expect)) * 0.5f;
    for (const auto& a : r.analyses) {
      if (!a.found) continue;
      const cv::Point2f got = (LeftEyeCenter(a.face.raw_landmarks) + RightEyeCenter(a.face.raw_landmarks)) * 0.5f;
      EXPECT_LT(cv::norm(got - eyes), 0.6 * InterOcular(truth)) << "a reported face is the cut face";
    }
    if (side == 0) {
      EXPECT_GE(r.found, 10) << "more than half the face is visible";
    }
  }
}

}  // namespace
}  // namespace smile::engine
