#include "engine/session.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <sstream>
#include <thread>

#include <opencv2/imgproc.hpp>

#include "capture/media_job.h"
#include "core/log.h"
#include "engine/parser_choice.h"
#include "engine/reenact.h"
#include "core/progress.h"

namespace smile::engine {
namespace {

double MsSince(int64_t t0_us) { return (SteadyMicros() - t0_us) / 1000.0; }

// Runs `fn`, turning exceptions (torch, OpenCV) into a Status naming the stage.
template <typename Fn>
Status Guard(const char* stage, Fn&& fn) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return Internal(std::string(stage) + " stage failed: " + e.what());
  }
}

// Counts frames between admission (analyse) and encode, for the live in-flight limit.
class InFlight {
 public:
  explicit InFlight(int limit) : limit_(std::max(1, limit)) {}
  // Waits for a free slot; false when `give_up` became true meanwhile.
  template <typename Pred>
  bool Acquire(Pred give_up) {
    std::unique_lock<std::mutex> l(m_);
    while (n_ >= limit_) {
      if (give_up()) return false;
      cv_.wait_for(l, std::chrono::milliseconds(20));
    }
    ++n_;
    return true;
  }
  void Release() {
    { std::lock_guard<std::mutex> l(m_); --n_; }
    cv_.notify_all();
  }

 private:
  const int limit_;
  int n_ = 0;
  std::mutex m_;
  std::condition_variable cv_;
};

class PacedSource : public capture::FrameSource {
 public:
  PacedSource(std::unique_ptr<capture::FrameSource> inner, double speed) : inner_(std::move(inner)), speed_(speed) {
    info_ = inner_->info();
    info_.is_live = true;
    info_.description += " (played as live)";
  }
  const capture::SourceInfo& info() const override { return info_; }
  Result<Frame> Read() override {
    Result<Frame> f = inner_->Read();
    if (!f.ok()) return f;
    if (start_us_ < 0) {
      start_us_ = SteadyMicros();
      first_pts_ = f->pts_us;
    }
    const int64_t due = start_us_ + static_cast<int64_t>((f->pts_us - first_pts_) / std::max(1e-3, speed_));
    const int64_t wait = due - SteadyMicros();
    if (wait > 0) std::this_thread::sleep_for(std::chrono::microseconds(wait));
    return f;
  }
  int64_t frames_read() const override { return inner_->frames_read(); }

 private:
  std::unique_ptr<capture::FrameSource> inner_;
  capture::SourceInfo info_;
  double speed_;
  int64_t start_us_ = -1, first_pts_ = 0;
};

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

}  // namespace

std::unique_ptr<capture::FrameSource> PaceAsLive(std::unique_ptr<capture::FrameSource> inner, double speed) {
  return std::make_unique<PacedSource>(std::move(inner), speed);
}

double SessionReport::StageMs(const std::string& name) const {
  for (const auto& s : stages)
    if (s.name == name) return s.ms_per_item();
  return 0;
}

std::string SessionReport::Summary() const {
  std::ostringstream os;
  char line[512];
  std::snprintf(line, sizeof(line), "%lld frames read, %lld written in %.2f s (%.1f fps), %lld dropped%s -> %s\n",
                static_cast<long long>(frames_read), static_cast<long long>(frames_written), seconds, fps(),
                static_cast<long long>(frames_dropped), live ? " (live, newest frame first)" : "", output.c_str());
  os << line;
  std::snprintf(line, sizeof(line),
                "  rendered %lld, passed through: %lld without a face, %lld with the effect off; %lld held\n",
                static_cast<long long>(frames_rendered), static_cast<long long>(frames_no_face),
                static_cast<long long>(frames_effect_off), static_cast<long long>(frames_held));
  os << line;
  for (const auto& s : stages) {
    std::snprintf(line, sizeof(line), "  stage %-11s %7llu items %8.2f ms/item\n", s.name.c_str(),
                  static_cast<unsigned long long>(s.items), s.ms_per_item());
    os << line;
  }
  for (const auto& q : queues) {
    std::snprintf(line, sizeof(line), "  queue %-11s %7llu pushed %6llu dropped (capacity %zu, peak %zu)\n",
                  q.name.c_str(), static_cast<unsigned long long>(q.pushed), static_cast<unsigned long long>(q.dropped),
                  q.capacity, q.high_water);
    os << line;
  }
  std::snprintf(line, sizeof(line), "  latency capture->output: mean %.1f ms, p50 %.1f, p95 %.1f, max %.1f\n",
                latency_mean_ms, latency_p50_ms, latency_p95_ms, latency_max_ms);
  os << line;
  return os.str();
}

Session::Session(models::IdentityModel model, const SessionOptions& o, FaceAnalyzer analyzer)
    : model_(std::move(model)), options_(o), analyzer_(std::move(analyzer)) {
  renderer_ = std::make_unique<HeadRenderer>(model_->network, model_->style, o.fast_synthesis, o.bf16_synthesis);
  if (o.style_bank && !model_->bank.empty()) renderer_->SetStyleBank(model_->bank);
}

Result<std::unique_ptr<Session>> Session::Create(models::IdentityModel model, const SessionOptions& options,
                                                 const AnalyzerOptions& analyzer_options) {
  if (!model) return InvalidArgument("Session needs an identity model; make one with: smile fit");
  AnalyzerOptions ao = analyzer_options;
  ao.align.size = std::max(ao.align.size, model->config.image_size);
  ao.iris = model->config.num_classes > kNumLabels;
  if (ao.iris && !ao.iris_model) {
    if (auto iris = IrisModel::Load(); iris.ok()) {
      ao.iris_model = std::make_shared<const IrisModel>(std::move(iris).value());
    } else {
      // Still runs: the eyes get irises looking ahead (PaintDefaultIris) instead of the driver's gaze.
      SMILE_LOG(kWarn) << "this identity model's masks have the iris class, but the iris model is not fetched "
                          "(run scripts/fetch_models.sh): its eyes will look straight ahead";
      ao.iris = false;
    }
  }
  // Mesh geometry: the driver layout rasterises the driver's own mesh each frame; the identity
  // layout moves the identity's mean mesh with the parts it redraws (no mesh of the driver needed).
  const bool geometry = model->config.synth_geometry_channels > 0;
  std::shared_ptr<const FaceMesh> geometry_mesh;
  if (geometry) {
    if (auto m = FaceMesh::Load(); m.ok()) {
      geometry_mesh = std::make_shared<const FaceMesh>(std::move(*m));
    } else {
      SMILE_LOG(kWarn) << "this identity model reads FaceMesh geometry, but the FaceMesh model is not fetched (run "
                          "scripts/fetch_models.sh): every frame renders with the identity's mean face geometry";
    }
    ao.mesh = geometry_mesh && options.layout == SessionOptions::Layout::kDriver;
    ao.mesh_model = geometry_mesh;
  }
  if (ao.parser.empty()) {  // parse as the identity's training masks were (geometric if mesh models are missing)
    SMILE_ASSIGN_OR_RETURN(ao.parser, ResolveParser(model->parser, /*fall_back=*/true));
  }
  SMILE_ASSIGN_OR_RETURN(FaceAnalyzer analyzer, FaceAnalyzer::Create(ao));
  std::unique_ptr<Session> s(new Session(std::move(model), options, std::move(analyzer)));
  if (geometry) {
    const int size = s->model_->config.image_size;
    s->topology_ = TopologyFromArrays(s->model_->mesh_canonical, s->model_->mesh_triangles);
    if (s->topology_.empty()) return Corrupt("the identity model's mesh topology is unreadable; fit it again");
    s->identity_mesh_ = CanonicalMesh(s->topology_, size);
    s->renderer_->SetDefaultGeometry(RasterizeMeshGeometry(cv::Size(size, size), s->identity_mesh_, s->topology_));
  }
  SMILE_LOG(kInfo) << "synthesis: " << s->renderer_->path() << " at " << s->renderer_->model_size() << " px"
                   << (geometry ? ", with FaceMesh geometry" : "");
  if (options.layout == SessionOptions::Layout::kIdentity) {
    if (geometry_mesh) {
      s->layout_mesh_ = geometry_mesh;
    } else if (auto mesh = FaceMesh::Load(); mesh.ok()) {
      s->layout_mesh_ = std::make_shared<const FaceMesh>(std::move(*mesh));
    }
    SMILE_ASSIGN_OR_RETURN(ReenactSource id, SourceFromIdentity(*s, s->layout_mesh_.get()));
    if (id.landmarks.empty()) {
      SMILE_LOG(kWarn) << "layout: no face was found on the identity's own layout as its model renders it (an "
                          "undertrained model?); rendering the driver's layout instead (--layout driver)";
      s->layout_mesh_.reset();
    } else {
      s->layout_ = std::make_unique<LayoutRetargeter>(id.labels, id.landmarks);
      s->layout_expression_ = std::make_shared<ExpressionTracker>(s->layout_mesh_.get());
      s->analyzer_.set_parse(false);  // the frame's own mask is not rendered
      SMILE_LOG(kInfo) << "layout: the identity's own, with the driver's brows, eyes and mouth"
                       << (s->layout_mesh_ ? " (eyes and lips from FaceMesh)" : "");
    }
  }
  return s;
}

void Session::RequestStop() {
  if (Pipeline* p = running_.load()) p->RequestStop();
}

Status Session::AnalyseSwap(SessionItem& item) {
  if (!effect_) {
    item.pass = SessionItem::Pass::kEffectOff;
    return Status::Ok();
  }
  SMILE_ASSIGN_OR_RETURN(FrameAnalysis an, analyzer_.Process(*item.input.image, item.input.pts_us / 1e6));
  if (!an.found) {
    item.pass = SessionItem::Pass::kNoFace;
    if (layout_) {  // the next face starts its own part means and smoothing
      layout_->Reset();
      layout_expression_->Reset();
    }
    return Status::Ok();
  }
  item.render = true;
  if (layout_) {
    const double t = item.input.pts_us / 1e6;
    const Landmarks pts = layout_expression_->Update(*item.input.image, an.face.landmarks, t);
    const Landmarks aligned_pts = TransformPoints(pts, an.alignment.to_aligned);
    Landmarks moved;
    item.labels = layout_->Retarget(aligned_pts, an.aligned.cols, t, &moved);
    // The driver's irises stay where they were on its eyes, now drawn on the identity's layout.
    if (iris()) item.iris = TransferIris(an.iris, aligned_pts, moved, an.aligned.cols);
    // The layout's own points at the aligned crop's side, as `moved` is.
    item.geometry = LayoutGeometry(layout_->LandmarksAt(an.aligned.cols), moved, an.aligned.cols);
  } else {
    item.labels = an.smoothed.labels;
    item.iris = an.iris;
    item.geometry = DriverGeometry(an);
  }
  item.alignment = an.alignment;
  item.color_ref = an.aligned;
  return Status::Ok();
}

cv::Mat Session::DriverGeometry(const FrameAnalysis& an) const {
  if (topology_.empty() || an.mesh.empty() || an.aligned.empty()) return {};
  const int size = model_->config.image_size;
  return RasterizeMeshGeometry(cv::Size(size, size), ScaleMesh(an.mesh, static_cast<double>(size) / an.aligned.cols),
                               topology_);
}

cv::Mat Session::LayoutGeometry(const Landmarks& from, const Landmarks& to, int side, const cv::Matx23d* pose) const {
  if (topology_.empty() || side <= 0 || from.size() != to.size() || from.empty()) return {};
  const int size = model_->config.image_size;
  const float f = static_cast<float>(static_cast<double>(size) / side);
  Landmarks a = from, b = to;
  for (auto& p : a) p *= f;
  for (auto& p : b) p *= f;
  // Sigma 5 % of the crop. Swapping the bundled identity into d10 / d11 (100 frames), mouth-openness
  // correlation with the driver: mean face without moving 0.47 / 0.40, sigma 1.5 % 0.42 / 0.69,
  // 3 % 0.50 / 0.76, 5 % 0.57 / 0.79, 8 % 0.62 / 0.78; expression error lowest at 5 % (0.053 / 0.049).
  std::vector<cv::Point3f> mesh = DeformMesh(identity_mesh_, a, b, 0.05 * size);
  if (pose) {
    const cv::Matx23d& m = *pose;
    const double scale = std::sqrt(std::fabs(m(0, 0) * m(1, 1) - m(0, 1) * m(1, 0)));
    for (auto& p : mesh) {
      const double x = p.x, y = p.y;
      p.x = static_cast<float>(m(0, 0) * x + m(0, 1) * y + m(0, 2) * f);
      p.y = static_cast<float>(m(1, 0) * x + m(1, 1) * y + m(1, 2) * f);
      p.z = static_cast<float>(p.z * scale);
    }
  }
  return RasterizeMeshGeometry(cv::Size(size, size), mesh, topology_);
}

Status Session::EditMask(SessionItem& item) {
  if (!editor_ || !item.render || item.labels.empty()) return Status::Ok();
  SMILE_ASSIGN_OR_RETURN(cv::Mat edited, editor_->Edit(item.labels));
  // Paste where the head is before OR after the edit (a removed hat is painted over too).
  cv::Mat before = item.region.size() == edited.size() ? item.region : HeadRegion(item.labels);
  item.region = before | HeadRegion(edited);
  item.labels = edited;
  return Status::Ok();
}

Status Session::Synthesise(SessionItem& item) {
  if (!item.render) return Status::Ok();
  if (iris() && !item.labels.empty()) {
    item.labels = item.labels.clone();  // may be shared with the analysis or an earlier frame
    if (item.iris.valid) {
      PaintIris(item.labels, item.iris);
    } else {
      PaintDefaultIris(item.labels);  // no iris measured (yet): looking ahead, never an eye without one
    }
  }
  SMILE_ASSIGN_OR_RETURN(item.rendered, renderer_->Render(item.labels, item.geometry));
  return Status::Ok();
}

Status Session::Compose(SessionItem& item) {
  const cv::Mat& base = item.canvas.empty() ? *item.input.image : item.canvas;
  if (!item.render || item.rendered.empty()) {
    item.output = base;  // shared, not modified
    ResetComposeState();  // the next face starts its own colour match and stabilisation
    return Status::Ok();
  }
  cv::Mat region = item.region.empty() ? HeadRegion(item.labels) : item.region;
  cv::Mat rendered = item.rendered;
  stabilizer_.set_strength(options_.stabilize);  // options may change between runs (mutable_options)
  if (options_.stabilize > 0 && rendered.type() == CV_8UC3) rendered = stabilizer_.Apply(rendered, item.alignment);
  const double color = options_.color;
  if (color > 0 && !item.color_ref.empty()) {
    // Means of skin and nose only (ColorStatsRegion, match_spread off): the whole head's statistics,
    // with their spread, moved with every opening of the mouth and shifted the head's colour.
    if (auto t = ColorTransferFor(rendered, item.color_ref, ColorStatsRegion(item.labels, region),
                                  /*match_spread=*/false)) {
      const double a = std::clamp(options_.color_smoothing, 0.0, 0.99);
      color_state_ = color_state_ ? BlendColorTransfer(*color_state_, *t, a) : *t;
      cv::Mat matched = rendered.clone();
      ApplyColorTransfer(matched, *color_state_);
      cv::addWeighted(matched, color, rendered, 1 - color, 0, rendered);
    }
  }
  cv::Mat weight = FeatherMask(item.labels.cols, options_.feather, region);
  cv::Mat frame = base.clone();
  PasteBack(rendered, item.alignment, frame, weight);
  item.output = frame;
  return Status::Ok();
}

SessionReport Session::RunSwap(capture::FrameSource& source, capture::FrameSink& sink, const OutputHook& hook) {
  return Run(source, sink, [this](SessionItem& item) { return AnalyseSwap(item); }, hook);
}

SessionReport Session::Run(capture::FrameSource& source, capture::FrameSink& sink, const AnalyseFn& analyse,
                           const OutputHook& hook) {
  SessionReport report;
  report.output = sink.target();
  const capture::SourceInfo& info = source.info();
  report.live = options_.live || info.is_live;
  const bool live = report.live;
  const QueuePolicy policy = QueuePolicy::kBlock;  // past admission; live admission is limited instead
  const size_t cap = live ? static_cast<size_t>(std::max(1, options_.max_in_flight))
                          : std::max<size_t>(1, options_.queue_capacity);

  int64_t total = info.frame_count > 0 ? info.frame_count : 0;
  if (options_.max_frames >= 0) total = total > 0 ? std::min(total, options_.max_frames) : options_.max_frames;
  ProgressBar bar(options_.label, live ? 0 : total);

  ResetComposeState();  // each run matches colours and stabilises afresh
  Pipeline p;
  running_ = &p;
  auto decoded = p.MakeQueue<SessionItem>("decoded", live ? 1 : cap, live ? QueuePolicy::kDropOldest : policy);
  std::shared_ptr<BoundedQueue<SessionItem>> analysed, edited, rendered;
  const bool edit = editor_ != nullptr;
  if (!options_.fused) {
    analysed = p.MakeQueue<SessionItem>("analysed", cap, policy);
    if (edit) edited = p.MakeQueue<SessionItem>("edited", cap, policy);
    rendered = p.MakeQueue<SessionItem>("rendered", cap, policy);
  }
  auto composed = p.MakeQueue<SessionItem>("composed", cap, policy);
  InFlight in_flight(live ? options_.max_in_flight : 1 << 30);
  const int64_t start_us = SteadyMicros();
  bool source_ended = false;
  std::vector<double> latencies;
  std::atomic<int64_t> no_face{0}, effect_off{0}, held{0}, rendered_n{0};

  p.AddStage("decode", [&](StageContext& ctx) -> Status {
    while (!ctx.stop_requested()) {
      if (options_.max_frames >= 0 && report.frames_read >= options_.max_frames) break;
      const int64_t t0 = SteadyMicros();
      Result<Frame> f = source.Read();
      if (!f.ok()) {
        if (f.status().code() == StatusCode::kEndOfStream) {
          source_ended = options_.max_frames < 0 || report.frames_read < options_.max_frames;
          break;
        }
        decoded->Close();
        return f.status().WithContext("reading " + info.uri);
      }
      ctx.RecordItem(SteadyMicros() - t0);
      ++report.frames_read;
      SessionItem item;
      item.input = std::move(f).value();
      item.input.capture_us = SteadyMicros();
      if (!decoded->Push(std::move(item))) break;
    }
    decoded->Close();
    return Status::Ok();
  });

  // Takes the next admitted item (live: waits for an in-flight slot first, so the
  // decode queue keeps replacing its one frame with the newest meanwhile).
  auto admit = [&](StageContext& ctx) -> std::optional<SessionItem> {
    if (live && !in_flight.Acquire([&] { return ctx.stop_requested() || decoded->drained(); })) return std::nullopt;
    auto item = decoded->Pop();
    if (!item && live) in_flight.Release();
    return item;
  };
  auto count_pass = [&](const SessionItem& item) {
    switch (item.pass) {
      case SessionItem::Pass::kNoFace: ++no_face; break;
      case SessionItem::Pass::kEffectOff: ++effect_off; break;
      case SessionItem::Pass::kHeld: ++held; break;
      default: break;
    }
    if (item.render) ++rendered_n;
  };
  auto do_analyse = [&](SessionItem& item) -> Status {
    const int64_t t0 = SteadyMicros();
    SMILE_RETURN_IF_ERROR(Guard("analyse", [&] { return analyse(item); }));
    item.ms_analyse = MsSince(t0);
    count_pass(item);
    return Status::Ok();
  };
  auto do_edit = [&](SessionItem& item) -> Status {
    const int64_t t0 = SteadyMicros();
    SMILE_RETURN_IF_ERROR(Guard("edit", [&] { return EditMask(item); }));
    item.ms_edit = MsSince(t0);
    return Status::Ok();
  };
  auto do_synth = [&](SessionItem& item) -> Status {
    const int64_t t0 = SteadyMicros();
    SMILE_RETURN_IF_ERROR(Guard("synthesise", [&] { return Synthesise(item); }));
    item.ms_synth = MsSince(t0);
    return Status::Ok();
  };
  auto do_compose = [&](SessionItem& item) -> Status {
    const int64_t t0 = SteadyMicros();
    SMILE_RETURN_IF_ERROR(Guard("compose", [&] { return Compose(item); }));
    if (hook) SMILE_RETURN_IF_ERROR(Guard("output hook", [&] { return hook(item); }));
    item.ms_compose = MsSince(t0);
    return Status::Ok();
  };
  // One stage: pop from `in`, run `work`, push to `out`; closes `out` at the end.
  auto stage = [&](const std::shared_ptr<BoundedQueue<SessionItem>>& in,
                   const std::shared_ptr<BoundedQueue<SessionItem>>& out,
                   std::function<Status(SessionItem&)> work, bool admits) {
    return [&, in, out, work, admits](StageContext& ctx) -> Status {
      while (true) {
        std::optional<SessionItem> item = admits ? admit(ctx) : in->Pop();
        if (!item) break;
        const int64_t t0 = SteadyMicros();
        Status s = work(*item);
        if (!s.ok()) {
          out->Close();
          return s;
        }
        ctx.RecordItem(SteadyMicros() - t0);
        if (!out->Push(std::move(*item))) break;
      }
      out->Close();
      return Status::Ok();
    };
  };
  if (options_.fused) {
    p.AddStage("work", stage(decoded, composed, [&](SessionItem& item) -> Status {
      SMILE_RETURN_IF_ERROR(do_analyse(item));
      if (edit) SMILE_RETURN_IF_ERROR(do_edit(item));
      SMILE_RETURN_IF_ERROR(do_synth(item));
      return do_compose(item);
    }, true));
  } else {
    p.AddStage("analyse", stage(decoded, analysed, do_analyse, true));
    if (edit) {
      p.AddStage("edit", stage(analysed, edited, do_edit, false));
      p.AddStage("synthesise", stage(edited, rendered, do_synth, false));
    } else {
      p.AddStage("synthesise", stage(analysed, rendered, do_synth, false));
    }
    p.AddStage("compose", stage(rendered, composed, do_compose, false));
  }

  p.AddStage("encode", [&](StageContext& ctx) -> Status {
    while (auto item = composed->Pop()) {
      const int64_t t0 = SteadyMicros();
      Frame out = Frame::FromMat(item->output, item->input.pts_us, item->input.sequence);
      out.capture_us = item->input.capture_us;
      Status s = sink.Write(out);
      if (live) in_flight.Release();
      SMILE_RETURN_IF_ERROR(s);
      const int64_t now = SteadyMicros();
      ctx.RecordItem(now - t0);
      latencies.push_back((now - item->input.capture_us) / 1000.0);
      ++report.frames_written;
      if (options_.progress) bar.Update(report.frames_written);
    }
    return Status::Ok();
  });

  Status s = p.Run();
  running_ = nullptr;
  ResetComposeState();
  report.stages = p.stage_stats();
  report.queues = p.queue_stats();
  for (const auto& q : report.queues) report.frames_dropped += static_cast<int64_t>(q.dropped);
  report.frames_no_face = no_face;
  report.frames_effect_off = effect_off;
  report.frames_held = held;
  report.frames_rendered = rendered_n;
  if (!latencies.empty()) {
    double sum = 0;
    for (double l : latencies) sum += l;
    report.latency_mean_ms = sum / latencies.size();
    report.latency_p50_ms = Percentile(latencies, 0.5);
    report.latency_p95_ms = Percentile(latencies, 0.95);
    report.latency_max_ms = *std::max_element(latencies.begin(), latencies.end());
  }
  s = capture::FinishSink(sink, s, source_ended, &report.output_kept);
  if (options_.progress) bar.Finish();
  report.seconds = (SteadyMicros() - start_us) / 1e6;
  report.status = s;
  return report;
}

}  // namespace smile::engine
