// smile fit: learn one identity from its own footage (video, photo folder or photos).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>

#include <opencv2/imgcodecs.hpp>

#include "apps/command.h"
#include "apps/face_options.h"
#include "apps/synthesis_options.h"
#include "core/face_labels.h"
#include "core/log.h"
#include "core/progress.h"
#include "engine/face_samples.h"
#include "engine/facemesh.h"
#include "engine/mesh_geometry.h"
#include "engine/iris.h"
#include "engine/parser_choice.h"
#include "models/checkpoint.h"
#include "models/identity_model.h"
#include "models/runtime.h"
#include "training/ema.h"
#include "training/identity_fit.h"
#include "training/loss_log.h"
#include "training/plots.h"
#include "training/trainer_state.h"

namespace smile::app {
namespace {

namespace fs = std::filesystem;

// Face crops and masks are cached per (inputs, their sizes and times, extraction options) in
// ${XDG_CACHE_HOME:-~/.cache}/smile/fit-samples/<key>/, so that a second fit of the same
// footage (another budget, config or seed) skips detection and parsing.
fs::path SampleCacheDir(const std::vector<std::string>& inputs, const engine::SampleOptions& o) {
  std::ostringstream key;
  // v2: crops cut with the temporally filtered alignment (engine::AlignmentFilter).
  key << "v2 " << o.size << ' ' << o.every << ' ' << o.max_samples << ' ' << o.smooth << ' '
      << engine::DetectorKindName(o.detector);
  if (o.parser != engine::kParserGeometric) key << " parser=" << o.parser;
  if (o.iris) key << " iris";
  if (o.mesh) key << " mesh";
  for (const auto& in : inputs) {
    std::error_code ec;
    auto abs = fs::absolute(in, ec);
    key << '|' << abs.string();
    if (fs::is_regular_file(abs, ec)) key << ':' << fs::file_size(abs, ec);
    auto t = fs::last_write_time(abs, ec);
    key << ':' << t.time_since_epoch().count();
  }
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  fs::path root = xdg && *xdg ? fs::path(xdg) : fs::path(home ? home : "/tmp") / ".cache";
  char hex[32];
  std::snprintf(hex, sizeof(hex), "%016zx", std::hash<std::string>{}(key.str()));
  return root / "smile" / "fit-samples" / hex;
}

// FaceMesh points of one crop: 468 x (x, y, z) floats, or an empty file when none was found.
bool ReadMesh(const fs::path& file, std::vector<cv::Point3f>* mesh) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  in.seekg(0, std::ios::end);
  const auto bytes = static_cast<size_t>(in.tellg());
  in.seekg(0);
  if (bytes == 0) return true;
  if (bytes != sizeof(cv::Point3f) * engine::kMeshPoints) return false;
  mesh->resize(engine::kMeshPoints);
  return static_cast<bool>(in.read(reinterpret_cast<char*>(mesh->data()), static_cast<std::streamsize>(bytes)));
}

bool LoadCachedSamples(const fs::path& dir, std::vector<training::FitSample>* samples,
                       std::vector<std::vector<cv::Point3f>>* meshes) {
  std::ifstream count_file(dir / "complete");
  int count = 0;
  if (!(count_file >> count) || count <= 0) return false;
  for (int i = 0; i < count; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "%05d", i);
    cv::Mat image = cv::imread((dir / (std::string(name) + ".png")).string(), cv::IMREAD_COLOR);
    cv::Mat labels = cv::imread((dir / (std::string(name) + "_labels.png")).string(), cv::IMREAD_GRAYSCALE);
    if (image.empty() || labels.empty() || image.size() != labels.size()) return false;
    samples->push_back({image, labels, {}});
    if (meshes) {
      meshes->emplace_back();
      if (!ReadMesh(dir / (std::string(name) + "_mesh.bin"), &meshes->back())) return false;
    }
  }
  return true;
}

void StoreCachedSamples(const fs::path& dir, const std::vector<training::FitSample>& samples,
                        const std::vector<std::vector<cv::Point3f>>& meshes) {
  std::error_code ec;
  fs::path tmp = dir.string() + ".partial";
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) return;  // a cache is an optimisation: no cache folder, no cache
  for (size_t i = 0; i < samples.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "%05zu", i);
    if (!cv::imwrite((tmp / (std::string(name) + ".png")).string(), samples[i].image) ||
        !cv::imwrite((tmp / (std::string(name) + "_labels.png")).string(), samples[i].labels))
      return;
    if (i < meshes.size()) {
      std::ofstream m(tmp / (std::string(name) + "_mesh.bin"), std::ios::binary);
      m.write(reinterpret_cast<const char*>(meshes[i].data()),
              static_cast<std::streamsize>(meshes[i].size() * sizeof(cv::Point3f)));
      if (!m) return;
    }
  }
  std::ofstream(tmp / "complete") << samples.size() << "\n";
  fs::remove_all(dir, ec);
  fs::rename(tmp, dir, ec);
}

// The synthesis weights that --base names: an identity model (`smile fit`) or a synthesis
// checkpoint (`smile train synth`'s exported model, or a fit's <output>.state.best).
Result<models::SynthesisNetwork> LoadBaseNetwork(const std::string& path) {
  if (!fs::is_regular_file(path)) return NotFound("base model '" + path + "' does not exist; check the path");
  auto header = models::ReadCheckpointHeader(path);
  if (!header.ok())
    return InvalidArgument("--base '" + path + "' is not a smile model (" + header.status().message() +
                           "); give an identity model (smile fit) or a synthesis model (smile train synth)");
  if (header->kind == models::kKindIdentity) {
    SMILE_ASSIGN_OR_RETURN(auto identity, models::LoadIdentityModel(path));
    return identity->network;
  }
  if (header->kind == models::kKindSynth) {
    models::SynthesisNetwork net(header->config);
    SMILE_ASSIGN_OR_RETURN(auto ckpt, models::LoadCheckpoint(path, models::kKindSynth));
    SMILE_RETURN_IF_ERROR(ckpt.LoadInto(*net));
    return net;
  }
  return InvalidArgument("base model '" + path + "' is a '" + header->kind + "' checkpoint; --base takes an identity "
                         "model (smile fit) or a synthesis model (smile train synth)");
}

Status RunFit(const std::vector<std::string>& args) {
  ArgParser p("fit",
              "Learn a new identity from its own footage: extract and align the face in every frame, parse it "
              "into a 19-class mask, hold out the last 10 % of the frames, train the synthesis stage on the rest "
              "(from scratch, or fine-tuned from --base), "
              "and save an identity model (weights + the identity's fixed style matrix) for swap / reenact / live.");
  p.MultiOption("identity", "MEDIA", "a video, a folder of photos or one photo of the person");
  p.Option("output", "FILE", "identity model to write (e.g. alice.smile)", "", true);
  p.Option("minutes", "N", "training time budget in minutes", "20");
  p.Option("iters", "N", "iteration budget (stops at whichever budget comes first)", "0");
  p.Option("config", "NAME",
           "network configuration: lite (fast fitting on a CPU; the default), small, paper128, paper (256 px, GPU), "
           "tiny; with --base, the base model's");
  p.Option("base", "MODEL",
           "fine-tune from this model's synthesis weights instead of starting from scratch: an identity model "
           "(another person's .smile from smile fit) or a general synthesis model (smile train synth); its "
           "configuration is used");
  p.Option("batch", "N", "batch size (4 learns more per CPU-minute than 8 here)", "4");
  p.Option("every", "K", "use every K-th video frame", "2");
  p.Option("max-samples", "N", "at most this many face crops", "600");
  p.Option("seed", "N", "random seed", "0");
  p.Option("recon-fraction", "F",
           "share of the budget trained with the reconstruction loss alone before the adversarial and feature-matching "
           "losses (the paper's) join, 0..1; e.g. 0.7 adds them for the last 30 %. 1: never (on d14 they lowered the "
           "held-out PSNR by 0.3-0.5 dB, and the best model is the one kept)",
           "1");
  p.Option("self-style", "F",
           "share of training samples whose style is encoded from the frame itself (the rest from another frame "
           "of the person); own-frame styles carry gaze and teeth, for use with --bank (0..1)",
           "0");
  p.Option("bank", "N",
           "style bank size: keep the styles of N training crops and render each frame with those whose mask is "
           "most like its own (0: one mean style for every frame); try --bank 256 --self-style 1",
           "0");
  p.Option("augment", "F",
           "share of training samples moved by a small random scale / rotation / shift (image, mask and geometry "
           "together): delays the overfitting that ends long fits, so they keep improving (d14, 60 minutes on 2 "
           "cores: 28.11 dB held out, where fits without it peak at 26.54 dB near 20 minutes and then fall; level "
           "at 15 minutes); "
           "0 turns it off",
           "0.3");
  p.Option("iris", "auto|on|off",
           "add a 20th mask class, the iris, found on every frame by MediaPipe Iris (scripts/fetch_models.sh): "
           "the model then renders the eyes looking where the driver's look, which 19 classes cannot say. auto: on "
           "when the iris model is fetched (a base model decides by its own classes)",
           "auto");
  p.Option("recon-loss", "l1|l2",
           "reconstruction term: l1 (absolute errors, sharper) or l2 (squared errors: uncertain pixels go to their "
           "mean, which is what PSNR rewards; +0.4 dB held-out PSNR on d14 and d10 in 15 minutes)",
           training::DefaultFitOptions().train.recon_l2 ? "l2" : "l1");
  p.Option("lr", "X", "learning rate of the reconstruction steps (Adam, beta1 0.9)", "0.004");
  p.Option("precision", "fp32|bf16|auto",
           "training arithmetic: fp32, or bf16 mixed precision (forward passes in bfloat16, weights and losses "
           "fp32; faster on CPUs with AMX or AVX-512 BF16, slower elsewhere: d14, 15 minutes on one AVX-512 BF16 "
           "core, 1808 iterations against 1335 and the same held-out PSNR at equal iterations); auto: bf16 where "
           "the CPU has either",
           "auto");
  p.Option("geometry", "auto|mesh|off",
           "mesh: give the network FaceMesh's surface geometry beside the mask: where on the face each pixel lies "
           "and which way it faces, which the mask alone does not say (15 minutes: +1.3 dB held-out PSNR on d14, +1.2 "
           "on d10, +2.6 on d3). "
           "auto: mesh when the FaceMesh model is fetched and there are enough frames (not a few-shot photo fit; a base "
           "model decides by its own configuration)",
           "auto");
  p.Option("texture", "T",
           "with mesh geometry: learn a T-channel neural texture over the identity's canonical face, sampled at "
           "each pixel's place on the face and given to the network beside the geometry. It learns faster per "
           "iteration (d14: 26.5 dB held out at 1100 iterations instead of 2000) but each costs 20 % more, so 15 "
           "minutes end about level (--texture 8: d14 26.54 dB vs 26.46, d10 25.01 vs 24.79, d3 23.00 vs 23.06); "
           "0: none; a base model keeps its own",
           "0");
  AddDetectorOption(p);
  p.Option("eval-every", "N", "iterations between held-out evaluations", "50");
  AddParserOption(p, "for the training masks (swap/reenact/live later parse with the same one)", engine::kParserAuto);
  p.Flag("resume", "continue the fit saved in <output>.state (written every 100 iterations, on Ctrl-C and at the "
         "end); --minutes / --iters count the whole fit, the resumed part included");
  p.Flag("no-cache", "re-extract the face crops even if this footage was extracted before");
  p.Epilog("example:\n  smile fit --identity alice.mp4 -o alice.smile --minutes 20\n"
           "Ctrl-C stops early and keeps the best model so far; add --resume to continue it later\n"
           "(e.g. smile fit --identity alice.mp4 -o alice.smile --minutes 30 --resume trains 15 more minutes\n"
           "after a 15-minute fit).\n"
           "  smile fit --identity bob.mp4 -o bob.smile --base alice.smile --minutes 10\n"
           "starts from alice's fitted network instead of from scratch.\n" +
           std::string(kConsentLine));
  Status status;
  if (!ParseOrHelp(p, args, &status)) return status;
  auto inputs = p.GetAll("identity");
  if (inputs.empty()) return InvalidArgument("missing --identity MEDIA: give the person's video or photos");
  for (const auto& in : inputs)
    if (!std::filesystem::exists(in))
      return NotFound("identity input '" + in + "' does not exist; check the path");
  models::SynthesisNetwork base{nullptr};
  if (!p.Get("base").empty()) {
    SMILE_ASSIGN_OR_RETURN(base, LoadBaseNetwork(p.Get("base")));
    if (!p.Get("config").empty() && p.Get("config") != base->config.preset)
      return InvalidArgument("--config " + p.Get("config") + " differs from the base model's configuration (" +
                             base->config.preset + "); drop --config, the base model fixes it");
  }
  SMILE_ASSIGN_OR_RETURN(auto config, base ? Result<models::ModelConfig>(base->config)
                                           : models::ModelConfig::Preset(p.Get("config").empty() ? "lite"
                                                                                                 : p.Get("config")));
  SMILE_ASSIGN_OR_RETURN(double minutes, p.GetDouble("minutes", 0, 24 * 60));
  SMILE_ASSIGN_OR_RETURN(int64_t iters, p.GetInt("iters", 0, 100000000));
  SMILE_ASSIGN_OR_RETURN(int64_t batch, p.GetInt("batch", 1, 256));
  SMILE_ASSIGN_OR_RETURN(int64_t every, p.GetInt("every", 1, 1000));
  SMILE_ASSIGN_OR_RETURN(int64_t max_samples, p.GetInt("max-samples", 4, 100000));
  SMILE_ASSIGN_OR_RETURN(int64_t seed, p.GetInt("seed", 0, INT64_MAX));
  SMILE_ASSIGN_OR_RETURN(double recon_fraction, p.GetDouble("recon-fraction", 0, 1));
  SMILE_ASSIGN_OR_RETURN(double lr, p.GetDouble("lr", 1e-6, 1));
  SMILE_ASSIGN_OR_RETURN(double self_style, p.GetDouble("self-style", 0, 1));
  const std::string recon_loss = p.Get("recon-loss");
  if (recon_loss != "l1" && recon_loss != "l2")
    return InvalidArgument("--recon-loss '" + recon_loss + "': use l1 or l2");
  SMILE_ASSIGN_OR_RETURN(double augment, p.GetDouble("augment", 0, 1));
  std::string iris = p.Get("iris");
  if (iris != "auto" && iris != "on" && iris != "off")
    return InvalidArgument("--iris '" + iris + "': use auto, on or off");
  if (iris == "auto" && base) iris = base->config.num_classes > kNumLabels ? "on" : "off";
  std::shared_ptr<const engine::IrisModel> iris_model;  // loaded once: decides "auto", then finds the irises
  if (iris != "off") {  // "on", or "auto" without a base: on when the iris model loads
    if (auto m = engine::IrisModel::Load(); !m.ok()) {
      if (iris == "on") return m.status().WithContext("--iris on needs the iris model; run scripts/fetch_models.sh");
      SMILE_LOG(kWarn) << "fit: no iris model (run scripts/fetch_models.sh): fitting 19-class masks, whose "
                          "renders cannot follow the driver's gaze";
      iris = "off";
    } else {
      iris = "on";
      iris_model = std::make_shared<const engine::IrisModel>(std::move(m).value());
    }
  }
  std::string geometry_option = p.Get("geometry");
  if (geometry_option != "auto" && geometry_option != "mesh" && geometry_option != "off")
    return InvalidArgument("--geometry '" + geometry_option + "': use auto, mesh or off");
  if (base) {
    const bool base_geometry = base->config.synth_geometry_channels > 0;
    if (geometry_option == "auto") geometry_option = base_geometry ? "mesh" : "off";
    if ((geometry_option == "mesh") != base_geometry)
      return InvalidArgument(std::string("the base model ") + (base_geometry ? "reads" : "has no") +
                             " mesh geometry; use --geometry " + (base_geometry ? "mesh" : "off") + " (or auto) with it");
  }
  const bool geometry_auto = geometry_option == "auto";
  std::shared_ptr<const engine::FaceMesh> mesh_model;  // loaded once: decides "auto", then fits the meshes
  if (geometry_auto) {
    if (auto m = engine::FaceMesh::Load(); !m.ok()) {
      SMILE_LOG(kWarn) << "fit: no FaceMesh model (run scripts/fetch_models.sh): fitting without mesh geometry, "
                          "1-2.5 dB below what it reaches with it";
      geometry_option = "off";
    } else {
      geometry_option = "mesh";
      mesh_model = std::make_shared<const engine::FaceMesh>(std::move(m).value());
    }
  }
  bool geometry = geometry_option == "mesh";
  SMILE_ASSIGN_OR_RETURN(int64_t texture_channels, p.GetInt("texture", 0, 64));
  if (geometry) config.synth_geometry_channels = engine::kMeshGeometryChannels;
  if (geometry && !base) config.synth_texture_channels = static_cast<int>(texture_channels);
  if (iris == "on") {
    if (base && base->config.num_classes <= kNumLabels)
      return InvalidArgument("the base model has no iris class; use --iris off (or auto) with it");
    config.num_classes = kNumLabelsWithIris;
  } else if (base && base->config.num_classes > kNumLabels) {
    return InvalidArgument("the base model has the iris class; use --iris on (or auto) with it");
  }
  SMILE_ASSIGN_OR_RETURN(int64_t bank_size, p.GetInt("bank", 0, 100000));
  SMILE_ASSIGN_OR_RETURN(int64_t eval_every, p.GetInt("eval-every", 1, 1000000));
  SMILE_ASSIGN_OR_RETURN(const bool bf16, PrecisionIsBf16(p));
  engine::TrackerOptions tracker_options;
  SMILE_RETURN_IF_ERROR(ApplyDetectorOption(p, &tracker_options));
  if (minutes <= 0 && iters <= 0) return InvalidArgument("--minutes and --iters are both 0: give one of them > 0");
  const std::string out = p.Get("output");
  auto out_dir = std::filesystem::absolute(out).parent_path();
  if (!std::filesystem::is_directory(out_dir))
    return NotFound("output folder '" + out_dir.string() + "' does not exist; create it first");

  SMILE_ASSIGN_OR_RETURN(auto device, models::ChooseDevice("cpu"));
  SMILE_LOG(kInfo) << "fit: device " << device.description << ", config " << config.preset << " ("
                   << config.image_size << " px), " << (bf16 ? "bf16 mixed precision" : "fp32") << " arithmetic";
  engine::SampleOptions so;
  so.size = config.image_size;
  so.every = static_cast<int>(every);
  so.max_samples = static_cast<int>(max_samples);
  SMILE_ASSIGN_OR_RETURN(so.parser, ApplyParserOption(p));
  SMILE_LOG(kInfo) << "fit: parser " << so.parser;
  so.detector = tracker_options.detector_kind;
  so.iris = config.num_classes > kNumLabels;
  so.iris_model = iris_model;
  so.mesh = geometry;
  so.mesh_model = mesh_model;
  std::vector<training::FitSample> samples;
  std::vector<std::vector<cv::Point3f>> meshes;
  const fs::path cache = SampleCacheDir(inputs, so);
  if (!p.GetFlag("no-cache") && LoadCachedSamples(cache, &samples, geometry ? &meshes : nullptr)) {
    SMILE_LOG(kInfo) << "fit: " << samples.size() << " face crops from the cache " << cache.string();
  } else {
    samples.clear();
    meshes.clear();
    engine::SampleReport report;
    SMILE_ASSIGN_OR_RETURN(auto faces, engine::ExtractFaceSamples(inputs, so, &report));
    for (auto& f : faces) {
      samples.push_back({f.aligned, f.labels, {}});
      if (geometry) meshes.push_back(std::move(f.mesh));
    }
    StoreCachedSamples(cache, samples, meshes);
  }
  if (geometry && geometry_auto && static_cast<int>(samples.size()) < training::DefaultFitOptions().few_shot_below) {
    SMILE_LOG(kInfo) << "fit: " << samples.size() << " face crop(s): a few-shot fit, without mesh geometry (its "
                     << "augmented copies have no mesh)";
    geometry = false;
    config.synth_geometry_channels = 0;
    config.synth_texture_channels = 0;
  }
  if (texture_channels > 0 && !geometry)
    SMILE_LOG(kWarn) << "fit: --texture is looked up through the mesh geometry, which this fit does without: "
                     << "fitting without a neural texture";
  engine::MeshTopology topology;
  if (geometry) {
    // The identity's mean face from the training part only (the held-out slice is the last
    // tenth, as FitIdentity holds it out).
    const size_t n_hold = training::HoldoutCount(samples.size(), training::DefaultFitOptions().holdout);
    std::vector<std::vector<cv::Point3f>> train_meshes(meshes.begin(), meshes.end() - std::min(n_hold, meshes.size() - 1));
    topology = engine::BuildMeshTopology(train_meshes, config.image_size);
    if (topology.empty()) return NotFound("--geometry mesh: FaceMesh found no face in the training crops");
    int with_mesh = 0;
    for (size_t i = 0; i < samples.size(); ++i) {
      if (meshes[i].empty()) continue;
      ++with_mesh;
      samples[i].geometry =
          engine::RasterizeMeshGeometry(cv::Size(config.image_size, config.image_size), meshes[i], topology);
    }
    SMILE_LOG(kInfo) << "fit: mesh geometry on " << with_mesh << " of " << samples.size() << " crops ("
                     << topology.triangles.size() << " triangles)"
                     << (config.synth_texture_channels > 0
                             ? ", a " + std::to_string(config.synth_texture_channels) + "-channel neural texture"
                             : std::string());
  }

  training::FitOptions fo = training::DefaultFitOptions();
  fo.minutes = minutes;
  fo.iters = iters;
  fo.batch = static_cast<int>(batch);
  fo.seed = static_cast<uint64_t>(seed);
  fo.recon_fraction = recon_fraction;
  fo.train.recon_lr = lr;
  fo.train.bf16 = bf16;
  fo.train.recon_l2 = recon_loss == "l2";
  fo.self_style = self_style;
  fo.augment = augment;
  fo.bank_size = static_cast<int>(bank_size);
  fo.eval_every = static_cast<int>(eval_every);
  fo.base = base;
  fo.state_path = out + ".state";
  fo.resume = p.GetFlag("resume");
  // Loss log <output>.losses.jsonl (every 10 iterations' means, with the PSNR figures) and its
  // curve <output>.losses.png; a resumed fit continues the same log up to the state's iteration.
  const std::string log_path = out + ".losses.jsonl", curve_path = out + ".losses.png";
  int64_t resume_at = -1;
  if (fo.resume) {
    if (!std::filesystem::exists(fo.state_path)) {
      SMILE_LOG(kWarn) << "fit: --resume but no " << fo.state_path << " yet; starting afresh";
    } else {
      SMILE_ASSIGN_OR_RETURN(auto header, models::ReadCheckpointHeader(fo.state_path));
      SMILE_ASSIGN_OR_RETURN(resume_at, training::MetadataInt(header.metadata, "iteration"));
    }
  }
  std::unique_ptr<training::LossLog> loss_log;
  {
    auto opened = training::LossLog::Open(log_path, 10, resume_at);
    if (opened.ok()) {
      loss_log = std::move(opened).value();
    } else {
      SMILE_LOG(kWarn) << "fit: no loss log: " << opened.status().ToString();
    }
  }
  ProgressBar bar("fit", iters > 0 ? iters : 0, "it");
  if (resume_at > 0) bar.ResumeFrom(resume_at);
  char extra[160];
  auto on_progress = [&](int64_t it, const std::map<std::string, double>& losses, double psnr) {
    auto get = [&](const char* k) { auto i = losses.find(k); return i == losses.end() ? 0.0 : i->second; };
    const int n = std::snprintf(extra, sizeof(extra), "l1 %.3f  d %.2f  PSNR train %.2f / held-out %.2f dB",
                                get("g_l1"), get("d"), get("train_psnr"), psnr);
    if (bank_size > 0 && n > 0 && n < static_cast<int>(sizeof(extra)))
      std::snprintf(extra + n, sizeof(extra) - n, " (mean style %.2f)", get("fixed_psnr"));
    bar.Update(it, extra);
    if (loss_log) {
      auto logged = losses;
      logged["heldout_psnr"] = psnr;
      if (!loss_log->Add(it, logged).ok()) loss_log.reset();
    }
  };
  SMILE_ASSIGN_OR_RETURN(auto fit, training::FitIdentity(samples, config, fo, on_progress));
  bar.Finish(extra);
  if (loss_log) {
    (void)loss_log->Flush();
    training::PlotOptions po;
    po.title = "smile fit losses (" + out + ")";
    Status curve = training::SaveLossCurvePng(log_path, curve_path, po);
    if (!curve.ok()) {
      SMILE_LOG(kWarn) << "fit: no loss curve: " << curve.ToString();
    }
  }

  models::IdentityModel model(config);
  model->parser = so.parser;
  if (geometry) engine::TopologyToArrays(topology, &model->mesh_canonical, &model->mesh_triangles);
  {
    torch::NoGradGuard no_grad;
    training::CopyWeights(*fit.network, *model->network);
    model->style.copy_(fit.style);
    model->present.copy_(fit.style_present.to(torch::kFloat));
    model->bank = fit.bank;
    model->default_labels.copy_(torch::from_blob(fit.default_labels.data, {config.image_size, config.image_size},
                                                 torch::kUInt8));
  }
  std::string sources;
  for (const auto& in : inputs) sources += (sources.empty() ? "" : ";") + in;
  char num[64];
  std::map<std::string, std::string> meta = {{"sources", sources},
                                             {"iterations", std::to_string(fit.iterations)},
                                             {"train_samples", std::to_string(fit.train_samples)},
                                             {"holdout_samples", std::to_string(fit.holdout_samples)},
                                             {"holdout_is_training", fit.holdout_is_training ? "1" : "0"}};
  std::snprintf(num, sizeof(num), "%.2f", fit.best_psnr);
  meta["holdout_psnr_db"] = num;
  std::snprintf(num, sizeof(num), "%.3f", fit.best_ssim);
  meta["holdout_ssim"] = num;
  std::snprintf(num, sizeof(num), "%.2f", fit.best_psnr_own_style);
  meta["holdout_psnr_own_style_db"] = num;
  std::snprintf(num, sizeof(num), "%.2f", fit.best_psnr_fixed);
  meta["holdout_psnr_mean_style_db"] = num;
  std::snprintf(num, sizeof(num), "%.1f", fit.seconds);
  meta["seconds"] = num;
  if (base) meta["base"] = p.Get("base");
  if (std::isfinite(fit.base_psnr)) {
    std::snprintf(num, sizeof(num), "%.2f", fit.base_psnr);
    meta["base_holdout_psnr_db"] = num;
  }
  if (std::isfinite(fit.holdout_nearest_train_psnr)) {
    std::snprintf(num, sizeof(num), "%.2f", fit.holdout_nearest_train_psnr);
    meta["holdout_nearest_train_psnr_db"] = num;
  }
  SMILE_RETURN_IF_ERROR(models::SaveIdentityModel(out, model, meta));
  std::printf("identity model %s: %lld iterations in %.1f min, %d training / %d held-out crops\n", out.c_str(),
              static_cast<long long>(fit.iterations), fit.seconds / 60, fit.train_samples, fit.holdout_samples);
  std::printf("%s head-region PSNR %.2f dB, SSIM %.3f (%s); %.2f dB with the one mean style, %.2f dB with each "
              "frame's own style%s\n",
              fit.holdout_is_training ? "few-shot (measured on the training photos, nothing held out)" : "held-out",
              fit.best_psnr, fit.best_ssim,
              fit.bank.empty() ? "identity style" : ("style bank of " + std::to_string(fit.bank.size())).c_str(),
              fit.best_psnr_fixed, fit.best_psnr_own_style, fit.interrupted ? " (stopped early)" : "");
  if (std::isfinite(fit.base_psnr))
    std::printf("the base model %s scored %.2f dB on the same held-out crops before fitting\n", p.Get("base").c_str(),
                fit.base_psnr);
  if (std::isfinite(fit.holdout_nearest_train_psnr))
    std::printf("for comparison, the closest training crop to each held-out crop scores %.2f dB on average (how new "
                "the held-out frames are: a model that only recalls its training frames gets about this)\n",
                fit.holdout_nearest_train_psnr);
  return Status::Ok();
}

}  // namespace

SMILE_COMMAND(fit, 40, "learn a new identity from its own video or photos (minutes on a CPU)", RunFit);

}  // namespace smile::app
