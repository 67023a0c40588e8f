// smile bench faces: what the "faces in video" stage costs per call and per frame, on real
// frames of a clip, as Google Benchmark runs: dlib HOG detection (the baseline every ratio is
// taken against, in the same process), BlazeFace, the 68-point landmarks, FaceMesh, the Selfie
// person mask, the FaceRes descriptor, and the whole per-frame analysis (detect + track +
// landmarks + align + parse + smooth) with the geometric and the mesh parser.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"

namespace smile::engine {

struct FaceBenchOptions {
  std::string video;      // a clip with a face in its first frames
  int frames = 30;        // frames the per-frame analysis cycles through
  int iterations = 5;     // timed repetitions (median reported)
  int warmup = 1;
  int threads = 0;        // intra-op threads of the TFJS models (0 = all cores)
};

struct FaceBenchRow {
  std::string name;       // e.g. "hog_detect", "analyse_mesh"
  std::string what;       // one line on what one call does
  double ms = 0;          // median wall milliseconds per call
  double min_ms = 0;
  double vs_hog = 0;      // ms / hog_detect's ms (same process)
  std::string skipped;    // why the row was not measured (model missing), else empty
};

// Runs every benchmark; `on_row` sees each row as it is done.
Result<std::vector<FaceBenchRow>> BenchFaces(const FaceBenchOptions& o,
                                             const std::function<void(const FaceBenchRow&)>& on_row = nullptr);

}  // namespace smile::engine
