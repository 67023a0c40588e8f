// smile reenact: animate a source face (photo or identity model) by a driver video,
// webcam or GStreamer pipeline; output has the source's frame size and the driver's
// frame count, rate and audio.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <opencv2/imgproc.hpp>

#include "apps/command.h"
#include "apps/synthesis_options.h"
#include "apps/face_options.h"
#include "apps/edit_setup.h"
#include "apps/reenact_setup.h"
#include "capture/media_job.h"
#include "capture/sink.h"
#include "capture/source.h"
#include "core/log.h"
#include "engine/reenact.h"
#include "engine/session.h"
#include "models/identity_model.h"
#include "models/runtime.h"

namespace smile::app {

bool IsModelPath(const std::string& path) {
  return std::filesystem::path(path).extension() == ".smile";
}

void AddReenactLandmarksOption(ArgParser& p) {
  p.Option("landmarks", "dlib|mesh|auto",
           "points that measure the driver's expression and redraw the source's parts: dlib (68 points) or mesh "
           "(the eyes and lips from FaceMesh, which follows blinks and small mouth openings; needs "
           "scripts/fetch_models.sh); auto = mesh when its model is fetched",
           "auto");
}

Status CheckReenactLandmarksOption(const ArgParser& p) {
  const std::string v = p.Get("landmarks");
  if (v != "dlib" && v != "mesh" && v != "auto") return InvalidArgument("--landmarks takes dlib, mesh or auto");
  return Status::Ok();
}

Result<std::shared_ptr<const engine::FaceMesh>> ReenactLandmarkModel(const ArgParser& p) {
  SMILE_RETURN_IF_ERROR(CheckReenactLandmarksOption(p));
  const std::string v = p.Get("landmarks");
  if (v == "dlib") return std::shared_ptr<const engine::FaceMesh>();
  auto mesh = engine::FaceMesh::Load();
  if (!mesh.ok()) {
    if (v == "mesh") return mesh.status().WithContext("--landmarks mesh");
    SMILE_LOG(kInfo) << "expression landmarks: dlib's 68 points (FaceMesh not fetched: scripts/fetch_models.sh)";
    return std::shared_ptr<const engine::FaceMesh>();
  }
  SMILE_LOG(kInfo) << "expression landmarks: eyes and lips from FaceMesh";
  return std::make_shared<const engine::FaceMesh>(std::move(*mesh));
}

Result<engine::ReenactSource> LoadReenactSource(const std::string& photo, engine::Session& session,
                                                const engine::FaceMesh* mesh) {
  if (!photo.empty()) {
    SMILE_ASSIGN_OR_RETURN(auto src, capture::OpenSource(photo));
    SMILE_ASSIGN_OR_RETURN(Frame f, src->Read());
    auto s = engine::SourceFromPhoto(*f.image, session.analyzer(), mesh);
    if (!s.ok()) return s.status().WithContext("source photo '" + photo + "'");
    return s;
  }
  // No photo: the identity's default layout rendered with its own style is the canvas.
  SMILE_ASSIGN_OR_RETURN(engine::ReenactSource src, engine::SourceFromIdentity(session, mesh));
  SMILE_LOG(kInfo) << "source: the identity's default layout (" << src.canvas.cols << " px); landmarks "
                   << (src.landmarks.empty() ? "from the driver's first frame" : "detected on the rendered layout");
  return src;
}

Status RunReenactJob(const std::vector<std::string>& args) {
  ArgParser p("reenact",
              "Reenactment: the source face is animated by the driver. The driver's brows, eyes, mouth, lips and head "
              "pose, relative to its FIRST frame and normalised by its aligned crop, move the source's own landmarks; "
              "those parts of the source's mask are redrawn from them, the rest of its mask is kept, and each frame "
              "is rendered with the identity's network and fixed style. Output: the source's frame size, the driver's "
              "frame count, rate and audio.");
  p.Option("source", "PHOTO|MODEL", "photo of the face to animate, or an identity model (.smile) alone", "", true);
  p.Option("identity", "MODEL", "identity model rendering the source (made by 'smile fit'); optional when --source "
                                "is a model", "");
  p.Option("driver", "MEDIA", "driving video, webcam index or gst:<pipeline>", "", true);
  p.Option("output", "FILE", "output video (.mp4), folder of PNGs or gst:<pipeline>", "", true);
  p.Option("max-frames", "N", "stop after N driver frames", "");
  p.Option("pose", "on|off", "transfer head motion", "on");
  p.Option("gain", "F", "expression gain (1 = as the driver)", "1");
  p.Option("color", "F", "colour matching strength towards the source photo, 0..1", "0.5");
  p.Option("crf", "Q", "H.264 quality, 0 (lossless) .. 51 (worst)", "18");
  p.Option("stages", "pipelined|one", "stage threads (pipelined) or one work thread", "pipelined");
  AddDetectorOption(p);
  AddReenactLandmarksOption(p);
  AddSynthesisOptions(p);
  AddEditOptions(p);
  p.Epilog("examples:\n  smile reenact --source alice.jpg --identity alice.smile --driver talk.mp4 -o alice_talks.mp4\n"
           "  smile reenact --source alice.smile --driver 0 -o out.mp4        (webcam driver)\n" +
           std::string(kConsentLine));
  Status status;
  if (!ParseOrHelp(p, args, &status)) return status;
  SMILE_ASSIGN_OR_RETURN(EditRequest edit, ParseEditOptions(p));
  const std::string source_arg = p.Get("source"), driver = p.Get("driver"), out = p.Get("output");
  std::string identity = p.Get("identity"), photo;
  if (!std::filesystem::exists(source_arg)) return NotFound("source '" + source_arg + "' does not exist");
  if (IsModelPath(source_arg)) {
    if (!identity.empty() && identity != source_arg)
      return InvalidArgument("--source is already an identity model; give a photo as --source with --identity, "
                             "or leave --identity out");
    identity = source_arg;
  } else {
    photo = source_arg;
    if (identity.empty())
      return InvalidArgument("a source photo needs --identity <model.smile> to render it; fit the person first: "
                             "smile fit --identity " + photo + " -o id.smile");
  }
  if (!std::filesystem::exists(identity)) return NotFound("identity model '" + identity + "' does not exist");
  if (p.Get("pose") != "on" && p.Get("pose") != "off") return InvalidArgument("--pose takes on or off");
  if (p.Get("stages") != "pipelined" && p.Get("stages") != "one")
    return InvalidArgument("--stages takes pipelined or one");
  SMILE_ASSIGN_OR_RETURN(double gain, p.GetDouble("gain", 0, 4));
  SMILE_ASSIGN_OR_RETURN(double color, p.GetDouble("color", 0, 1));
  SMILE_ASSIGN_OR_RETURN(int64_t crf, p.GetInt("crf", 0, 51));
  engine::AnalyzerOptions ao;
  SMILE_RETURN_IF_ERROR(ApplyDetectorOption(p, &ao.tracker));
  SMILE_RETURN_IF_ERROR(CheckReenactLandmarksOption(p));
  // The output's kind and name before any model loads (bad arguments fail at once, exit 2).
  SMILE_ASSIGN_OR_RETURN(capture::SinkKind sink_kind, capture::ClassifySink(out));
  if (capture::SameFile(driver, out))
    return InvalidArgument("--output '" + out + "' is the --driver video itself; choose another output name");
  if (!photo.empty() && capture::SameFile(photo, out))
    return InvalidArgument("--output '" + out + "' is the --source photo itself; choose another output name");

  engine::SessionOptions so;
  SMILE_RETURN_IF_ERROR(ApplySynthesisOptions(p, &so));
  so.label = "reenact";
  so.color = color;
  so.fused = p.Get("stages") == "one";
  if (p.Has("max-frames")) {
    SMILE_ASSIGN_OR_RETURN(so.max_frames, p.GetInt("max-frames", 1, int64_t(1) << 40));
  }
  SMILE_ASSIGN_OR_RETURN(auto device, models::ChooseDevice("auto"));
  SMILE_LOG(kInfo) << "device: " << device.description;
  SMILE_ASSIGN_OR_RETURN(auto model, models::LoadIdentityModel(identity));
  ao.align.size = std::max(256, model->config.image_size);
  SMILE_ASSIGN_OR_RETURN(auto session, engine::Session::Create(model, so, ao));
  SMILE_ASSIGN_OR_RETURN(std::shared_ptr<const engine::FaceMesh> mesh, ReenactLandmarkModel(p));
  SMILE_ASSIGN_OR_RETURN(engine::ReenactSource src, LoadReenactSource(photo, *session, mesh.get()));
  SMILE_RETURN_IF_ERROR(AttachEditor(edit, *session));
  engine::ReenactOptions ro;
  ro.pose = p.Get("pose") == "on";
  ro.expression_gain = gain;
  auto reenactor = std::make_shared<engine::Reenactor>(std::move(src), ro);

  if (sink_kind == capture::SinkKind::kVideoFile) SMILE_RETURN_IF_ERROR(capture::CheckOutputFolder(out, true));
  SMILE_ASSIGN_OR_RETURN(auto source, capture::OpenSource(driver));
  SMILE_LOG(kInfo) << "driver: " << source->info().description;
  capture::SinkOptions kopts = capture::SinkOptionsFor(source->info());
  kopts.crf = static_cast<int>(crf);
  if (edit.enabled) kopts.provenance.note = "reenact " + edit.spec.ToString();
  SMILE_ASSIGN_OR_RETURN(auto sink, capture::OpenSink(out, kopts));
  engine::SessionReport r = session->Run(*source, *sink, engine::ReenactAnalysis(*session, reenactor, mesh));
  if (r.status.ok() || r.status.code() == StatusCode::kCancelled) std::fprintf(stderr, "%s", r.Summary().c_str());
  if (r.frames_no_face + r.frames_held > 0)
    std::fprintf(stderr,
                 "%lld driver frame(s) had no face: %lld held the last pose, %lld showed the source unchanged\n",
                 static_cast<long long>(r.frames_no_face + r.frames_held), static_cast<long long>(r.frames_held),
                 static_cast<long long>(r.frames_no_face));
  return r.status;
}

namespace {
Status RunReenact(const std::vector<std::string>& args) { return RunReenactJob(args); }
}  // namespace

SMILE_COMMAND(reenact, 12, "reenactment: animate a photo or identity by a driver video or webcam", RunReenact);

}  // namespace smile::app
