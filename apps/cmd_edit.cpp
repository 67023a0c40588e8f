// smile edit: attribute-controlled rendering. Every frame's (smoothed, aligned) mask is
// edited by the manipulation stage (--set +eyeglasses,-hat, style fixed for the whole
// video by --seed or --ref), rendered by the identity model's synthesis stage and pasted
// back; image in -> PNG out, video in -> MP4 with the input's audio.
// `smile edit --evaluate DIR` measures the manipulation model on folders of label maps.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "apps/command.h"
#include "apps/synthesis_options.h"
#include "apps/edit_setup.h"
#include "apps/face_options.h"
#include "capture/media_job.h"
#include "capture/provenance.h"
#include "capture/watermark.h"
#include "capture/sink.h"
#include "capture/source.h"
#include "core/face_labels.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/shutdown.h"
#include "engine/alignment.h"
#include "engine/session.h"
#include "models/attributes.h"
#include "models/identity_model.h"
#include "models/runtime.h"
#include "training/mask_edit.h"

namespace smile::app {
namespace {

namespace fs = std::filesystem;

bool IsSingleImagePath(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return path.find('%') == std::string::npos && (ext == ".png" || ext == ".jpg" || ext == ".jpeg");
}

// One image out (image in): kept in memory, written atomically with the provenance mark
// at Close(); nothing is written on Abort() or when no frame came.
class SingleImageSink : public capture::FrameSink {
 public:
  SingleImageSink(std::string path, capture::ProvenanceMark mark, bool watermark)
      : path_(std::move(path)), mark_(std::move(mark)), watermark_(watermark) {}
  Status Write(const Frame& f) override {
    image_ = f.image->clone();
    if (watermark_) capture::DrawWatermark(image_);
    ++frames_;
    return Status::Ok();
  }
  Status Close() override {
    if (image_.empty()) return Internal("no frame was produced for '" + path_ + "'");
    return capture::WriteImage(path_, image_, mark_);
  }
  void Abort() override { image_.release(); }
  int64_t frames_written() const override { return frames_; }
  std::string target() const override { return path_; }

 private:
  std::string path_;
  capture::ProvenanceMark mark_;
  bool watermark_;
  cv::Mat image_;
  int64_t frames_ = 0;
};

// Folders under `root` (itself included) that hold .png label maps, sorted.
std::vector<fs::path> LabelFolders(const fs::path& root) {
  std::vector<fs::path> out;
  auto has_png = [](const fs::path& d) {
    for (const auto& e : fs::directory_iterator(d))
      if (e.is_regular_file() && e.path().extension() == ".png") return true;
    return false;
  };
  if (has_png(root)) out.push_back(root);
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_directory() && has_png(e.path())) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

struct EvalTally {
  int64_t frames = 0, skipped = 0, asked = 0, iou_ok = 0, both = 0;
  double iou_sum = 0;
};

// issue #8's measure: for each single edit (+/-eyeglasses, +/-hat by default) and each
// sequence folder, one editor (style fixed per sequence, as in a video); a removal is
// tested on frames that show the attribute, drawn procedurally (training/mask_edit) when
// the frame lacks it; an addition on frames that lack it.
Status RunEvaluate(const ArgParser& p, const EditRequest& base) {
  const fs::path root = p.Get("evaluate");
  if (!fs::is_directory(root)) return NotFound("--evaluate '" + root.string() + "' is not a folder of label maps");
  SMILE_ASSIGN_OR_RETURN(int64_t every, p.GetInt("every", 1, 100000));
  SMILE_ASSIGN_OR_RETURN(double min_iou, p.GetDouble("min-iou", 0, 1));
  std::vector<std::string> items;
  const std::string set = p.Get("set").empty() ? "+eyeglasses,-eyeglasses,+hat,-hat" : p.Get("set");
  {
    std::stringstream ss(set);
    std::string it;
    while (std::getline(ss, it, ',')) items.push_back(it);
  }
  std::vector<engine::EditSpec> specs;
  for (const auto& it : items) {
    SMILE_ASSIGN_OR_RETURN(auto s, engine::ParseEditSpec(it));
    specs.push_back(s);
  }
  const auto folders = LabelFolders(root);
  if (folders.empty()) return NotFound("no .png label maps under '" + root.string() + "'");
  models::InitTorchRuntime();
  std::map<std::string, EvalTally> tally;
  const std::string dump = p.Get("dump");
  int64_t dumped = 0;
  for (const auto& folder : folders) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(folder))
      if (e.is_regular_file() && e.path().extension() == ".png") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& spec : specs) {
      const auto& e = spec.edits.front();
      engine::MaskEditorOptions mo;
      mo.spec = spec;
      mo.seed = base.seed;
      mo.style_candidates = base.style_draws;
      mo.composite = base.composite;
      mo.attribute_scope = base.attribute_scope;
      SMILE_ASSIGN_OR_RETURN(auto editor, engine::MaskEditor::Load(base.manip, mo));
      EvalTally& t = tally[spec.ToString()];
      for (size_t i = 0; i < files.size(); i += static_cast<size_t>(every)) {
        if (StopRequested()) return Cancelled("interrupted");
        cv::Mat labels = cv::imread(files[i].string(), cv::IMREAD_UNCHANGED);
        if (labels.empty() || labels.type() != CV_8UC1) {
          ++t.skipped;
          continue;
        }
        const int have = engine::MaskDomains(labels)[e.attribute];
        if (have < 0) {
          ++t.skipped;
          continue;
        }
        if (have == e.choice) {
          // Removal: draw the attribute first (deterministic per frame); addition: skip.
          if (e.choice == 1 || !training::CanEditTowards(models::DomainIndex(e.attribute, 1)) ||
              !training::EditTowardsDomain(&labels, models::DomainIndex(e.attribute, 1), 1000 + i) ||
              engine::MaskDomains(labels)[e.attribute] != 1) {
            ++t.skipped;
            continue;
          }
        }
        SMILE_ASSIGN_OR_RETURN(cv::Mat out, editor->Edit(labels));
        engine::EditCheck c = engine::CheckEdit(labels, out, spec);
        ++t.frames;
        t.asked += c.asked_ok;
        t.iou_ok += c.other_iou > min_iou;
        t.both += c.ok(min_iou);
        t.iou_sum += c.other_iou;
        if (!dump.empty() && dumped < 64 && i % (every * 20) == 0) {
          fs::create_directories(dump);
          cv::Mat row;
          cv::hconcat(ColorizeLabels(labels), ColorizeLabels(out), row);
          std::string name = folder.filename().string() + "_" + files[i].stem().string() + "_" +
                             (e.choice ? "plus_" : "minus_") +
                             std::string(models::kAttributeNames[e.attribute]) + (c.ok(min_iou) ? "_ok" : "_fail") +
                             ".png";
          cv::imwrite((fs::path(dump) / name).string(), row);
          ++dumped;
        }
      }
    }
  }
  std::printf("manipulation model %s, seed %llu (best of %d style draws per sequence), %zu sequence folder(s) under "
              "%s, every %lld-th map\n",
              base.manip.c_str(), static_cast<unsigned long long>(base.seed), base.style_draws, folders.size(),
              root.string().c_str(),
              static_cast<long long>(every));
  std::printf("%-14s %7s %8s %12s %14s %10s %8s\n", "edit", "frames", "skipped", "changed-ok", "other-IoU>" ,
              "both-ok", "meanIoU");
  int64_t all = 0, all_both = 0;
  for (const auto& spec : specs) {
    const EvalTally& t = tally[spec.ToString()];
    auto pct = [&](int64_t k) { return t.frames ? 100.0 * k / t.frames : 0.0; };
    std::printf("%-14s %7lld %8lld %11.1f%% %13.1f%% %9.1f%% %8.3f\n", spec.ToString().c_str(),
                static_cast<long long>(t.frames), static_cast<long long>(t.skipped), pct(t.asked), pct(t.iou_ok),
                pct(t.both), t.frames ? t.iou_sum / t.frames : 0.0);
    all += t.frames;
    all_both += t.both;
  }
  std::printf("all edits: %lld frames, %.1f%% changed as asked with the other regions' IoU > %.2f\n",
              static_cast<long long>(all), all ? 100.0 * all_both / all : 0.0, min_iou);
  return Status::Ok();
}

Status RunEdit(const std::vector<std::string>& args) {
  ArgParser p("edit",
              "Attribute-controlled rendering: every frame's (smoothed, aligned) 19-class mask is edited by the "
              "manipulation stage (--set, e.g. +eyeglasses,-hat,+bangs), rendered by the identity model's synthesis "
              "stage and pasted back. The edited attributes' style is FIXED for the whole video (--seed N: drawn "
              "once by the mapping network; --ref PHOTO: encoded once from that photo's mask), the others keep the "
              "first frame's own style, so the edit is stable over time. Image in -> PNG out; video in -> MP4 with "
              "the input's audio and frame count. With --evaluate DIR: measure the manipulation model on label maps "
              "instead (no identity, no output).");
  p.Option("input", "MEDIA", "input image or video (or folder, stream)", "");
  AddEditOptions(p);
  p.Option("identity", "MODEL", "identity model rendering the edited masks (made by 'smile fit', .smile)", "");
  p.Option("output", "FILE", "output: .png for an image input, .mp4 for a video, or a folder of PNGs", "");
  AddFaceOption(p, "edit");
  AddDetectorOption(p);
  AddSynthesisOptions(p);
  p.Option("smooth", "on|off", "temporal smoothing of the masks and of the face crop (off for unrelated photos)", "on");
  p.Option("color", "F", "colour matching strength towards the input's lighting, 0..1", "0.5");
  p.Option("max-frames", "N", "stop after N frames", "");
  p.Option("crf", "Q", "H.264 quality, 0 (lossless) .. 51 (worst)", "18");
  p.Option("compare", "FILE", "also write a side-by-side input | edited mask | output: a video (.mp4), or one PNG "
           "when the input is one image", "");
  p.Flag("watermark", "draw a small translucent 'AI-generated' label into every output frame (files are always "
                      "tagged synthetic=true in their metadata)");
  p.Option("stages", "pipelined|one", "stage threads (decode, analyse, edit, synthesise, compose, encode) or one "
                                      "work thread", "pipelined");
  p.Option("evaluate", "DIR", "measure instead: edit every label map (.png, aligned) in DIR's folders, one fixed style "
                              "per folder, and report how often the edit happened with the other regions kept", "");
  p.Option("every", "K", "--evaluate: use every K-th label map of each folder", "1");
  p.Option("min-iou", "F", "--evaluate: IoU the other regions must keep", "0.8");
  p.Option("dump", "DIR", "--evaluate: write a few before|after mask pictures here", "");
  p.Epilog("examples:\n  smile edit --input me.jpg --set +eyeglasses --identity assets/models/identity.smile -o me.png\n"
           "  smile edit --input talk.mp4 --set +hat,-eyeglasses --seed 3 --identity id.smile -o talk_hat.mp4\n"
           "  smile edit --input talk.mp4 --set +bangs --ref bangs.jpg --identity id.smile -o talk_bangs.mp4\n"
           "  smile edit --evaluate heldout_labels/ --set +eyeglasses,-eyeglasses,+hat,-hat\n" +
           std::string(kConsentLine));
  Status status;
  if (!ParseOrHelp(p, args, &status)) return status;
  if (!p.Get("evaluate").empty()) {
    for (const char* o : {"input", "identity", "output", "ref", "compare"})
      if (!p.Get(o).empty())
        return InvalidArgument(std::string("--") + o + " does not apply to --evaluate (it only reads label maps)");
    // Items are checked one at a time there; the model path and seed here.
    EditRequest base;
    base.manip = p.Get("manip").empty() ? DefaultManipPath() : p.Get("manip");
    if (!fs::exists(base.manip))
      return NotFound("manipulation model '" + base.manip + "' does not exist; train one with 'smile train manip'");
    if (!p.Get("seed").empty()) {
      SMILE_ASSIGN_OR_RETURN(int64_t s, p.GetInt("seed", 0, INT64_MAX));
      base.seed = static_cast<uint64_t>(s);
    }
    SMILE_RETURN_IF_ERROR(ParseEditScope(p, &base));
    SMILE_RETURN_IF_ERROR(ParseStyleDraws(p, &base));
    return RunEvaluate(p, base);
  }
  for (const char* o : {"every", "min-iou", "dump"})
    if (std::any_of(args.begin(), args.end(), [&](const std::string& a) {
          return a == std::string("--") + o || a.rfind(std::string("--") + o + "=", 0) == 0;
        }))
      return InvalidArgument(std::string("--") + o + " only applies to --evaluate DIR; leave it out when editing "
                             "--input");
  for (const char* o : {"input", "identity", "output"})
    if (p.Get(o).empty())
      return InvalidArgument(std::string("missing --") + o + "; e.g. smile edit --input in.mp4 --set +eyeglasses "
                             "--identity id.smile -o out.mp4");
  if (p.Get("set").empty())
    return InvalidArgument("missing --set: which attributes to change, e.g. --set +eyeglasses,-hat (" +
                           engine::ValidEditNames() + ")");
  SMILE_ASSIGN_OR_RETURN(EditRequest edit, ParseEditOptions(p));
  const std::string identity = p.Get("identity"), in = p.Get("input"), out = p.Get("output");
  if (p.Get("smooth") != "on" && p.Get("smooth") != "off") return InvalidArgument("--smooth takes on or off");
  if (p.Get("stages") != "pipelined" && p.Get("stages") != "one") return InvalidArgument("--stages takes pipelined or one");
  SMILE_ASSIGN_OR_RETURN(double color, p.GetDouble("color", 0, 1));
  SMILE_ASSIGN_OR_RETURN(int64_t crf, p.GetInt("crf", 0, 51));
  engine::AnalyzerOptions ao;
  SMILE_RETURN_IF_ERROR(ApplyFaceOptions(p, &ao.tracker));
  engine::SessionOptions so;
  SMILE_RETURN_IF_ERROR(ApplySynthesisOptions(p, &so));
  so.label = "edit";
  so.color = color;
  so.fused = p.Get("stages") == "one";
  if (!p.Get("max-frames").empty()) {
    SMILE_ASSIGN_OR_RETURN(so.max_frames, p.GetInt("max-frames", 1, int64_t(1) << 40));
  }
  if (!fs::exists(in)) return NotFound("input '" + in + "' does not exist");
  const bool single_image = IsSingleImagePath(out);
  capture::SinkKind sink_kind = capture::SinkKind::kImageSequence;
  if (!single_image) {
    SMILE_ASSIGN_OR_RETURN(sink_kind, capture::ClassifySink(out));
  }
  const std::string compare_path = p.Get("compare");
  const bool compare_image = !compare_path.empty() && IsSingleImagePath(compare_path);
  if (!compare_path.empty() && !compare_image) SMILE_RETURN_IF_ERROR(capture::ClassifySink(compare_path).status());
  if (capture::SameFile(in, out))
    return InvalidArgument("--output '" + out + "' is the input itself; choose another output name");
  if (!compare_path.empty() && (compare_path == out || capture::SameFile(in, compare_path)))
    return InvalidArgument("--compare '" + compare_path + "' must differ from --input and --output");
  if (!fs::exists(identity)) return NotFound("identity model '" + identity + "' does not exist; make one with smile fit");

  SMILE_ASSIGN_OR_RETURN(auto device, models::ChooseDevice("auto"));
  SMILE_LOG(kInfo) << "device: " << device.description;
  models::InitTorchRuntime();
  SMILE_ASSIGN_OR_RETURN(auto model, models::LoadIdentityModel(identity));
  ao.align.size = std::max(256, model->config.image_size);
  ao.smooth = p.Get("smooth") == "on";
  SMILE_ASSIGN_OR_RETURN(auto session, engine::Session::Create(model, so, ao));
  SMILE_RETURN_IF_ERROR(AttachEditor(edit, *session));

  if (sink_kind == capture::SinkKind::kVideoFile) SMILE_RETURN_IF_ERROR(capture::CheckOutputFolder(out, true));
  SMILE_ASSIGN_OR_RETURN(auto source, capture::OpenSource(in));
  SMILE_LOG(kInfo) << "input:  " << source->info().description;
  if (single_image && source->info().frame_count != 1)
    return InvalidArgument("--output '" + out + "' is one image but the input has " +
                           (source->info().frame_count > 1 ? std::to_string(source->info().frame_count) : "many") +
                           " frames; write a video (.mp4) or a folder of PNGs instead");
  capture::SinkOptions kopts = capture::SinkOptionsFor(source->info());
  kopts.crf = static_cast<int>(crf);
  kopts.provenance.note = "edit " + edit.spec.ToString();
  kopts.watermark = p.GetFlag("watermark") ? capture::WatermarkMode::kOn : capture::WatermarkMode::kOff;
  std::unique_ptr<capture::FrameSink> sink;
  if (single_image) {
    SMILE_RETURN_IF_ERROR(capture::CheckOutputFolder(out, true));
    sink = std::make_unique<SingleImageSink>(out, kopts.provenance, p.GetFlag("watermark"));
  } else {
    SMILE_ASSIGN_OR_RETURN(sink, capture::OpenSink(out, kopts));
  }
  std::unique_ptr<capture::FrameSink> compare;
  if (!compare_path.empty()) {
    SMILE_RETURN_IF_ERROR(capture::CheckOutputFolder(compare_path, true));
    if (compare_image) {
      if (source->info().frame_count != 1)
        return InvalidArgument("--compare '" + compare_path + "' is one image but the input has several frames; "
                               "give a .mp4 (or a folder of PNGs) for the comparison");
      compare = std::make_unique<SingleImageSink>(compare_path, kopts.provenance, p.GetFlag("watermark"));
    } else {
      SMILE_ASSIGN_OR_RETURN(compare, capture::OpenSink(compare_path, kopts));
    }
  }
  engine::OutputHook record;
  if (compare) {
    record = [&](engine::SessionItem& item) -> Status {
      const cv::Mat& frame = *item.input.image;
      cv::Mat mask_panel = item.render ? OverlayLabels(frame, engine::WarpToFrame(item.labels, item.alignment,
                                                                                  frame.size(), cv::INTER_NEAREST,
                                                                                  cv::Scalar(0)), 0.6)
                                       : cv::Mat(frame.size(), CV_8UC3, cv::Scalar::all(0));
      cv::Mat row;
      cv::hconcat(std::vector<cv::Mat>{frame, mask_panel, item.output}, row);
      return compare->Write(Frame::FromMat(row, item.input.pts_us, item.input.sequence));
    };
  }
  engine::SessionReport r = session->RunSwap(*source, *sink, record);
  if (compare) {
    if (r.status.ok() || r.status.code() == StatusCode::kCancelled) {
      if (r.status.ok() && so.max_frames < 0) compare->MarkInputComplete();
      Status cs = compare->Close();
      if (!cs.ok()) SMILE_LOG(kWarn) << "side-by-side video: " << cs.message();
    } else {
      compare->Abort();
    }
  }
  if (r.status.ok() || r.status.code() == StatusCode::kCancelled) {
    std::fprintf(stderr, "%s", r.Summary().c_str());
    if (engine::MaskEditor* e = session->mask_editor()) {
      const auto src = e->source_choices(), trg = e->target_choices();
      std::string domains;
      for (int a = 0; a < models::kNumAttributes; ++a)
        if (src[a] != trg[a])
          domains += std::string(domains.empty() ? "" : ", ") +
                     std::string(models::kDomainNames[models::DomainIndex(a, src[a])]) + " -> " +
                     std::string(models::kDomainNames[models::DomainIndex(a, trg[a])]);
      std::fprintf(stderr, "  edit %s: %lld masks, %.1f ms/mask, %.2f%% of mask pixels changed on average%s%s\n",
                   edit.spec.ToString().c_str(), static_cast<long long>(e->stats().frames), e->stats().ms_per_frame(),
                   100.0 * e->stats().mean_changed(), domains.empty() ? " (the first face already had it)" : "; ",
                   domains.c_str());
    }
  }
  if (r.frames_no_face > 0)
    std::fprintf(stderr, "%lld frame(s) had no usable face and were passed through unchanged\n",
                 static_cast<long long>(r.frames_no_face));
  return r.status;
}

}  // namespace

SMILE_COMMAND(edit, 11, "attribute editing: +eyeglasses, -hat, +bangs ... on every frame's mask, rendered by an identity",
              RunEdit);

}  // namespace smile::app
