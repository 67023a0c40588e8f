// smile bench models: seconds per image and parameter counts of the synthesis
// networks (plain and fast fixed-style generator, style encoder, mapping,
// discriminator) for the paper configurations at 128 and 256 px.
#include <cstdio>

#include <opencv2/imgcodecs.hpp>
#include <torch/torch.h>

#include "apps/command.h"
#include "apps/synthesis_options.h"
#include "capture/source.h"
#include "engine/bench_faces.h"
#include "engine/session.h"
#include "models/bench.h"
#include "models/config.h"
#include "models/identity_model.h"

namespace smile::app {
namespace {

// smile bench pipeline: the same networks run (1) one frame at a time in one thread (and, when
// the session renders with the fast path, also with the plain network forward),
// (2) as the older swap layout (decode | analyse+synthesise+compose | encode), (3) as the
// session's stage pipeline, (4) live (file paced at its frame rate, newest frame first).
Status BenchPipeline(const ArgParser& p) {
  const std::string video = p.Get("video");
  if (video.empty()) return InvalidArgument("bench pipeline needs a video: smile bench pipeline clip.mp4 --identity id.smile");
  SMILE_ASSIGN_OR_RETURN(int64_t frames, p.GetInt("frames", 2, 100000));
  models::IdentityModel model{nullptr};
  std::string what;
  if (!p.Get("identity").empty()) {
    SMILE_ASSIGN_OR_RETURN(model, models::LoadIdentityModel(p.Get("identity")));
    what = p.Get("identity");
  } else {
    // Speed does not depend on the weights: a random model of the preset.
    SMILE_ASSIGN_OR_RETURN(models::ModelConfig cfg, models::ModelConfig::Preset(p.Get("config")));
    torch::manual_seed(0);
    model = models::IdentityModel(cfg);
    model->style.copy_(torch::randn_like(model->style));
    model->eval();
    what = "random " + p.Get("config") + " model";
  }
  engine::AnalyzerOptions ao;
  ao.align.size = std::max(256, model->config.image_size);
  engine::SessionOptions so;
  SMILE_RETURN_IF_ERROR(ApplySynthesisOptions(p, &so));
  SMILE_RETURN_IF_ERROR(ApplyLayoutOption(p, &so));
  so.progress = false;
  so.max_frames = frames;
  SMILE_ASSIGN_OR_RETURN(auto session, engine::Session::Create(model, so, ao));
  std::printf("bench pipeline: %s, %lld frames of %s, %d px synthesis (%s)\n", what.c_str(),
              static_cast<long long>(frames), video.c_str(), model->config.image_size,
              session->renderer().path().c_str());

  // (1) one frame at a time, no pipeline: read, analyse, synthesise, compose in one thread; also
  // with the plain network forward (no fixed-style fast path) as the no-optimisation baseline.
  auto sequential = [&](engine::Session& s, const char* name) -> Result<double> {
    SMILE_ASSIGN_OR_RETURN(auto src, capture::OpenSource(video));
    s.analyzer().Reset();
    s.ResetComposeState();
    double ms_a = 0, ms_s = 0, ms_c = 0, ms_r = 0;
    int64_t n = 0;
    const int64_t t0 = SteadyMicros();
    while (n < frames) {
      int64_t t = SteadyMicros();
      Result<Frame> f = src->Read();
      if (f.status().code() == StatusCode::kEndOfStream) break;
      SMILE_RETURN_IF_ERROR(f.status());
      ms_r += (SteadyMicros() - t) / 1e3;
      engine::SessionItem item;
      item.input = std::move(f).value();
      t = SteadyMicros();
      SMILE_RETURN_IF_ERROR(s.AnalyseSwap(item));
      ms_a += (SteadyMicros() - t) / 1e3;
      t = SteadyMicros();
      SMILE_RETURN_IF_ERROR(s.Synthesise(item));
      ms_s += (SteadyMicros() - t) / 1e3;
      t = SteadyMicros();
      SMILE_RETURN_IF_ERROR(s.Compose(item));
      ms_c += (SteadyMicros() - t) / 1e3;
      ++n;
    }
    if (n == 0) return InvalidArgument("'" + video + "' has no frames");
    const double fps = n / ((SteadyMicros() - t0) / 1e6);
    std::printf("%-26s %7.2f fps  decode %.1f  analyse %.1f  synthesise %.1f  compose %.1f ms/frame\n", name, fps,
                ms_r / n, ms_a / n, ms_s / n, ms_c / n);
    std::fflush(stdout);
    return fps;
  };
  double plain_fps = 0;
  if (session->renderer().fast()) {
    engine::SessionOptions po = so;
    po.fast_synthesis = false;
    po.bf16_synthesis = false;
    SMILE_ASSIGN_OR_RETURN(auto plain, engine::Session::Create(model, po, ao));
    SMILE_ASSIGN_OR_RETURN(plain_fps, sequential(*plain, "one at a time, plain net"));
  }
  SMILE_ASSIGN_OR_RETURN(const double seq_fps, sequential(*session, "one frame at a time"));
  auto run = [&](const char* name, bool fused, bool live) -> Status {
    SMILE_ASSIGN_OR_RETURN(auto src, capture::OpenSource(video));
    if (live) src = engine::PaceAsLive(std::move(src));
    session->analyzer().Reset();
    session->mutable_options().fused = fused;
    session->mutable_options().live = live;
    engine::DiscardSink sink;
    engine::SessionReport r = session->RunSwap(*src, sink);
    SMILE_RETURN_IF_ERROR(r.status);
    std::string stages;
    for (const auto& s : r.stages) {
      char b[64];
      std::snprintf(b, sizeof(b), "  %s %.1f", s.name.c_str(), s.ms_per_item());
      stages += b;
    }
    char vs_plain[48] = "";
    if (plain_fps > 0) std::snprintf(vs_plain, sizeof(vs_plain), ", x%.2f vs plain", r.fps() / plain_fps);
    std::printf("%-26s %7.2f fps  x%.2f vs one-at-a-time%s  ms/frame:%s\n", name, r.fps(),
                seq_fps > 0 ? r.fps() / seq_fps : 0.0, vs_plain, stages.c_str());
    if (live)
      std::printf("%-26s latency capture->output mean %.0f ms, p50 %.0f, p95 %.0f, max %.0f; %lld of %lld frames "
                  "dropped\n", "", r.latency_mean_ms, r.latency_p50_ms, r.latency_p95_ms, r.latency_max_ms,
                  static_cast<long long>(r.frames_dropped), static_cast<long long>(r.frames_read));
    std::fflush(stdout);
    return Status::Ok();
  };
  SMILE_RETURN_IF_ERROR(run("one work stage (old swap)", true, false));
  SMILE_RETURN_IF_ERROR(run("pipelined stages", false, false));
  if (p.Get("live") == "on") SMILE_RETURN_IF_ERROR(run("live (paced, newest first)", false, true));
  return Status::Ok();
}

// smile bench faces: the faces-in-video models per call and the whole per-frame analysis,
// as ratios to dlib HOG detection in the same process.
Status BenchFacesTarget(const ArgParser& p) {
  engine::FaceBenchOptions o;
  o.video = p.Get("video");
  if (o.video.empty())
    return InvalidArgument("bench faces needs a video with a face: smile bench faces clip.mp4 [--frames 30]");
  SMILE_ASSIGN_OR_RETURN(int64_t frames, p.GetInt("frames", 1, 100000));
  SMILE_ASSIGN_OR_RETURN(int64_t iters, p.GetInt("iters", 1, 1000));
  SMILE_ASSIGN_OR_RETURN(int64_t warmup, p.GetInt("warmup", 0, 1000));
  SMILE_ASSIGN_OR_RETURN(int64_t threads, p.GetInt("threads", 0, 1024));
  o.frames = static_cast<int>(std::min<int64_t>(frames, 300));
  o.iterations = static_cast<int>(iters);
  o.warmup = static_cast<int>(warmup);
  o.threads = static_cast<int>(threads);
  std::printf("bench faces: %s (per-frame analysis over its first %d frames), median of %d\n", o.video.c_str(),
              o.frames, o.iterations);
  std::printf("%-18s %10s %10s %8s  %s\n", "benchmark", "ms/call", "min ms", "x HOG", "what");
  auto rows = engine::BenchFaces(o, [](const engine::FaceBenchRow& r) {
    if (!r.skipped.empty()) {
      std::printf("%-18s %10s %10s %8s  skipped: %s\n", r.name.c_str(), "-", "-", "-", r.skipped.c_str());
    } else {
      std::printf("%-18s %10.2f %10.2f %8.2f  %s\n", r.name.c_str(), r.ms, r.min_ms, r.vs_hog, r.what.c_str());
    }
    std::fflush(stdout);
  });
  return rows.status();
}

Status RunBench(const std::vector<std::string>& args) {
  ArgParser p("bench", "Benchmark smile components (Google Benchmark). Targets: models (every network of both "
                       "stages and the parser: seconds per image, parameters, fast paths as ratios to the plain "
                       "generator in the same run), pipeline (a swap "
                       "session's fps, per-stage ms and live latency against one-frame-at-a-time processing), faces "
                       "(detectors, landmarks, FaceMesh, Iris, Selfie, FaceRes and the whole per-frame analysis on a clip's "
                       "frames, as ratios to dlib HOG detection).");
  p.Positional("target", "what to benchmark: models, pipeline or faces");
  p.Positional("video", "pipeline / faces: the video to run", false);
  p.Option("identity", "MODEL", "pipeline: identity model (default: a random model of --config)", "");
  p.Option("config", "NAME", "pipeline: preset of the random model when no --identity", "small");
  p.Option("frames", "N", "pipeline: frames per run; faces: frames the per-frame analysis cycles through", "60");
  p.Option("live", "on|off", "pipeline: also run live (the file paced at its frame rate)", "on");
  p.Option("configs", "LIST", "comma-separated model presets (paper, paper128, small, tiny)", "paper128,paper");
  std::string all_networks;
  for (const auto& n : models::BenchNetworkNames()) all_networks += (all_networks.empty() ? "" : ",") + n;
  p.Option("networks", "LIST",
           "comma-separated networks: synthesis generator (plain forward) and its fixed-style fast paths "
           "generator_fast, generator_fast_cl (channels-last), generator_bf16; style_encoder, mapping, discriminator; "
           "manip_generator, manip_style_encoder, manip_mapping, manip_discriminator; parser",
           all_networks);
  p.Option("mask", "PNG", "models: label map the generators run on (8-bit class indices, e.g. a parsed frame); "
           "default: a synthetic face layout. The fast path's speed depends on its share of class boundaries", "");
  p.Option("iters", "N", "timed runs per network (the median is reported)", "3");
  p.Option("warmup", "N", "untimed runs before timing", "1");
  p.Option("threads", "N", "intra-op threads (0 = all cores)", "0");
  AddSynthesisOptions(p);  // pipeline
  AddLayoutOption(p);      // pipeline
  p.Option("device", "D", "models: cpu, cuda, cuda:N or auto (CUDA needs a CUDA build of LibTorch and a GPU)", "cpu");
  p.Epilog("examples:\n  smile bench models --configs small,paper128 --iters 5\n"
           "  smile bench faces clip.mp4 --frames 30 --iters 5   (detectors, landmarks, FaceMesh, Iris, Selfie, FaceRes,\n"
           "      whole per-frame analysis; ratios to dlib HOG detection in the same run)\n");
  Status st;
  if (!ParseOrHelp(p, args, &st)) return st;
  if (p.Get("target") == "pipeline") return BenchPipeline(p);
  if (p.Get("target") == "faces") return BenchFacesTarget(p);
  if (p.Get("target") != "models")
    return InvalidArgument("unknown bench target '" + p.Get("target") + "'; use models, pipeline or faces");
  models::ModelBenchOptions o;
  o.configs = SplitCommas(p.Get("configs"));
  o.networks = SplitCommas(p.Get("networks"));
  SMILE_ASSIGN_OR_RETURN(int64_t iters, p.GetInt("iters", 1, 1000));
  SMILE_ASSIGN_OR_RETURN(int64_t warmup, p.GetInt("warmup", 0, 100));
  SMILE_ASSIGN_OR_RETURN(int64_t threads, p.GetInt("threads", 0, 1024));
  o.iterations = static_cast<int>(iters);
  o.warmup = static_cast<int>(warmup);
  o.threads = static_cast<int>(threads);
  o.device = p.Get("device");
  if (const std::string mask = p.Get("mask"); !mask.empty()) {
    cv::Mat m = cv::imread(mask, cv::IMREAD_GRAYSCALE);
    if (m.empty()) return NotFound("cannot read the label map '" + mask + "'; give an 8-bit PNG of class indices");
    o.mask_labels.assign(m.data, m.data + m.total());
    o.mask_width = m.cols;
    o.mask_height = m.rows;
    o.mask_name = mask;
  }
  std::printf("%s\n", models::BenchTableHeader().c_str());
  std::fflush(stdout);
  auto rows = models::BenchSynthesisModels(o, [](const models::ModelBenchRow& r) {
    std::printf("%s\n", models::FormatBenchRow(r).c_str());
    std::fflush(stdout);
  });
  return rows.ok() ? Status::Ok() : rows.status();
}

}  // namespace

SMILE_COMMAND(bench, 90, "Benchmark components (bench models: network speed and size; bench pipeline: session fps and latency; bench faces: face models and per-frame analysis)", RunBench);

}  // namespace smile::app
