#include "engine/face_samples.h"

#include <memory>

#include "capture/source.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/shutdown.h"
#include "engine/face_analyzer.h"
#include "engine/facemesh.h"

namespace smile::engine {

Result<std::vector<FaceSample>> ExtractFaceSamples(const std::vector<std::string>& inputs,
                                                   const SampleOptions& options, SampleReport* report) {
  std::vector<FaceSample> samples;
  SampleReport local;
  std::shared_ptr<const FaceMesh> mesh = options.mesh_model;  // loaded once for every input
  if (options.mesh && !mesh) {
    auto m = FaceMesh::Load();
    if (!m.ok()) return m.status().WithContext("mesh geometry needs the FaceMesh model; run scripts/fetch_models.sh");
    mesh = std::make_shared<const FaceMesh>(std::move(*m));
  }
  for (const auto& input : inputs) {
    SMILE_ASSIGN_OR_RETURN(auto source, capture::OpenSource(input));
    AnalyzerOptions ao;
    ao.align.size = options.size;
    ao.parser = options.parser;
    ao.tracker.detector_kind = options.detector;
    ao.smooth = options.smooth && source->info().kind == capture::SourceKind::kVideoFile;
    ao.iris = options.iris;
    ao.iris_model = options.iris_model;
    ao.mesh = options.mesh;
    ao.mesh_model = mesh;
    SMILE_ASSIGN_OR_RETURN(auto analyzer, FaceAnalyzer::Create(ao));
    const int64_t total = source->info().frame_count;
    ProgressBar bar("faces", total > 0 ? total : 0);
    for (int64_t i = 0; !StopRequested() && static_cast<int>(samples.size()) < options.max_samples; ++i) {
      Result<Frame> frame = source->Read();
      if (frame.status().code() == StatusCode::kEndOfStream) break;
      if (!frame.ok()) return frame.status().WithContext(input);
      ++local.frames;
      bar.Update(i + 1);
      // Every frame goes through the analyzer (tracking and smoothing need them all); FaceMesh
      // only for the frames kept.
      const bool keep = i % std::max(1, options.every) == 0;
      analyzer.set_mesh(options.mesh && keep);
      auto analysis = analyzer.Process(*frame->image, frame->pts_us / 1e6);
      if (!analysis.ok()) return analysis.status().WithContext(input);
      if (!analysis->found) {
        ++local.no_face;
        continue;
      }
      if (source->info().kind != capture::SourceKind::kVideoFile && analysis->tracks.faces.size() > 1) {
        SMILE_LOG(kWarn) << "'" << input << "'" << (total > 1 ? " image " + std::to_string(i) : std::string())
                         << " shows " << analysis->tracks.faces.size()
                         << " faces; the largest is taken as the identity (crop the photo to choose another)";
      }
      if (!keep) continue;
      cv::Mat labels = analysis->smoothed.labels.clone();
      if (options.iris) PaintIris(labels, analysis->iris);
      samples.push_back({analysis->aligned.clone(), labels, input + "#" + std::to_string(i), analysis->mesh});
    }
    bar.Finish();
  }
  if (report) *report = local;
  if (samples.empty())
    return NotFound("no face found in " + std::to_string(local.frames) +
                    " frame(s) of the given input; use footage with one clearly visible, mostly frontal face");
  SMILE_LOG(kInfo) << "extracted " << samples.size() << " face samples from " << local.frames << " frames ("
                   << local.no_face << " without a face)";
  return samples;
}

}  // namespace smile::engine
