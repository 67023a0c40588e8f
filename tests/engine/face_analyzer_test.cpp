#include "engine/face_analyzer.h"

#include <cstdio>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "engine/mesh_geometry.h"
#include "engine/metrics.h"

namespace smile::engine {
namespace {

std::string Media(const std::string& rel) { return std::string(SMILE_MEDIA_DIR) + "/" + rel; }

struct ClipStats {
  DetectionStats det;
  double flicker_raw = 0, flicker_smooth = 0;
  int pairs = 0;
  int mask_lag = 0, landmark_lag = 0;
  double ms_track = 0, ms_parse = 0, ms_total = 0;
  int frame_w = 0, frame_h = 0;
};

// Runs the analyzer over up to `max_frames` frames of a clip (0 = all). The raw parse and
// the smoothed one come from the same run, so the flicker figures compare like with like.
ClipStats RunClip(const std::string& clip, int max_frames, int size = 256) {
  ClipStats s;
  AnalyzerOptions o;
  o.align.size = size;
  auto an = FaceAnalyzer::Create(o);
  EXPECT_TRUE(an.ok()) << an.status().ToString();
  if (!an.ok()) return s;
  cv::VideoCapture cap(Media("video/" + clip));
  double fps = cap.get(cv::CAP_PROP_FPS);
  if (!(fps > 0)) fps = 30;
  cv::Mat frame, prev_raw, prev_smooth;
  std::vector<double> raw_area, smooth_area, raw_open, smooth_open;
  int last_id = -1;
  for (int i = 0; (max_frames == 0 || i < max_frames) && cap.read(frame); ++i) {
    s.frame_w = frame.cols, s.frame_h = frame.rows;
    auto r = an->Process(frame, i / fps);
    EXPECT_TRUE(r.ok());
    if (!r.ok()) break;
    ++s.det.frames;
    s.ms_track += r->ms_track;
    s.ms_total += r->ms_total();
    if (!r->found) {
      prev_raw.release();
      continue;
    }
    s.ms_parse += r->ms_parse;
    ++s.det.main_found;
    s.det.main_detected += r->face.detected;
    if (last_id >= 0 && last_id != r->face.id) ++s.det.id_changes;
    last_id = r->face.id;
    if (!prev_raw.empty() && std::getenv("SMILE_FLICKER_DEBUG")) {
      std::map<std::pair<int, int>, int> pairs;
      for (int y = 0; y < prev_smooth.rows; ++y)
        for (int x = 0; x < prev_smooth.cols; ++x) {
          int a = prev_smooth.at<uint8_t>(y, x), b = r->smoothed.labels.at<uint8_t>(y, x);
          if (a != b) ++pairs[{std::min(a, b), std::max(a, b)}];
        }
      for (auto& [k, v] : pairs)
        if (v > 40) std::printf("  %s-%s %d", LabelName(k.first), LabelName(k.second), v);
      std::printf("\n");
    }
    if (!prev_raw.empty()) {
      s.flicker_raw += LabelFlicker(prev_raw, r->parse.labels);
      s.flicker_smooth += LabelFlicker(prev_smooth, r->smoothed.labels);
      ++s.pairs;
    }
    prev_raw = r->parse.labels;
    prev_smooth = r->smoothed.labels;
    raw_area.push_back(double(CountLabels(r->parse.labels, {kMouth, kLEye, kREye})));
    smooth_area.push_back(double(CountLabels(r->smoothed.labels, {kMouth, kLEye, kREye})));
    raw_open.push_back(MouthOpenness(r->face.raw_landmarks) + EyeOpenness(r->face.raw_landmarks));
    smooth_open.push_back(MouthOpenness(r->face.landmarks) + EyeOpenness(r->face.landmarks));
  }
  s.mask_lag = EstimateLag(raw_area, smooth_area);
  s.landmark_lag = EstimateLag(raw_open, smooth_open);
  return s;
}

void Print(const std::string& clip, const ClipStats& s) {
  std::printf("%-7s %4dx%-4d frames %4lld found %5.1f%% confirmed %5.1f%% id-changes %lld | flicker raw %.4f smooth %.4f "
              "(x%.2f) | lag mask %d landmarks %d frames | ms/frame track %.1f parse %.1f total %.1f\n",
              clip.c_str(), s.frame_w, s.frame_h, static_cast<long long>(s.det.frames), 100 * s.det.rate(),
              100 * s.det.detected_rate(), static_cast<long long>(s.det.id_changes),
              s.pairs ? s.flicker_raw / s.pairs : 0.0, s.pairs ? s.flicker_smooth / s.pairs : 0.0,
              s.flicker_smooth > 0 ? s.flicker_raw / s.flicker_smooth : 0.0, s.mask_lag, s.landmark_lag,
              s.ms_track / std::max<int64_t>(1, s.det.frames), s.ms_parse / std::max<int64_t>(1, s.det.main_found),
              s.ms_total / std::max<int64_t>(1, s.det.frames));
}

bool HaveMedia() {
  return std::filesystem::exists(Media("video/d3.mp4")) && std::filesystem::exists(kDefaultShapePredictor);
}

TEST(FaceAnalyzer, RejectsABadSizeAndHandlesFramesWithoutFaces) {
  AnalyzerOptions o;
  o.align.size = 8;
  EXPECT_FALSE(FaceAnalyzer::Create(o).ok());
  if (!std::filesystem::exists(kDefaultShapePredictor)) GTEST_SKIP() << "apt-get install libdlib-data";
  auto an = FaceAnalyzer::Create(AnalyzerOptions{});
  ASSERT_TRUE(an.ok());
  auto r = an->Process(cv::Mat(200, 300, CV_8UC3, cv::Scalar(10, 20, 30)), 0);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->found);
  EXPECT_EQ(cv::countNonZero(r->FrameLabels(cv::Size(300, 200))), 0);
}

TEST(FaceAnalyzerMedia, SmoothingHalvesFlickerWithoutDelayingBlinks) {
  if (!HaveMedia()) GTEST_SKIP() << "no shared media at " << SMILE_MEDIA_DIR << " or no libdlib-data";
  const ClipStats s = RunClip("d3.mp4", 40);
  Print("d3", s);
  EXPECT_EQ(s.det.main_found, 40);
  EXPECT_EQ(s.det.id_changes, 0);
  ASSERT_GT(s.pairs, 30);
  EXPECT_LT(s.flicker_smooth, 0.5 * s.flicker_raw);
  EXPECT_EQ(s.mask_lag, 0);
}

// The crop filter follows `smooth`: off, every frame's crop is its own FFHQ square (photo folders must
// not be smoothed across different people); on, the first frame's is, and d18's smile (frames 8-20)
// rescales it by less than half of what it does to the raw square (21 % -> 9 %).
// Without parsing (set_parse(false), the identity-layout swap) the analyzer tracks and crops exactly
// as with it, frame after frame (the crop filter keeps its state), and leaves the parse empty.
TEST(FaceAnalyzerMedia, TrackingAndCropsDoNotDependOnParsing) {
  if (!HaveMedia()) GTEST_SKIP() << "no shared media at " << SMILE_MEDIA_DIR << " or no libdlib-data";
  AnalyzerOptions o;
  o.align.size = 256;
  auto with = FaceAnalyzer::Create(o), without = FaceAnalyzer::Create(o);
  ASSERT_TRUE(with.ok() && without.ok());
  without->set_parse(false);
  cv::VideoCapture cap(Media("video/d3.mp4"));
  cv::Mat frame;
  int n = 0;
  for (int i = 0; i < 12 && cap.read(frame); ++i) {
    auto a = with->Process(frame, i / 25.0);
    auto b = without->Process(frame, i / 25.0);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->found, b->found) << i;
    if (!a->found) continue;
    ++n;
    EXPECT_EQ(cv::norm(cv::Mat(a->alignment.to_aligned), cv::Mat(b->alignment.to_aligned), cv::NORM_INF), 0) << i;
    EXPECT_EQ(cv::norm(a->aligned, b->aligned, cv::NORM_INF), 0) << i;
    EXPECT_FALSE(a->smoothed.labels.empty());
    EXPECT_TRUE(b->smoothed.labels.empty() && b->parse.labels.empty());
  }
  EXPECT_EQ(n, 12);
}

// With the `mesh` parser and mesh geometry on, FaceMesh runs once per frame: the analyzer takes
// the parser's own fit of the crop instead of fitting again. The mesh it hands on must be exactly
// the plain path's: a separate FaceMesh fit of the same aligned crop and landmarks; with the
// `geometric` parser (no fit of its own) the analyzer still fits the mesh itself.
TEST(FaceAnalyzerMedia, MeshParserSharesItsFaceMeshFit) {
  if (!HaveMedia()) GTEST_SKIP() << "no shared media at " << SMILE_MEDIA_DIR << " or no libdlib-data";
  auto fm = FaceMesh::Load();
  if (!fm.ok()) GTEST_SKIP() << fm.status().ToString();
  for (const char* parser : {"mesh", "geometric"}) {
    AnalyzerOptions o;
    o.align.size = 128;
    o.parser = parser;
    o.mesh = true;
    auto an = FaceAnalyzer::Create(o);
    if (!an.ok() && std::string(parser) == "mesh") GTEST_SKIP() << an.status().ToString();
    ASSERT_TRUE(an.ok()) << an.status().ToString();
    cv::VideoCapture cap(Media("video/d14.mp4"));
    cv::Mat frame;
    int with_mesh = 0;
    for (int i = 0; i < 6 && cap.read(frame); ++i) {
      auto a = an->Process(frame, i / 30.0);
      ASSERT_TRUE(a.ok()) << a.status().ToString();
      ASSERT_TRUE(a->found) << i;
      EXPECT_EQ(a->parse.mesh.fitted, std::string(parser) == "mesh") << parser << " " << i;
      auto direct = fm->Fit(a->aligned, a->aligned_landmarks);
      ASSERT_TRUE(direct.ok()) << direct.status().ToString();
      ASSERT_GE(direct->score, kMinMeshScore) << i;
      ASSERT_EQ(a->mesh.size(), direct->pts.size()) << parser << " " << i;
      for (size_t k = 0; k < direct->pts.size(); ++k)
        ASSERT_LT(cv::norm(a->mesh[k] - direct->pts[k]), 1e-4) << parser << " frame " << i << " point " << k;
      ++with_mesh;
    }
    EXPECT_EQ(with_mesh, 6) << parser;
  }
}

TEST(FaceAnalyzerMedia, CropFilterFollowsSmoothing) {
  if (!HaveMedia()) GTEST_SKIP() << "no shared media at " << SMILE_MEDIA_DIR << " or no libdlib-data";
  for (bool smooth : {false, true}) {
    AnalyzerOptions o;
    o.smooth = smooth;
    auto analyzer = FaceAnalyzer::Create(o);
    ASSERT_TRUE(analyzer.ok());
    cv::VideoCapture cap(Media("video/d18.mp4"));
    cv::Mat frame;
    double raw_min = 1e9, raw_max = 0, f_min = 1e9, f_max = 0;
    for (int i = 0; i < 30 && cap.read(frame); ++i) {
      auto a = analyzer->Process(frame, i / 30.0);
      ASSERT_TRUE(a.ok() && a->found) << i;
      const Alignment raw = ComputeAlignment(a->face.landmarks, o.align);
      const double side = cv::norm(a->alignment.quad[3] - a->alignment.quad[0]);
      const double raw_side = cv::norm(raw.quad[3] - raw.quad[0]);
      if (!smooth || i == 0) {
        for (int k = 0; k < 4; ++k) EXPECT_LT(cv::norm(a->alignment.quad[k] - raw.quad[k]), 1e-3) << i;
      }
      raw_min = std::min(raw_min, raw_side), raw_max = std::max(raw_max, raw_side);
      f_min = std::min(f_min, side), f_max = std::max(f_max, side);
    }
    if (smooth) {
      std::printf("d18 frames 0-29: FFHQ square side %.0f..%.0f px, filtered crop %.0f..%.0f px\n", raw_min, raw_max,
                  f_min, f_max);
      EXPECT_GT(raw_max / raw_min, 1.1);
      EXPECT_LT(f_max / f_min - 1, 0.5 * (raw_max / raw_min - 1)) << "less than half the raw square's change";
    }
  }
}

TEST(FaceAnalyzerMedia, SmallFaceClipIsTracked) {
  if (!HaveMedia()) GTEST_SKIP() << "no shared media at " << SMILE_MEDIA_DIR << " or no libdlib-data";
  const ClipStats s = RunClip("s18.mp4", 20);
  Print("s18", s);
  EXPECT_EQ(s.det.main_found, 20);
}

// Every shared clip, every frame: detection rate, flicker, lag, timing (prints a table).
TEST(FaceAnalyzerSlow, AllClips) {
  if (!HaveMedia()) GTEST_SKIP() << "no shared media at " << SMILE_MEDIA_DIR << " or no libdlib-data";
  const char* limit = std::getenv("SMILE_CLIP_FRAMES");
  for (const char* clip : {"d3", "d6", "d10", "d11", "d14", "d18", "d20", "s18", "s20"}) {
    const ClipStats s = RunClip(std::string(clip) + ".mp4", limit ? std::atoi(limit) : 0);
    Print(clip, s);
    EXPECT_GT(s.det.rate(), 0.9) << clip;
  }
}

}  // namespace
}  // namespace smile::engine
