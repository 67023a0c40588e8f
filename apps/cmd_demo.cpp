// smile demo: the main job on the bundled defaults - a head swap of the bundled clip
// with the bundled identity model, a side-by-side comparison (input | mask | output)
// and a contact sheet PNG. Everything goes under -o (default demo-out/).
#include <cstdio>
#include <filesystem>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "apps/command.h"
#include "apps/contact_sheet.h"
#include "capture/media_job.h"
#include "capture/sink.h"
#include "capture/source.h"
#include "core/face_labels.h"
#include "core/log.h"
#include "engine/face_analyzer.h"

namespace smile::app {

Status RunSwapJob(const std::vector<std::string>& args);
Status RunReenactJob(const std::vector<std::string>& args);

namespace {

namespace fs = std::filesystem;

// Without an identity model: the parsing stage every job runs on, as a real video
// (input | 19-class mask overlay, with the clip's audio) and a contact sheet.
Status RunMaskDemo(const fs::path& clip, const fs::path& out, int64_t max_frames, bool watermark) {
  SMILE_ASSIGN_OR_RETURN(auto source, capture::OpenSource(clip.string()));
  capture::SinkOptions kopts = capture::SinkOptionsFor(source->info());
  kopts.provenance.note = "demo (parsing stage)";
  kopts.watermark = watermark ? capture::WatermarkMode::kOn : capture::WatermarkMode::kOff;
  SMILE_ASSIGN_OR_RETURN(auto sink, capture::OpenSink((out / "masks.mp4").string(), kopts));
  engine::AnalyzerOptions ao;
  ao.align.size = 256;
  SMILE_ASSIGN_OR_RETURN(auto analyzer, engine::FaceAnalyzer::Create(ao));
  const int64_t total = max_frames > 0 ? max_frames : source->info().frame_count;
  ContactSheet sheet(total, 6, 360);
  auto stage = [&](const Frame& f) -> Result<Frame> {
    SMILE_ASSIGN_OR_RETURN(auto an, analyzer.Process(*f.image, f.pts_us / 1e6));
    cv::Mat overlay = an.found ? OverlayLabels(*f.image, an.FrameLabels(f.image->size()), 0.6) : f.image->clone();
    cv::Mat row;
    cv::hconcat(*f.image, overlay, row);
    sheet.Offer(f.sequence, row);
    return Frame::FromMat(row, f.pts_us, f.sequence);
  };
  capture::JobOptions job;
  job.label = "parse";
  job.max_frames = max_frames > 0 ? max_frames : -1;
  capture::JobReport r = capture::RunMediaJob(*source, *sink, stage, job);
  SMILE_RETURN_IF_ERROR(r.status);
  if (!sheet.empty()) SMILE_RETURN_IF_ERROR(sheet.Write((out / "contact_sheet.png").string()));
  return Status::Ok();
}

Status RunDemo(const std::vector<std::string>& args) {
  ArgParser p("demo",
              "Run the main job on the bundled defaults: swap the head in the bundled clip "
              "(assets/demo/driver.mp4) with the identity model assets/models/identity.smile, keeping its "
              "audio, write a side-by-side video (input | mask | output) and a contact sheet, and reenact the "
              "identity with the clip as driver. Without that model it writes the parsing stage's result (input | mask) instead and "
              "says how to fit one.");
  p.Option("output", "DIR", "folder for the results", "demo-out");
  p.Option("assets", "DIR", "assets folder", SMILE_ASSETS_DIR);
  p.Option("max-frames", "N", "only the first N frames (0 = all)", "0");
  p.Flag("watermark", "draw a small translucent 'AI-generated' label on the output videos");
  Status status;
  if (!ParseOrHelp(p, args, &status)) return status;
  const fs::path assets = p.Get("assets"), out = p.Get("output");
  const fs::path clip = assets / "demo" / "driver.mp4", model = assets / "models" / "identity.smile";
  if (!fs::exists(clip))
    return NotFound("bundled clip '" + clip.string() + "' is missing; run from a complete checkout");
  SMILE_ASSIGN_OR_RETURN(int64_t max_frames, p.GetInt("max-frames", 0, int64_t(1) << 40));
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) return IoError("cannot create '" + out.string() + "': " + ec.message());
  if (!fs::exists(model)) {
    SMILE_LOG(kInfo) << "demo: no bundled identity model (" << model.string()
                     << "); showing the parsing stage instead";
    SMILE_RETURN_IF_ERROR(RunMaskDemo(clip, out, max_frames, p.GetFlag("watermark")));
    std::printf("demo results in %s/: masks.mp4 (input | 19-class mask, with the clip's audio), contact_sheet.png\n"
                "For a head swap, fit an identity first (see docs/STATUS.md for its cost today), then run the demo again:\n"
                "  smile fit --identity <their video> -o %s\n  smile demo -o %s\n",
                out.string().c_str(), model.string().c_str(), out.string().c_str());
    return Status::Ok();
  }
  std::vector<std::string> swap = {"--identity",   model.string(),
                                   "--video",      clip.string(),
                                   "--output",     (out / "swap.mp4").string(),
                                   "--compare",    (out / "side_by_side.mp4").string(),
                                   "--sheet",      (out / "contact_sheet.png").string()};
  if (p.GetFlag("watermark")) swap.push_back("--watermark");
  if (max_frames > 0) {
    swap.push_back("--max-frames");
    swap.push_back(std::to_string(max_frames));
  }
  SMILE_LOG(kInfo) << "demo: head swap of " << clip.string() << " with " << model.string();
  SMILE_RETURN_IF_ERROR(RunSwapJob(swap));
  // Reenactment: the fitted identity (its own default face layout) animated by the same clip.
  std::vector<std::string> reenact = {"--source", model.string(), "--driver", clip.string(), "--output",
                                      (out / "reenact.mp4").string()};
  if (max_frames > 0) {
    reenact.push_back("--max-frames");
    reenact.push_back(std::to_string(max_frames));
  }
  SMILE_LOG(kInfo) << "demo: reenactment of " << model.string() << " driven by " << clip.string();
  SMILE_RETURN_IF_ERROR(RunReenactJob(reenact));
  std::printf("demo results in %s/: swap.mp4 (with the clip's audio), side_by_side.mp4 (input | mask | output), "
              "contact_sheet.png, reenact.mp4 (the identity driven by the clip)\n", out.string().c_str());
  return Status::Ok();
}

}  // namespace

SMILE_COMMAND(demo, 1, "the main job on the bundled defaults (head swap and reenactment demo with audio)", RunDemo);

}  // namespace smile::app
