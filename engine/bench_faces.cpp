#include "engine/bench_faces.h"

#include <algorithm>
#include <map>
#include <memory>

#include <benchmark/benchmark.h>
#include <opencv2/imgproc.hpp>

#include "capture/source.h"
#include "engine/alignment.h"
#include "engine/blazeface_detector.h"
#include "engine/face_analyzer.h"
#include "engine/face_detector.h"
#include "engine/face_embedding.h"
#include "engine/face_tracker.h"
#include "engine/facemesh.h"
#include "engine/iris.h"
#include "engine/landmarks.h"
#include "engine/parser_choice.h"
#include "engine/person_segmenter.h"
#include "models/bench_collector.h"
#include "models/runtime.h"

namespace smile::engine {
namespace {

struct Case {
  std::string name, what, skipped;
  std::function<Status()> run;
};

}  // namespace

Result<std::vector<FaceBenchRow>> BenchFaces(const FaceBenchOptions& o,
                                             const std::function<void(const FaceBenchRow&)>& on_row) {
  models::InitTorchRuntime(o.threads);
  SMILE_ASSIGN_OR_RETURN(auto source, capture::OpenSource(o.video));
  std::vector<cv::Mat> frames;
  while (static_cast<int>(frames.size()) < std::max(1, o.frames)) {
    auto f = source->Read();
    if (f.status().code() == StatusCode::kEndOfStream) break;
    if (!f.ok()) return f.status().WithContext(o.video);
    frames.push_back(f->image->clone());
  }
  if (frames.empty()) return InvalidArgument("'" + o.video + "' has no frames");
  const cv::Mat& frame = frames.front();
  cv::Mat gray;
  cv::cvtColor(frame, gray, cv::COLOR_BGR2GRAY);

  // The face every per-face model runs on: HOG's largest detection of the first frame.
  FaceDetector hog;
  auto found = hog.Detect(frame);
  if (found.empty())
    return InvalidArgument("no face found by HOG in the first frame of '" + o.video +
                           "'; give a clip whose first frame shows a face");
  const Detection face = *std::max_element(found.begin(), found.end(), [](const Detection& a, const Detection& b) {
    return a.box.area() < b.box.area();
  });
  SMILE_ASSIGN_OR_RETURN(auto landmarks, LandmarkDetector::Load());
  const Landmarks pts = landmarks.Fit(gray, face.box);
  AlignOptions ao;
  ao.size = 256;
  const cv::Mat aligned = WarpToAligned(frame, ComputeAlignment(pts, ao));

  std::vector<Case> cases;
  cases.push_back({"hog_detect", "dlib HOG, whole frame (baseline)", "", [&]() -> Status {
                     benchmark::DoNotOptimize(hog.Detect(frame));
                     return Status::Ok();
                   }});
  auto blaze = BlazeFaceDetector::Load();
  cases.push_back({"blazeface_detect", "BlazeFace, whole frame (letterboxed to 256 px)",
                   blaze.ok() ? "" : blaze.status().message(), [&]() -> Status {
                     SMILE_ASSIGN_OR_RETURN(auto d, blaze->Detect(frame));
                     benchmark::DoNotOptimize(d);
                     return Status::Ok();
                   }});
  // The tracker's search around a face's last position, with the back model (256 px) and the
  // front model (128 px).
  const cv::Rect roi = TrackSearchRegion(face.box, frame.size());
  cases.push_back({"blazeface_roi", "BlazeFace back model on the tracking search region (256 px)",
                   blaze.ok() ? "" : blaze.status().message(), [&]() -> Status {
                     SMILE_ASSIGN_OR_RETURN(auto d, blaze->Detect(frame(roi)));
                     benchmark::DoNotOptimize(d);
                     return Status::Ok();
                   }});
  BlazeFaceOptions front_options;
  front_options.model = "blazeface-front";
  auto front = BlazeFaceDetector::Load(front_options);
  cases.push_back({"blazeface_front_roi", "BlazeFace front model on the tracking search region (128 px)",
                   front.ok() ? "" : front.status().message(), [&]() -> Status {
                     SMILE_ASSIGN_OR_RETURN(auto d, front->Detect(frame(roi)));
                     benchmark::DoNotOptimize(d);
                     return Status::Ok();
                   }});
  cases.push_back({"landmarks68", "dlib 68-point shape predictor on one face box", "", [&]() -> Status {
                     benchmark::DoNotOptimize(landmarks.Fit(gray, face.box));
                     return Status::Ok();
                   }});
  auto mesh = FaceMesh::Load();
  cases.push_back({"facemesh", "FaceMesh 468 points on the face", mesh.ok() ? "" : mesh.status().message(),
                   [&]() -> Status {
                     SMILE_ASSIGN_OR_RETURN(auto m, mesh->Fit(frame, pts));
                     benchmark::DoNotOptimize(m);
                     return Status::Ok();
                   }});
  auto iris = IrisModel::Load();
  cases.push_back({"iris", "Iris: both eyes' lids and irises (one batch of 2)", iris.ok() ? "" : iris.status().message(),
                   [&]() -> Status {
                     SMILE_ASSIGN_OR_RETURN(auto e, iris->Fit(frame, pts));
                     benchmark::DoNotOptimize(e);
                     return Status::Ok();
                   }});
  auto selfie = PersonSegmenter::Load();
  cases.push_back({"selfie", "Selfie person mask of the 256 px aligned crop",
                   selfie.ok() ? "" : selfie.status().message(), [&]() -> Status {
                     SMILE_ASSIGN_OR_RETURN(auto m, selfie->Segment(aligned));
                     benchmark::DoNotOptimize(m);
                     return Status::Ok();
                   }});
  auto embedder = FaceEmbedder::Load();
  cases.push_back({"faceres", "FaceRes 1024-d face descriptor", embedder.ok() ? "" : embedder.status().message(),
                   [&]() -> Status {
                     SMILE_ASSIGN_OR_RETURN(auto e, embedder->Embed(frame, pts));
                     benchmark::DoNotOptimize(e);
                     return Status::Ok();
                   }});
  // Whole per-frame analysis, cycling through the clip's first frames (tracking carries over).
  std::map<std::string, std::unique_ptr<FaceAnalyzer>> analyzers;
  std::map<std::string, size_t> next;
  struct AnalysisCase {
    std::string key, parser;
    bool geometry;  // FaceMesh geometry too (AnalyzerOptions::mesh), as a swap in the driver layout of a
                    // geometry identity runs it; with the mesh parser it reuses the parser's FaceMesh fit
  };
  for (const AnalysisCase& ac : {AnalysisCase{kParserGeometric, kParserGeometric, false},
                                 AnalysisCase{kParserMesh, kParserMesh, false},
                                 AnalysisCase{std::string(kParserMesh) + "_geometry", kParserMesh, true},
                                 AnalysisCase{kParserLearned, kParserLearned, false}}) {
    AnalyzerOptions a;
    a.align.size = 256;
    a.parser = ac.parser;
    a.mesh = ac.geometry;
    std::string skipped;
    auto made = FaceAnalyzer::Create(a);
    if (made.ok()) analyzers[ac.key] = std::make_unique<FaceAnalyzer>(std::move(made).value());
    else skipped = made.status().message();
    const std::string name = "analyse_" + ac.key;
    cases.push_back({name,
                     "one frame: detect + track + landmarks + align + " + ac.parser + " parse + smooth" +
                         (ac.geometry ? " + FaceMesh geometry" : ""),
                     skipped, [&, key = ac.key]() -> Status {
                       auto& an = *analyzers[key];
                       size_t& i = next[key];
                       SMILE_ASSIGN_OR_RETURN(auto r, an.Process(frames[i % frames.size()], i / 25.0));
                       ++i;
                       benchmark::DoNotOptimize(r);
                       return Status::Ok();
                     }});
  }

  benchmark::ClearRegisteredBenchmarks();
  for (auto& c : cases) {
    if (!c.skipped.empty()) continue;
    for (int i = 0; i < o.warmup; ++i) SMILE_RETURN_IF_ERROR(c.run().WithContext(c.name));
    // The per-frame analysis times a pass over the frames; the models one call each.
    const bool per_frame = c.name.rfind("analyse_", 0) == 0;
    const int64_t calls = per_frame ? static_cast<int64_t>(frames.size()) : 1;
    benchmark::RegisterBenchmark(c.name.c_str(),
                                 [&c](benchmark::State& state) {
                                   for (auto _ : state) {
                                     Status s = c.run();
                                     if (!s.ok()) {
                                       state.SkipWithError(s.ToString().c_str());
                                       break;
                                     }
                                   }
                                 })
        ->Iterations(calls)
        ->Repetitions(std::max(1, o.iterations))
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  models::BenchCollector collector;
  benchmark::RunSpecifiedBenchmarks(&collector);
  benchmark::ClearRegisteredBenchmarks();
  std::vector<FaceBenchRow> rows;
  double hog_ms = 0;
  for (const auto& c : cases) {
    FaceBenchRow r;
    r.name = c.name;
    r.what = c.what;
    r.skipped = c.skipped;
    if (r.skipped.empty()) {
      if (auto e = collector.errors.find(c.name); e != collector.errors.end())
        return Internal("bench faces " + c.name + ": " + e->second);
      auto t = collector.seconds[c.name];
      if (t.empty()) return Internal("bench faces " + c.name + " reported no run");
      std::sort(t.begin(), t.end());
      r.ms = 1000 * t[t.size() / 2];
      r.min_ms = 1000 * t.front();
      if (c.name == "hog_detect") hog_ms = r.ms;
      if (hog_ms > 0) r.vs_hog = r.ms / hog_ms;
    }
    if (on_row) on_row(r);
    rows.push_back(r);
  }
  return rows;
}

}  // namespace smile::engine
