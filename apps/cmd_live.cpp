// smile live: swap or reenact on a live source (webcam, GStreamer pipeline, or a file
// played as live), newest frame first, with a preview window (or a GStreamer sink /
// file), an fps + latency overlay and a key or flag to toggle the effect.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>

#include <opencv2/highgui.hpp>
#include <opencv2/imgproc.hpp>

#include "apps/command.h"
#include "apps/synthesis_options.h"
#include "apps/face_options.h"
#include "apps/edit_setup.h"
#include "apps/reenact_setup.h"
#include "capture/live_watch.h"
#include "capture/media_job.h"
#include "capture/sink.h"
#include "capture/source.h"
#include "core/log.h"
#include "engine/reenact.h"
#include "engine/session.h"
#include "models/identity_model.h"
#include "models/runtime.h"

namespace smile::app {
namespace {

// This process's resident memory (VmRSS) in MiB; 0 when /proc is not there.
double ResidentMegabytes() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  double kb = 0;
  while (std::fgets(line, sizeof(line), f))
    if (std::sscanf(line, "VmRSS: %lf kB", &kb) == 1) break;
  std::fclose(f);
  return kb / 1024.0;
}

bool HaveDisplay() {
  const char* d = std::getenv("DISPLAY");
  const char* w = std::getenv("WAYLAND_DISPLAY");
  return (d && *d) || (w && *w);
}

// Preview window with keys: e / space toggle the effect, q / Esc stop.
class LiveWindow : public capture::FrameSink {
 public:
  explicit LiveWindow(engine::Session* session) : session_(session) {}
  ~LiveWindow() override { Abort(); }
  Status Write(const Frame& f) override {
    try {
      cv::imshow("smile live", *f.image);
      open_ = true;
      const int key = cv::waitKey(1);
      if (key == 'q' || key == 27) session_->RequestStop();
      if (key == 'e' || key == ' ') session_->set_effect(!session_->effect());
    } catch (const cv::Exception& e) {
      return Unsupported(std::string("cannot show the preview window (") + e.what() +
                         "); use --sink gst:<pipeline> or -o out.mp4");
    }
    ++frames_;
    return Status::Ok();
  }
  Status Close() override { Abort(); return Status::Ok(); }
  void Abort() override {
    if (open_) {
      try { cv::destroyWindow("smile live"); } catch (const cv::Exception&) {}
      open_ = false;
    }
  }
  int64_t frames_written() const override { return frames_; }
  std::string target() const override { return "preview window"; }

 private:
  engine::Session* session_;
  int64_t frames_ = 0;
  bool open_ = false;
};

Status RunLive(const std::vector<std::string>& args) {
  ArgParser p("live",
              "Live head swap or reenactment, newest frame first: the decode queue keeps only the newest frame and "
              "at most --in-flight frames are being processed, so latency stays bounded; dropped frames are counted. "
              "Shows a preview window (keys: e or space toggles the effect, q quits) with an fps and latency overlay, "
              "or sends the frames to --sink / -o.");
  p.Option("source", "LIVE", "webcam index (0), gst:<pipeline>, a stream URL, or a video file played as live", "",
           true);
  p.Option("mode", "swap|reenact", "swap: heads re-rendered as the identity; reenact: the identity (or --portrait) "
                                   "animated by the live face", "swap");
  p.Option("identity", "MODEL", "identity model made by 'smile fit' (.smile)", "", true);
  p.Option("portrait", "PHOTO", "reenact: the photo to animate (default: the identity's own layout)", "");
  p.Option("sink", "TARGET", "window, gst:<pipeline> (e.g. gst:v4l2sink device=/dev/video10) or a file", "");
  p.Option("output", "FILE", "write the live output to a file instead (same as --sink FILE)", "");
  p.Option("effect", "on|off", "start with the effect on or off (toggle with e / space in the window)", "on");
  p.Option("toggle-every", "SEC", "toggle the effect every SEC seconds (demos without a keyboard)", "");
  p.Option("overlay", "on|off", "draw fps, latency and effect state on the output", "on");
  p.Option("in-flight", "N", "frames processed at once (latency vs throughput)", "2");
  p.Option("max-frames", "N", "stop after N source frames", "");
  p.Option("pace", "on|off", "play files at their frame rate as a live source would", "on");
  p.Option("reconnect", "SEC",
           "when a webcam or network stream is lost, reopen it for up to SEC seconds before stopping (0: stop at "
           "once); a gst: pipeline's end stops unless this is given", "");
  p.Option("watermark", "auto|on|off",
           "visible 'AI-generated' label: auto draws it on gst: outputs (streams, virtual cameras) and not on files; "
           "off turns it off explicitly", "auto");
  p.Option("stats-every", "SEC", "print a line with fps, latency, drops and memory (RSS) every SEC seconds", "");
  AddDetectorOption(p);
  AddReenactLandmarksOption(p);
  AddSynthesisOptions(p);
  AddLayoutOption(p);  // --mode swap
  AddEditOptions(p);
  p.Epilog("examples:\n  smile live --source 0 --identity alice.smile\n"
           "  smile live --source 'gst:videotestsrc ! video/x-raw,width=640,height=480' --identity a.smile -o t.mp4\n"
           "  smile live --source talk.mp4 --mode reenact --identity alice.smile --sink 'gst:v4l2sink "
           "device=/dev/video10'\n" +
           std::string(kConsentLine));
  Status status;
  if (!ParseOrHelp(p, args, &status)) return status;
  SMILE_ASSIGN_OR_RETURN(EditRequest edit, ParseEditOptions(p));
  const std::string mode = p.Get("mode"), identity = p.Get("identity");
  if (mode != "swap" && mode != "reenact") return InvalidArgument("--mode takes swap or reenact");
  for (const char* f : {"effect", "overlay", "pace"})
    if (p.Get(f) != "on" && p.Get(f) != "off") return InvalidArgument(std::string("--") + f + " takes on or off");
  const std::string watermark = p.Get("watermark");
  if (watermark != "auto" && watermark != "on" && watermark != "off")
    return InvalidArgument("--watermark takes auto, on or off");
  if (!std::filesystem::exists(identity)) return NotFound("identity model '" + identity + "' does not exist");
  if (!p.Get("portrait").empty() && mode != "reenact") return InvalidArgument("--portrait is for --mode reenact");
  if (!p.Get("output").empty() && !p.Get("sink").empty())
    return InvalidArgument("give --sink or --output, not both (--output FILE is the same as --sink FILE)");
  std::string target = !p.Get("output").empty() ? p.Get("output") : p.Get("sink");
  if (target.empty()) {
    if (!HaveDisplay())
      return InvalidArgument("no display for the preview window (DISPLAY is not set); give --sink gst:<pipeline> "
                             "or -o out.mp4");
    target = "window";
  }
  SMILE_ASSIGN_OR_RETURN(int64_t in_flight, p.GetInt("in-flight", 1, 8));
  double toggle_s = 0;
  if (p.Has("toggle-every") && !p.Get("toggle-every").empty()) {
    SMILE_ASSIGN_OR_RETURN(toggle_s, p.GetDouble("toggle-every", 0.1, 3600));
  }
  engine::AnalyzerOptions ao;
  SMILE_RETURN_IF_ERROR(ApplyDetectorOption(p, &ao.tracker));
  const bool window = target == "window" || target == "preview" || target == "screen" || target == ":window";
  if (!window) {  // the output's kind and name before any model loads (exit 2 at once)
    SMILE_RETURN_IF_ERROR(capture::ClassifySink(target).status());
    if (capture::SameFile(p.Get("source"), target))
      return InvalidArgument("--output '" + target + "' is the --source itself; choose another output name");
  }
  engine::SessionOptions so;
  SMILE_RETURN_IF_ERROR(ApplySynthesisOptions(p, &so));
  SMILE_RETURN_IF_ERROR(ApplyLayoutOption(p, &so));
  if (mode != "swap") so.layout = engine::SessionOptions::Layout::kDriver;  // reenact renders the identity's own
  so.label = "live " + mode;
  so.live = true;
  so.max_in_flight = static_cast<int>(in_flight);
  so.progress = false;
  if (p.Has("max-frames") && !p.Get("max-frames").empty()) {
    SMILE_ASSIGN_OR_RETURN(so.max_frames, p.GetInt("max-frames", 1, int64_t(1) << 40));
  }
  double stats_s = 0;
  if (!p.Get("stats-every").empty()) {
    SMILE_ASSIGN_OR_RETURN(stats_s, p.GetDouble("stats-every", 0.1, 86400));
  }
  double reconnect_s = -1;  // -1: the source kind decides
  if (!p.Get("reconnect").empty()) {
    SMILE_ASSIGN_OR_RETURN(reconnect_s, p.GetDouble("reconnect", 0, 86400));
  }

  SMILE_ASSIGN_OR_RETURN(auto device, models::ChooseDevice("auto"));
  SMILE_LOG(kInfo) << "device: " << device.description;
  SMILE_ASSIGN_OR_RETURN(auto model, models::LoadIdentityModel(identity));
  ao.align.size = std::max(256, model->config.image_size);
  SMILE_ASSIGN_OR_RETURN(auto session, engine::Session::Create(model, so, ao));
  session->set_effect(p.Get("effect") == "on");

  const std::string source_uri = p.Get("source");
  SMILE_ASSIGN_OR_RETURN(auto source, capture::OpenSource(source_uri));
  if (!source->info().is_live && p.Get("pace") == "on") source = engine::PaceAsLive(std::move(source));
  // A webcam or network stream has no end: losing it means it stalled or was unplugged, so it
  // is reopened (10 s by default). A gst: pipeline may end on purpose (num-buffers), so only
  // with --reconnect. Files are never reopened.
  const capture::SourceKind kind = source->info().kind;
  const bool reopenable = source->info().is_live && (kind == capture::SourceKind::kWebcam ||
                                                     kind == capture::SourceKind::kUrl ||
                                                     kind == capture::SourceKind::kGStreamer);
  capture::LiveWatch* watch = nullptr;
  if (reopenable) {
    capture::LiveWatchOptions wo;
    wo.reconnect_s = reconnect_s >= 0 ? reconnect_s : kind == capture::SourceKind::kGStreamer ? 0.0 : 10.0;
    auto watched = capture::WatchLiveSource(std::move(source), [source_uri] { return capture::OpenSource(source_uri); },
                                            wo);
    watch = watched.get();
    source = std::move(watched);
  }
  SMILE_LOG(kInfo) << "live source: " << source->info().description;

  engine::AnalyseFn analyse;
  if (mode == "reenact") {
    SMILE_ASSIGN_OR_RETURN(std::shared_ptr<const engine::FaceMesh> mesh, ReenactLandmarkModel(p));
    SMILE_ASSIGN_OR_RETURN(engine::ReenactSource src, LoadReenactSource(p.Get("portrait"), *session, mesh.get()));
    analyse = engine::ReenactAnalysis(*session, std::make_shared<engine::Reenactor>(std::move(src)), mesh);
  } else {
    analyse = [s = session.get()](engine::SessionItem& item) { return s->AnalyseSwap(item); };
  }

  SMILE_RETURN_IF_ERROR(AttachEditor(edit, *session));
  std::unique_ptr<capture::FrameSink> sink;
  capture::SinkOptions kopts = capture::SinkOptionsFor(source->info());
  kopts.audio_from.clear();  // live: no audio track to copy
  kopts.watermark = watermark == "on"    ? capture::WatermarkMode::kOn
                    : watermark == "off" ? capture::WatermarkMode::kOff
                                         : capture::WatermarkMode::kAuto;
  if (window) {
    if (!HaveDisplay())
      return InvalidArgument("no display for the preview window (DISPLAY is not set); give --sink gst:<pipeline> "
                             "or -o out.mp4");
    sink = std::make_unique<LiveWindow>(session.get());
  } else {
    SMILE_ASSIGN_OR_RETURN(capture::SinkKind kind, capture::ClassifySink(target));
    if (kind == capture::SinkKind::kVideoFile) SMILE_RETURN_IF_ERROR(capture::CheckOutputFolder(target, true));
    SMILE_ASSIGN_OR_RETURN(sink, capture::OpenSink(target, kopts));
  }

  // Overlay: fps over the last second of outputs and this frame's capture -> compose latency.
  std::deque<int64_t> stamps;
  const bool overlay = p.Get("overlay") == "on";
  const int64_t t_start = SteadyMicros();
  int64_t next_toggle = toggle_s > 0 ? t_start + static_cast<int64_t>(toggle_s * 1e6) : -1;
  engine::Session* sp = session.get();
  // --stats-every: one line per period (soak runs and monitoring read it).
  int64_t next_stats = stats_s > 0 ? t_start + static_cast<int64_t>(stats_s * 1e6) : -1;
  int64_t period_frames = 0, total_frames = 0;
  double period_latency_sum = 0, period_latency_max = 0;
  engine::OutputHook hook = [&](engine::SessionItem& item) -> Status {
    const int64_t now = SteadyMicros();
    if (next_stats > 0) {
      const double latency_ms = (now - item.input.capture_us) / 1000.0;
      ++period_frames, ++total_frames;
      period_latency_sum += latency_ms;
      period_latency_max = std::max(period_latency_max, latency_ms);
      if (now >= next_stats) {
        const double span = stats_s + (now - next_stats) / 1e6;
        std::fprintf(stderr, "live stats: t=%.1f s frames=%lld fps=%.1f latency_mean_ms=%.1f latency_max_ms=%.1f "
                     "rss_mb=%.1f\n", (now - t_start) / 1e6, static_cast<long long>(total_frames),
                     period_frames / span, period_latency_sum / std::max<int64_t>(1, period_frames),
                     period_latency_max, ResidentMegabytes());
        std::fflush(stderr);
        period_frames = 0;
        period_latency_sum = period_latency_max = 0;
        next_stats = now + static_cast<int64_t>(stats_s * 1e6);
      }
    }
    if (next_toggle > 0 && now >= next_toggle) {
      sp->set_effect(!sp->effect());
      next_toggle += static_cast<int64_t>(toggle_s * 1e6);
    }
    stamps.push_back(now);
    while (stamps.size() > 1 && now - stamps.front() > 1000000) stamps.pop_front();
    if (!overlay) return Status::Ok();
    const double span = (stamps.back() - stamps.front()) / 1e6;
    const double fps = span > 0 ? (stamps.size() - 1) / span : 0;
    const double latency = (now - item.input.capture_us) / 1000.0;
    char text[128];
    std::snprintf(text, sizeof(text), "%.1f fps  %.0f ms  %s %s", fps, latency, item.render ? "on" : "off",
                  item.pass == engine::SessionItem::Pass::kNoFace ? "(no face)" : "");
    cv::Mat out = item.output.clone();  // the output may share the input's pixels
    const double scale = std::max(0.4, out.cols / 900.0);
    cv::putText(out, text, cv::Point(8, static_cast<int>(24 * scale + 4)), cv::FONT_HERSHEY_SIMPLEX, 0.7 * scale,
                cv::Scalar(0, 0, 0), static_cast<int>(4 * scale + 1), cv::LINE_AA);
    cv::putText(out, text, cv::Point(8, static_cast<int>(24 * scale + 4)), cv::FONT_HERSHEY_SIMPLEX, 0.7 * scale,
                cv::Scalar(80, 255, 80), static_cast<int>(2 * scale + 1), cv::LINE_AA);
    item.output = out;
    return Status::Ok();
  };
  engine::SessionReport r = session->Run(*source, *sink, analyse, hook);
  if (r.status.ok() || r.status.code() == StatusCode::kCancelled) std::fprintf(stderr, "%s", r.Summary().c_str());
  if (watch && !watch->Summary().empty()) std::fprintf(stderr, "  %s\n", watch->Summary().c_str());
  return r.status;
}

}  // namespace

SMILE_COMMAND(live, 14, "live swap or reenactment from a webcam or stream, with preview and fps/latency overlay",
              RunLive);

}  // namespace smile::app
