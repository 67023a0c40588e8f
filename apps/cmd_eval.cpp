// smile eval: measurements of models and videos, and an offline HTML report.
//   smile eval fit    --model id.smile --video clip.mp4 [--frames N] [--lpips f.pt] [--json out.json]
//   smile eval video  --input clip.mp4 [--output processed.mp4] [--json out.json]
//   smile eval reenact --driver talk.mp4 --output reenacted.mp4 [--identity m.smile] [--json out.json]
//   smile eval manip  --manip manip.ckpt --attr attr.ckpt --data DIR [--max N] [--json out.json]
//   smile eval parser --parser geometric --parser learned --data DIR [--json out.json]
//   smile eval report -o report.html --inputs a.json b.json ... [--loss-log train.jsonl]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <opencv2/imgproc.hpp>

#include "apps/command.h"
#include "core/log.h"
#include "core/progress.h"
#include "engine/eval_fit.h"
#include "engine/eval_json.h"
#include "engine/eval_manip.h"
#include "engine/eval_nets.h"
#include "engine/eval_report.h"
#include "engine/eval_video.h"
#include "engine/face_analyzer.h"
#include "engine/metrics.h"
#include "engine/parser_choice.h"
#include "models/attributes.h"
#include "models/identity_model.h"
#include "models/runtime.h"
#include "training/dataset.h"
#include "training/plots.h"

namespace smile::app {
namespace {

Status CheckJsonOutput(const std::string& path) {
  if (path.empty()) return Status::Ok();
  auto dir = std::filesystem::absolute(path).parent_path();
  if (!std::filesystem::is_directory(dir))
    return NotFound("folder '" + dir.string() + "' for --json does not exist; create it first");
  return Status::Ok();
}

Status Finish(const engine::EvalRecord& r, const std::string& json_path) {
  std::printf("%s\n", r.title.c_str());
  for (const auto& t : r.tables) {
    std::vector<size_t> w(t.columns.size(), 0);
    for (size_t c = 0; c < t.columns.size(); ++c) {
      w[c] = t.columns[c].size();
      for (const auto& row : t.rows)
        if (c < row.size()) w[c] = std::max(w[c], row[c].size());
    }
    std::printf("\n%s\n", t.title.c_str());
    auto line = [&](const std::vector<std::string>& cells) {
      std::string s = " ";
      for (size_t c = 0; c < w.size(); ++c) {
        std::string cell = c < cells.size() ? cells[c] : "";
        s += " " + std::string(w[c] - std::min(w[c], cell.size()), ' ') + cell + " ";
      }
      std::printf("%s\n", s.c_str());
    };
    line(t.columns);
    for (const auto& row : t.rows) line(row);
  }
  std::printf("\n%s", engine::MetricsTable(r).c_str());
  for (const auto& n : r.notes) std::printf("note: %s\n", n.c_str());
  if (!json_path.empty()) {
    SMILE_RETURN_IF_ERROR(engine::WriteJsonFile(json_path, r.ToJson()));
    std::printf("wrote %s\n", json_path.c_str());
  }
  return Status::Ok();
}

Status RunEvalFit(const std::vector<std::string>& args) {
  ArgParser p("eval fit",
              "Self-reenactment evaluation of an identity model: drive it with held-out frames of its own clip "
              "(the last 10 %, which smile fit holds out), re-render each frame's head from its mask with the "
              "identity's fixed style and with the frame's own style, and report PSNR / SSIM / RMSE (and LPIPS, "
              "FID) in the head region of the aligned crop and after pasting back into the full frame, with the "
              "share of the error each part of the head (skin, hair, eyes, brows ...) carries, and how much of it lies near the edges between classes.");
  p.Option("model", "FILE", "identity model made by smile fit (.smile)", "", true);
  p.Option("video", "MEDIA", "the clip the model was fitted on (default: the model's recorded source)");
  p.Option("frames", "N", "evaluate at most N held-out frames, evenly spaced (0: all)", "0");
  p.Option("holdout", "F", "fraction of the clip at its end that is evaluated", "0.1");
  p.Option("start", "N", "first evaluated frame instead of --holdout");
  p.Option("lpips", "FILE", "TorchScript LPIPS network (forward(x, y) or a feature trunk), RGB in [-1,1]");
  p.Option("lpips-size", "N", "resize images to N x N for LPIPS (0: crop size)", "0");
  p.Option("diversity", "K", "with --lpips: LPIPS diversity of K random styles on the model's default mask", "0");
  p.Option("inception", "FILE", "TorchScript Inception feature network for FID (RGB in [0,1], 299 px)");
  p.Option("json", "FILE", "write the results as JSON (for smile eval report)");
  p.Epilog("example:\n  smile fit --identity alice.mp4 -o alice.smile --minutes 15\n"
           "  smile eval fit --model alice.smile --video alice.mp4 --json alice_fit.json\n"
           "LPIPS / Inception networks are not bundled: export them from PyTorch with torch.jit.trace(...).save().");
  Status status;
  if (!ParseOrHelp(p, args, &status)) return status;
  const std::string model_path = p.Get("model");
  if (!std::filesystem::exists(model_path)) return NotFound("identity model '" + model_path + "' does not exist");
  SMILE_ASSIGN_OR_RETURN(int64_t frames, p.GetInt("frames", 0, 1000000));
  SMILE_ASSIGN_OR_RETURN(double holdout, p.GetDouble("holdout", 0.001, 1));
  SMILE_ASSIGN_OR_RETURN(int64_t lpips_size, p.GetInt("lpips-size", 0, 4096));
  SMILE_ASSIGN_OR_RETURN(int64_t diversity, p.GetInt("diversity", 0, 100));
  engine::FitEvalOptions o;
  o.max_frames = static_cast<int>(frames);
  o.holdout = holdout;
  if (p.Has("start")) {
    SMILE_ASSIGN_OR_RETURN(o.start, p.GetInt("start", 0, int64_t(1) << 40));
  }
  if (diversity == 1) return InvalidArgument("--diversity needs at least 2 styles");
  if (diversity > 0 && p.Get("lpips").empty()) return InvalidArgument("--diversity needs --lpips <TorchScript file>");
  const std::string json = p.Get("json");
  SMILE_RETURN_IF_ERROR(CheckJsonOutput(json));

  // The user-supplied feature networks first: a missing file is reported before any work.
  std::unique_ptr<engine::LpipsMetric> lpips;
  if (!p.Get("lpips").empty()) {
    SMILE_ASSIGN_OR_RETURN(auto l, engine::LpipsMetric::Load(p.Get("lpips"), static_cast<int>(lpips_size)));
    lpips = std::make_unique<engine::LpipsMetric>(std::move(l));
  }
  std::unique_ptr<engine::InceptionFeatures> inception;
  if (!p.Get("inception").empty()) {
    SMILE_ASSIGN_OR_RETURN(auto f, engine::InceptionFeatures::Load(p.Get("inception")));
    inception = std::make_unique<engine::InceptionFeatures>(std::move(f));
  }
  std::map<std::string, std::string> meta;
  SMILE_ASSIGN_OR_RETURN(auto model, models::LoadIdentityModel(model_path, &meta));
  std::string video = p.Get("video");
  if (video.empty()) {
    std::string sources = meta.count("sources") ? meta["sources"] : "";
    video = sources.substr(0, sources.find(';'));
    if (video.empty()) return InvalidArgument("the model records no source clip: give --video <its clip>");
    SMILE_LOG(kInfo) << "eval fit: the model's recorded source " << video;
  }
  if (!std::filesystem::exists(video)) return NotFound("video '" + video + "' does not exist; give --video");
  models::InitTorchRuntime();
  SMILE_ASSIGN_OR_RETURN(auto r, engine::EvaluateFit(model, video, o, lpips.get(), inception.get(), meta));
  r.info.set("model", model_path);
  if (diversity > 0) {
    SMILE_ASSIGN_OR_RETURN(double d, engine::LpipsDiversity(model->network, *lpips, model->DefaultLabels(),
                                                            static_cast<int>(diversity)));
    r.AddMetric("lpips_diversity", "LPIPS diversity, " + std::to_string(diversity) + " random styles, default mask",
                d, "", true);
  }
  return Finish(r, json);
}

// --identity media: photos / clips as given; an identity model (.smile) stands for the footage
// it was fitted on (its recorded sources).
Status IdentityRefs(const std::vector<std::string>& refs, std::vector<std::string>* out) {
  for (const auto& ref : refs) {
    if (!std::filesystem::exists(ref)) return NotFound("--identity '" + ref + "' does not exist");
    if (std::filesystem::path(ref).extension() != ".smile") {
      out->push_back(ref);
      continue;
    }
    std::map<std::string, std::string> meta;
    SMILE_ASSIGN_OR_RETURN(auto model, models::LoadIdentityModel(ref, &meta));
    std::string sources = meta.count("sources") ? meta["sources"] : "";
    size_t before = out->size();
    for (size_t pos = 0; pos < sources.size();) {
      size_t semi = sources.find(';', pos);
      if (semi == std::string::npos) semi = sources.size();
      std::string src = sources.substr(pos, semi - pos);
      if (!std::filesystem::exists(src))
        return NotFound("identity model '" + ref + "' was fitted on '" + src +
                        "', which is not here; give that footage or a photo of the identity as --identity");
      out->push_back(src);
      pos = semi + 1;
    }
    if (out->size() == before)
      return InvalidArgument("identity model '" + ref + "' records no source footage; give a photo of the identity");
  }
  return Status::Ok();
}

Status RunEvalVideo(const std::vector<std::string>& args) {
  ArgParser p("eval video",
              "Temporal quality of a clip, or of a processed clip (swap / reenactment output) against its driving "
              "input: face detection / track continuity, flicker and optical-flow warping error in the head region, "
              "landmark and head-pose error output vs input, identity consistency over time. Flicker is also "
              "reported on the input's still segments alone (*_still), where any change the output adds is "
              "jitter rather than motion.");
  p.Option("input", "MEDIA", "the input (driving) clip", "", true);
  p.Option("output", "MEDIA", "the processed clip made from it (same size and frames)");
  p.Option("max-frames", "N", "stop after N frames");
  p.Option("still-motion", "PCT",
           "a frame is still when the input's head region moved by at most PCT % of the head width since the "
           "previous frame (mean optical flow)", "0.5");
  p.Option("still-run", "N", "still segments are runs of at least N still frames", "5");
  p.MultiOption("identity", "MEDIA",
                "the identity the output should show: photo(s), a clip, or an identity model (its recorded source "
                "clip); adds face descriptor distances output -> identity vs output -> input (needs "
                "scripts/fetch_models.sh)");
  p.Option("json", "FILE", "write the results as JSON (for smile eval report)");
  p.Epilog("example:\n  smile swap --identity alice.smile --video bob.mp4 -o out.mp4\n"
           "  smile eval video --input bob.mp4 --output out.mp4 --identity alice.smile --json swap_eval.json");
  Status status;
  if (!ParseOrHelp(p, args, &status)) return status;
  engine::VideoEvalOptions o;
  if (p.Has("max-frames")) {
    SMILE_ASSIGN_OR_RETURN(o.max_frames, p.GetInt("max-frames", 1, int64_t(1) << 40));
  }
  SMILE_ASSIGN_OR_RETURN(o.still_motion, p.GetDouble("still-motion", 0, 100));
  SMILE_ASSIGN_OR_RETURN(int64_t still_run, p.GetInt("still-run", 1, 100000));
  o.still_run = static_cast<int>(still_run);
  for (const char* k : {"input", "output"})
    if (!p.Get(k).empty() && !std::filesystem::exists(p.Get(k)))
      return NotFound(std::string("--") + k + " '" + p.Get(k) + "' does not exist");
  SMILE_RETURN_IF_ERROR(IdentityRefs(p.GetAll("identity"), &o.identity_refs));
  const std::string json = p.Get("json");
  SMILE_RETURN_IF_ERROR(CheckJsonOutput(json));
  SMILE_ASSIGN_OR_RETURN(auto r, engine::EvaluateVideo(p.Get("input"), p.Get("output"), o));
  return Finish(r, json);
}

Status RunEvalReenact(const std::vector<std::string>& args) {
  ArgParser p("eval reenact",
              "Reenactment against its driver (the output may have another frame size and face): expression "
              "landmark error (each face's landmark motion since the first frame, head motion removed, in "
              "inter-ocular units) with the error of a still output as baseline, mouth / eye openness and in-plane "
              "head angle correlation, and the output's face continuity, flicker, warping error and identity "
              "consistency over time.");
  p.Option("driver", "MEDIA", "the driving clip given to smile reenact", "", true);
  p.Option("output", "MEDIA", "the reenacted clip smile reenact made from it", "", true);
  p.Option("max-frames", "N", "stop after N frames");
  p.MultiOption("identity", "MEDIA",
                "the identity the output should show: photo(s), a clip, or an identity model (its recorded source "
                "clip); adds face descriptor distances (needs scripts/fetch_models.sh)");
  p.Option("json", "FILE", "write the results as JSON (for smile eval report)");
  p.Epilog("example:\n  smile reenact --source alice.smile --driver talk.mp4 -o alice_talks.mp4\n"
           "  smile eval reenact --driver talk.mp4 --output alice_talks.mp4 --identity alice.smile --json re.json");
  Status status;
  if (!ParseOrHelp(p, args, &status)) return status;
  engine::VideoEvalOptions o;
  if (p.Has("max-frames")) {
    SMILE_ASSIGN_OR_RETURN(o.max_frames, p.GetInt("max-frames", 1, int64_t(1) << 40));
  }
  for (const char* k : {"driver", "output"})
    if (!std::filesystem::exists(p.Get(k)))
      return NotFound(std::string("--") + k + " '" + p.Get(k) + "' does not exist");
  SMILE_RETURN_IF_ERROR(IdentityRefs(p.GetAll("identity"), &o.identity_refs));
  const std::string json = p.Get("json");
  SMILE_RETURN_IF_ERROR(CheckJsonOutput(json));
  SMILE_ASSIGN_OR_RETURN(auto r, engine::EvaluateReenactment(p.Get("driver"), p.Get("output"), o));
  return Finish(r, json);
}

Status RunEvalManip(const std::vector<std::string>& args) {
  ArgParser p("eval manip",
              "Semantic manipulation (paper sec. 3.4): every label map of --data is moved to the opposite domain of "
              "each attribute by the manipulation network; the attribute classifier (smile train attr --attr-input "
              "mask) scores the edits: AP and F1 per attribute with the targets as truth; cycle mIoU (eq. 6) of the "
              "edit translated back with the input's own style.");
  p.Option("manip", "FILE", "manipulation checkpoint (manip.ckpt from smile train manip)", "", true);
  p.Option("attr", "FILE", "attribute classifier checkpoint (attr.ckpt from smile train attr)", "", true);
  p.Option("data", "DIR", "label maps to edit: " + training::DatasetLayoutHelp(), "", true);
  p.Option("max", "N", "evaluate at most N label maps (0: all)", "0");
  p.Option("attributes", "LIST", "comma-separated attributes to edit (default: all six)", "");
  p.Option("seed", "S", "random styles and targets of unknown attributes", "0");
  p.Option("json", "FILE", "write the results as JSON (for smile eval report)");
  p.Epilog("example:\n  smile train attr --data CelebAMask-HQ --config small --out runs/attr\n"
           "  smile eval manip --manip runs/manip/manip.ckpt --attr runs/attr/attr.ckpt --data CelebAMask-HQ "
           "--max 500 --json manip.json");
  Status status;
  if (!ParseOrHelp(p, args, &status)) return status;
  for (const char* k : {"manip", "attr"})
    if (!std::filesystem::exists(p.Get(k)))
      return NotFound(std::string("--") + k + " '" + p.Get(k) + "' does not exist");
  const std::string data = p.Get("data");
  if (!std::filesystem::is_directory(data))
    return NotFound("--data '" + data + "' is not a folder; " + training::DatasetLayoutHelp());
  SMILE_ASSIGN_OR_RETURN(int64_t max, p.GetInt("max", 0, INT64_MAX));
  SMILE_ASSIGN_OR_RETURN(int64_t seed, p.GetInt("seed", 0, INT64_MAX));
  const std::string json = p.Get("json");
  SMILE_RETURN_IF_ERROR(CheckJsonOutput(json));
  engine::ManipEvalOptions o;
  o.manip_checkpoint = p.Get("manip");
  o.attr_checkpoint = p.Get("attr");
  o.seed = static_cast<uint64_t>(seed);
  if (!p.Get("attributes").empty()) {
    std::stringstream ss(p.Get("attributes"));
    for (std::string name; std::getline(ss, name, ',');) {
      auto a = models::FindAttribute(name);
      if (!a) return InvalidArgument("--attributes: unknown attribute '" + name + "'; use Gender, Eyeglasses, Hair, "
                                     "Bangs, Earrings, Hat");
      o.attributes.push_back(*a);
    }
  }
  training::DatasetOptions dso;
  SMILE_ASSIGN_OR_RETURN(auto dataset, training::OpenDataset(data, dso));
  if (dataset->layout() == "unlabeled")
    return InvalidArgument("--data '" + data + "' has no label maps; give a CelebAMask-HQ or images + labels folder");
  std::vector<engine::ManipEvalSample> samples;
  training::SkipCounter skipped;
  const int64_t limit = max > 0 ? std::min(max, dataset->size()) : dataset->size();
  for (int64_t i = 0; i < dataset->size() && static_cast<int64_t>(samples.size()) < limit; ++i) {
    auto s = dataset->Load(i);
    if (!s.ok()) {
      skipped.Add(s.status(), dataset->Describe(i));
      continue;
    }
    engine::ManipEvalSample e;
    e.labels = s->labels;
    e.key = s->key;
    for (int a = 0; a < models::kNumAttributes; ++a) e.choices[a] = s->attributes.value[a];
    samples.push_back(std::move(e));
  }
  if (samples.empty()) return InvalidArgument("no usable label map in '" + data + "' (" + skipped.ToString() + ")");
  models::InitTorchRuntime();
  SMILE_ASSIGN_OR_RETURN(auto r, engine::EvaluateManipulation(samples, o));
  r.info.set("data", data);
  if (skipped.total() > 0) r.notes.push_back("data: " + skipped.ToString());
  return Finish(r, json);
}

Status RunEvalParser(const std::vector<std::string>& args) {
  ArgParser p("eval parser",
              "Face parsers against ground-truth label maps: each photo of --data goes through the whole face "
              "pipeline (detect, landmarks, align, parse; no smoothing) and its label map, warped back to the "
              "photo, is compared with the truth: IoU per class, mean IoU over the classes in the truth, pixel "
              "accuracy and milliseconds per photo, for every --parser side by side.");
  p.MultiOption("parser", "NAME",
                "a parser to measure (repeat to compare): geometric, mesh, auto, learned or a parser checkpoint's "
                "path (default: geometric, and mesh / learned when their models are present)");
  p.Option("data", "DIR", "photos with label maps: " + training::DatasetLayoutHelp(), "", true);
  p.Option("max", "N", "evaluate at most N photos (0: all)", "0");
  p.Option("size", "N", "aligned crop side the parsers see", "256");
  p.Option("json", "FILE", "write the results as JSON (for smile eval report)");
  p.Epilog("example:\n  smile eval parser --data ../shared/media/celebamask --parser geometric --parser mesh "
           "--parser learned");
  Status status;
  if (!ParseOrHelp(p, args, &status)) return status;
  // Each parser resolved once (its models looked up); by default the ones whose models are present.
  std::vector<std::string> parsers = p.GetAll("parser"), resolved;
  for (const auto& name : parsers) SMILE_RETURN_IF_ERROR(engine::CheckParserName(name).WithContext("--parser"));
  const bool defaults = parsers.empty();
  if (defaults) parsers = {engine::kParserGeometric, engine::kParserMesh, engine::kParserLearned};
  const std::string data = p.Get("data");
  if (!std::filesystem::is_directory(data))
    return NotFound("--data '" + data + "' is not a folder; " + training::DatasetLayoutHelp());
  SMILE_ASSIGN_OR_RETURN(int64_t max, p.GetInt("max", 0, INT64_MAX));
  SMILE_ASSIGN_OR_RETURN(int64_t size, p.GetInt("size", 32, 2048));
  const std::string json = p.Get("json");
  SMILE_RETURN_IF_ERROR(CheckJsonOutput(json));
  training::DatasetOptions dso;
  SMILE_ASSIGN_OR_RETURN(auto dataset, training::OpenDataset(data, dso));
  if (dataset->layout() == "unlabeled")
    return InvalidArgument("--data '" + data + "' has no label maps; give a CelebAMask-HQ or images + labels folder");
  const int64_t limit = max > 0 ? std::min(max, dataset->size()) : dataset->size();
  models::InitTorchRuntime();

  engine::EvalRecord r;
  r.kind = "parser";
  r.title = "Face parsers against ground-truth label maps";
  r.info.set("data", data);
  std::vector<engine::ConfusionMatrix> totals(parsers.size());
  std::vector<double> ms(parsers.size(), 0);
  std::vector<int64_t> missed(parsers.size(), 0);
  int64_t used = 0;
  training::SkipCounter skipped;
  std::vector<engine::FaceAnalyzer> analyzers;
  for (const auto& name : parsers) {
    engine::AnalyzerOptions ao;
    ao.align.size = static_cast<int>(size);
    ao.smooth = false;
    auto r = engine::ResolveParser(name, false);
    if (!r.ok() && defaults) continue;  // models not present: not measured by default
    SMILE_ASSIGN_OR_RETURN(ao.parser, std::move(r));
    SMILE_ASSIGN_OR_RETURN(auto a, engine::FaceAnalyzer::Create(ao));
    analyzers.push_back(std::move(a));
    resolved.push_back(name);
  }
  parsers = resolved;
  ProgressBar bar("eval parser", limit, "photos");
  for (int64_t i = 0; i < dataset->size() && used < limit; ++i) {
    auto s = dataset->Load(i);
    if (!s.ok()) {
      skipped.Add(s.status(), dataset->Describe(i));
      continue;
    }
    ++used;
    for (size_t k = 0; k < parsers.size(); ++k) {
      const auto t0 = std::chrono::steady_clock::now();
      auto labels = analyzers[k].ParseStill(s->image);
      ms[k] += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      cv::Mat pred;
      if (labels.ok()) {
        cv::resize(*labels, pred, s->labels.size(), 0, 0, cv::INTER_NEAREST);
      } else {
        ++missed[k];  // no face: every face pixel counts as missed
        pred = cv::Mat(s->labels.size(), CV_8U, cv::Scalar(kBackground));
      }
      totals[k].Add(s->labels, pred);
    }
    bar.Update(used);
  }
  bar.Finish();
  if (used == 0) return InvalidArgument("no usable photo in '" + data + "' (" + skipped.ToString() + ")");
  r.info.set("photos", static_cast<double>(used));
  engine::EvalTable per_class;
  per_class.title = "IoU per class (classes in the truth)";
  per_class.columns = {"class"};
  for (const auto& name : parsers) per_class.columns.push_back(name);
  for (int c = 0; c < kNumLabels; ++c) {
    if (totals[0].TruthCount(c) == 0) continue;
    std::vector<std::string> row = {LabelName(c)};
    for (auto& t : totals) row.push_back(engine::FormatMetric(t.IoU(c)));
    per_class.rows.push_back(row);
  }
  r.tables.push_back(per_class);
  for (size_t k = 0; k < parsers.size(); ++k) {
    // A checkpoint's path is no metric name: "checkpoint_<position among --parser>".
    const std::string key = engine::IsLearnedParser(parsers[k]) && parsers[k] != engine::kParserLearned
                                ? "checkpoint_" + std::to_string(k)
                                : parsers[k];
    r.AddMetric("miou_" + key, "mean IoU, " + parsers[k], totals[k].MeanIoUTruthClasses(), "", true);
    r.AddMetric("pixel_accuracy_" + key, "pixel accuracy, " + parsers[k], totals[k].PixelAccuracy());
    r.AddMetric("ms_" + key, "ms per photo (detect + align + parse), " + parsers[k], ms[k] / used, "ms");
    if (missed[k] > 0) r.notes.push_back(parsers[k] + ": no face found in " + std::to_string(missed[k]) + " photo(s)");
  }
  if (skipped.total() > 0) r.notes.push_back("data: " + skipped.ToString());
  return Finish(r, json);
}

Status RunEvalReport(const std::vector<std::string>& raw) {
  // `--inputs a.json b.json ...` (a shell glob) -> repeated --inputs.
  std::vector<std::string> args;
  bool in_list = false;
  for (const auto& a : raw) {
    if (a == "--inputs") {
      in_list = true;
      continue;
    }
    if (a.rfind("-", 0) == 0) in_list = false;
    if (in_list) {
      args.push_back("--inputs");
    }
    args.push_back(a);
  }
  ArgParser p("eval report",
              "One self-contained HTML page (inline CSS, charts and frames embedded as PNG data, no external "
              "file) from the JSON results of smile eval fit / video / reenact / manip, plus training loss curves.");
  p.Option("output", "FILE", "the HTML file to write", "", true);
  p.MultiOption("inputs", "JSON", "result files written by smile eval ... --json (several after one --inputs)");
  p.MultiOption("loss-log", "JSONL", "a training loss log to plot");
  p.MultiOption("note", "TEXT", "a note shown at the top of the page, e.g. what was not evaluated");
  p.Option("title", "TEXT", "page title", "smile evaluation report");
  p.Option("markdown", "FILE", "also write the key metrics of every run as Markdown tables (one per kind)");
  p.Epilog("example:\n  smile eval report -o report.html --inputs results/*.json");
  Status status;
  if (!ParseOrHelp(p, args, &status)) return status;
  const auto inputs = p.GetAll("inputs");
  const auto logs = p.GetAll("loss-log");
  if (inputs.empty() && logs.empty())
    return InvalidArgument("nothing to report: give --inputs <result.json ...> (from smile eval ... --json)");
  std::vector<engine::EvalRecord> records;
  engine::ReportOptions ro;
  ro.title = p.Get("title");
  ro.notes = p.GetAll("note");
  for (const auto& in : inputs) {
    SMILE_ASSIGN_OR_RETURN(auto j, engine::ReadJsonFile(in));
    auto r = engine::EvalRecord::FromJson(j);
    if (!r.ok()) return r.status().WithContext(in);
    records.push_back(std::move(*r));
    ro.sources.push_back(in);
  }
  for (const auto& log : logs) {
    SMILE_ASSIGN_OR_RETURN(auto recs, training::ReadLossLog(log));
    training::PlotOptions po;
    po.title = "losses: " + std::filesystem::path(log).filename().string();
    ro.extra_images.push_back(engine::MakeEvalImage(po.title, training::DrawLossCurves(recs, po)));
  }
  const std::string out = p.Get("output");
  SMILE_RETURN_IF_ERROR(engine::WriteHtmlReport(out, records, ro));
  if (!p.Get("markdown").empty()) {
    const std::string md = p.Get("markdown");
    std::ofstream f(md, std::ios::trunc);
    f << engine::MarkdownSummary(records);
    if (!f) return IoError("cannot write '" + md + "'; check the folder and free space");
    std::printf("wrote %s\n", md.c_str());
  }
  std::printf("wrote %s (%zu result file(s), %zu loss plot(s), %.0f KiB)\n", out.c_str(), records.size(), logs.size(),
              std::filesystem::file_size(out) / 1024.0);
  return Status::Ok();
}

Status RunEval(const std::vector<std::string>& args) {
  const std::string usage =
      "usage: smile eval <what> [options]\n\n"
      "  fit     self-reenactment of an identity model on held-out frames of its clip (PSNR/SSIM/RMSE/LPIPS/FID)\n"
      "  video   flicker, warping error, continuity, landmark/pose error and identity consistency of a clip\n"
      "          or of a processed clip (swap) against its input\n"
      "  reenact expression landmark error, openness correlations, flicker and identity of a reenacted clip\n"
      "          against its driver\n"
      "  manip   attribute AP / F1 (with the classifier of smile train attr) and cycle mIoU of the\n"
      "          manipulation stage on label maps\n"
      "  parser  IoU per class and mean IoU of face parsers against ground-truth label maps\n"
      "  report  one self-contained HTML page from the JSON files the others write\n\n"
      "Run 'smile eval <what> --help' for the options.\n";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(usage.c_str(), stdout);
    return args.empty() ? InvalidArgument("missing what to evaluate: fit, video, reenact, manip, parser or report")
                        : Status::Ok();
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "fit") return RunEvalFit(rest);
  if (args[0] == "video") return RunEvalVideo(rest);
  if (args[0] == "reenact") return RunEvalReenact(rest);
  if (args[0] == "manip") return RunEvalManip(rest);
  if (args[0] == "parser") return RunEvalParser(rest);
  if (args[0] == "report") return RunEvalReport(rest);
  return InvalidArgument("unknown evaluation '" + args[0] + "': use fit, video, reenact, manip, parser or report");
}

}  // namespace

SMILE_COMMAND(eval, 60, "evaluation: self-reenactment of a fitted model, video metrics, manipulation AP/F1, HTML report",
              RunEval);

}  // namespace smile::app
