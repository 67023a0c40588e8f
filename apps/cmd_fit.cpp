// smile fit: learn one identity from its own footage (video, photo folder or photos).
#include <cstdio>
#include <filesystem>

#include "apps/command.h"
#include "core/log.h"
#include "core/progress.h"
#include "engine/face_samples.h"
#include "models/identity_model.h"
#include "models/runtime.h"
#include "training/ema.h"
#include "training/identity_fit.h"

namespace smile::app {
namespace {

Status RunFit(const std::vector<std::string>& args) {
  ArgParser p("fit",
              "Learn a new identity from its own footage: extract and align the face in every frame, parse it "
              "into a 19-class mask, hold out the last 10 % of the frames, train the synthesis stage on the rest, "
              "and save an identity model (weights + the identity's fixed style matrix) for swap / reenact / live.");
  p.MultiOption("identity", "MEDIA", "a video, a folder of photos or one photo of the person (repeatable)");
  p.Option("output", "FILE", "identity model to write (e.g. alice.smile)", "", true);
  p.Option("minutes", "N", "training time budget in minutes", "20");
  p.Option("iters", "N", "iteration budget (stops at whichever budget comes first)", "0");
  p.Option("config", "NAME", "network configuration: small (real time on CPU), paper128, paper, tiny", "small");
  p.Option("batch", "N", "batch size", "8");
  p.Option("every", "K", "use every K-th video frame", "2");
  p.Option("max-samples", "N", "at most this many face crops", "600");
  p.Option("seed", "N", "random seed", "0");
  p.Epilog("example:\n  smile fit --identity alice.mp4 -o alice.smile --minutes 20\n"
           "Ctrl-C stops early and keeps the best model so far.");
  Status status;
  if (!ParseOrHelp(p, args, &status)) return status;
  auto inputs = p.GetAll("identity");
  if (inputs.empty()) return InvalidArgument("missing --identity MEDIA: give the person's video or photos");
  for (const auto& in : inputs)
    if (!std::filesystem::exists(in))
      return NotFound("identity input '" + in + "' does not exist; check the path");
  SMILE_ASSIGN_OR_RETURN(auto config, models::ModelConfig::Preset(p.Get("config")));
  SMILE_ASSIGN_OR_RETURN(double minutes, p.GetDouble("minutes", 0, 24 * 60));
  SMILE_ASSIGN_OR_RETURN(int64_t iters, p.GetInt("iters", 0, 100000000));
  SMILE_ASSIGN_OR_RETURN(int64_t batch, p.GetInt("batch", 1, 256));
  SMILE_ASSIGN_OR_RETURN(int64_t every, p.GetInt("every", 1, 1000));
  SMILE_ASSIGN_OR_RETURN(int64_t max_samples, p.GetInt("max-samples", 4, 100000));
  SMILE_ASSIGN_OR_RETURN(int64_t seed, p.GetInt("seed", 0, INT64_MAX));
  if (minutes <= 0 && iters <= 0) return InvalidArgument("--minutes and --iters are both 0: give one of them > 0");
  const std::string out = p.Get("output");
  auto out_dir = std::filesystem::absolute(out).parent_path();
  if (!std::filesystem::is_directory(out_dir))
    return NotFound("output folder '" + out_dir.string() + "' does not exist; create it first");

  SMILE_ASSIGN_OR_RETURN(auto device, models::ChooseDevice("cpu"));
  SMILE_LOG(kInfo) << "fit: device " << device.description << ", config " << config.preset << " ("
                   << config.image_size << " px)";
  engine::SampleOptions so;
  so.size = config.image_size;
  so.every = static_cast<int>(every);
  so.max_samples = static_cast<int>(max_samples);
  engine::SampleReport report;
  SMILE_ASSIGN_OR_RETURN(auto faces, engine::ExtractFaceSamples(inputs, so, &report));
  std::vector<training::FitSample> samples;
  for (auto& f : faces) samples.push_back({f.aligned, f.labels});

  training::FitOptions fo = training::DefaultFitOptions();
  fo.minutes = minutes;
  fo.iters = iters;
  fo.batch = static_cast<int>(batch);
  fo.seed = static_cast<uint64_t>(seed);
  ProgressBar bar("fit", iters > 0 ? iters : 0, "it");
  char extra[128];
  auto on_progress = [&](int64_t it, const std::map<std::string, double>& losses, double psnr) {
    auto get = [&](const char* k) { auto i = losses.find(k); return i == losses.end() ? 0.0 : i->second; };
    std::snprintf(extra, sizeof(extra), "l1 %.3f  d %.2f  held-out PSNR %.2f dB", get("g_l1"), get("d"), psnr);
    bar.Update(it, extra);
  };
  SMILE_ASSIGN_OR_RETURN(auto fit, training::FitIdentity(samples, config, fo, on_progress));
  bar.Finish(extra);

  models::IdentityModel model(config);
  {
    torch::NoGradGuard no_grad;
    training::CopyWeights(*fit.network, *model->network);
    model->style.copy_(fit.style);
    model->present.copy_(fit.style_present.to(torch::kFloat));
    model->default_labels.copy_(torch::from_blob(fit.default_labels.data, {config.image_size, config.image_size},
                                                 torch::kUInt8));
  }
  std::string sources;
  for (const auto& in : inputs) sources += (sources.empty() ? "" : ";") + in;
  char num[64];
  std::map<std::string, std::string> meta = {{"sources", sources},
                                             {"iterations", std::to_string(fit.iterations)},
                                             {"train_samples", std::to_string(fit.train_samples)},
                                             {"holdout_samples", std::to_string(fit.holdout_samples)}};
  std::snprintf(num, sizeof(num), "%.2f", fit.best_psnr);
  meta["holdout_psnr_db"] = num;
  std::snprintf(num, sizeof(num), "%.3f", fit.best_ssim);
  meta["holdout_ssim"] = num;
  std::snprintf(num, sizeof(num), "%.2f", fit.best_psnr_own_style);
  meta["holdout_psnr_own_style_db"] = num;
  std::snprintf(num, sizeof(num), "%.1f", fit.seconds);
  meta["seconds"] = num;
  SMILE_RETURN_IF_ERROR(models::SaveIdentityModel(out, model, meta));
  std::printf("identity model %s: %lld iterations in %.1f min, %d training / %d held-out crops\n", out.c_str(),
              static_cast<long long>(fit.iterations), fit.seconds / 60, fit.train_samples, fit.holdout_samples);
  std::printf("held-out head-region PSNR %.2f dB, SSIM %.3f (identity style); %.2f dB with each frame's own style%s\n",
              fit.best_psnr, fit.best_ssim, fit.best_psnr_own_style, fit.interrupted ? " (stopped early)" : "");
  return Status::Ok();
}

}  // namespace

SMILE_COMMAND(fit, 40, "learn a new identity from its own video or photos (minutes on a CPU)", RunFit);

}  // namespace smile::app
