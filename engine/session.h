// Session: one job of the engine (swap, reenact, live). It holds the identity model
// (synthesis network + FIXED style matrix), a FaceAnalyzer (tracker, landmark filters,
// mask smoothing) and the HeadRenderer, and runs a multi-stage pipeline on its own
// threads connected by bounded queues:
//
//   decode --q--> analyse --q--> [edit --q-->] synthesise --q--> compose --q--> encode
//   (source)   (detect/track/   (optional:      (network,        (colour match,  (sink)
//               align/parse/     MaskEditor,     fast fixed-      paste back,
//               smooth)          mask -> mask)   style path)      hooks)
//
// The edit stage exists only when a MaskEditor is set (SetMaskEditor): the manipulation
// stage changes each aligned mask (e.g. +eyeglasses) with a style fixed for the job.
//
// Files: blocking queues, nothing is dropped (frames out == frames in).
// Live:  the decode queue keeps only the newest frame (drop-oldest, capacity 1) and at
//        most `max_in_flight` frames are between analyse and encode, so latency stays
//        bounded; drops are counted.
// Frames without a usable face pass through unchanged (counted). Per-stage timings,
// queue drops and capture->output latency are reported at the end.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "capture/sink.h"
#include "capture/source.h"
#include "core/frame.h"
#include "core/pipeline.h"
#include "core/status.h"
#include "engine/alignment.h"
#include "engine/face_analyzer.h"
#include "engine/head_renderer.h"
#include "engine/layout_swap.h"
#include "engine/mask_editor.h"
#include "engine/mesh_geometry.h"
#include "engine/stabilizer.h"
#include "models/identity_model.h"

namespace smile::engine {

class ExpressionTracker;
class FaceMesh;

// One frame on its way through the stages.
struct SessionItem {
  Frame input;               // the source frame
  bool render = false;       // false: the output is `canvas` (or the input when no canvas) unchanged
  enum class Pass { kNone, kNoFace, kEffectOff, kHeld } pass = Pass::kNone;  // why it was not rendered
  cv::Mat canvas;            // the frame to paste into; empty: the input image
  Alignment alignment;       // aligned square -> canvas
  cv::Mat labels;            // aligned CV_8U labels to render
  IrisDiscs iris;            // for identity models with the iris class: painted into `labels` before synthesis
  cv::Mat geometry;          // for identity models with mesh geometry: CV_32FC(G) at the model's size
                             // (empty: the identity's mean face, HeadRenderer's default)
  cv::Mat color_ref;         // aligned BGR reference for colour matching (empty: none)
  cv::Mat region;            // aligned CV_8U paste region (empty: HeadRegion(labels))
  cv::Mat rendered;          // synthesis output (aligned BGR, labels' size)
  cv::Mat output;            // the composed frame (what is encoded)
  cv::Mat frame_labels;      // optional: labels in canvas pixels (for side-by-side hooks)
  double ms_analyse = 0, ms_edit = 0, ms_synth = 0, ms_compose = 0;
};

// Fills `item` from item.input (render = false: pass through).
using AnalyseFn = std::function<Status(SessionItem& item)>;
// Called for every output frame in the compose stage, in order (side-by-side videos,
// overlays); may draw on item.output.
using OutputHook = std::function<Status(SessionItem& item)>;

struct SessionOptions {
  std::string label = "swap";   // progress bar label
  bool live = false;            // newest-frame-first (forced for live sources)
  size_t queue_capacity = 4;    // block mode: frames each queue holds
  int max_in_flight = 2;        // live: frames between analyse and encode at once
  int64_t max_frames = -1;      // stop after this many source frames (-1: all)
  bool progress = true;
  bool fused = false;           // analyse + synthesise + compose in ONE stage thread (the
                                // pre-session swap; kept for comparisons)
  double color = 0.5;           // colour matching strength towards the reference, 0..1
  // Share of the previous frames' colour transfer kept each frame (exponential smoothing of the
  // Lab gain/offset; 0 = matched per frame). Per-frame statistics of a moving head jitter and
  // made the paste flicker.
  double color_smoothing = 0.8;
  double feather = 0.06;        // paste feather, fraction of the aligned side
  // Temporal stabilisation of the rendered head (engine::TemporalStabilizer): how much of a small
  // frame-to-frame texture change is damped (0 = off). Large changes pass at once.
  double stabilize = 0.6;
  bool fast_synthesis = true;   // models::FastSynthesisGenerator for the fixed style
  bool bf16_synthesis = false;  // that fast path in bf16 (HeadRenderer: not exact, faster with AMX)
  // Per-frame style from the identity's style bank (when it has one) instead of its one mean style.
  bool style_bank = true;
  // Whose face layout a swap renders: the driver's mask (the paper's swap: the identity's style
  // on the driver's face shape) or the identity's own layout with the driver's brows, eyes and
  // mouth drawn onto it (engine::LayoutRetargeter: looks like the identity, does not turn).
  enum class Layout { kDriver, kIdentity } layout = Layout::kDriver;
};

struct SessionReport {
  Status status;
  int64_t frames_read = 0, frames_written = 0, frames_dropped = 0;
  int64_t frames_rendered = 0, frames_no_face = 0, frames_effect_off = 0, frames_held = 0;
  double seconds = 0;
  bool live = false, output_kept = false;
  std::string output;
  std::vector<StageStats> stages;
  std::vector<QueueStats> queues;
  // capture -> written, milliseconds over all written frames
  double latency_mean_ms = 0, latency_p50_ms = 0, latency_p95_ms = 0, latency_max_ms = 0;
  double fps() const { return seconds > 0 ? frames_written / seconds : 0.0; }
  double StageMs(const std::string& name) const;
  // Frames, fps, pass-through counts, per-stage ms, queue drops, latency.
  std::string Summary() const;
};

class Session {
 public:
  static Result<std::unique_ptr<Session>> Create(models::IdentityModel model, const SessionOptions& options,
                                                 const AnalyzerOptions& analyzer_options);

  // Head swap of every frame of `source` into `sink`.
  SessionReport RunSwap(capture::FrameSource& source, capture::FrameSink& sink, const OutputHook& hook = {});
  // Any per-frame analysis (reenactment drives the source photo's layout from the frame).
  SessionReport Run(capture::FrameSource& source, capture::FrameSink& sink, const AnalyseFn& analyse,
                    const OutputHook& hook = {});

  // The stages' work on one item (public for one-frame-at-a-time benchmarks and tests).
  Status AnalyseSwap(SessionItem& item);
  // The edit stage: item.labels -> the MaskEditor's edit (nothing without an editor or
  // when the item is not rendered); the paste region becomes the head before or after
  // the edit.
  Status EditMask(SessionItem& item);
  Status Synthesise(SessionItem& item);
  Status Compose(SessionItem& item);

  // Live toggle: with the effect off, frames pass through (counted).
  void set_effect(bool on) { effect_ = on; }
  bool effect() const { return effect_; }
  // Attribute editing (before Run): every rendered item's mask goes through `editor`
  // in its own stage between analyse and synthesise. nullptr: no edit stage.
  void SetMaskEditor(std::shared_ptr<MaskEditor> editor) { editor_ = std::move(editor); }
  MaskEditor* mask_editor() { return editor_.get(); }
  // Ends a running Run() as a stop request would (live: the key 'q').
  void RequestStop();

  FaceAnalyzer& analyzer() { return analyzer_; }
  HeadRenderer& renderer() { return *renderer_; }
  models::IdentityModel& model() { return model_; }
  // The identity model's masks have the iris class (engine/iris_mask.h): the analyzer finds the
  // driver's irises and Synthesise paints SessionItem::iris into the labels after any edit.
  bool iris() const { return model_->config.num_classes > kNumLabels; }
  // Mesh geometry for the renderer (identity models with geometry channels; empty otherwise, and
  // the renderer then uses the identity's mean face):
  //  - DriverGeometry: the driver's own mesh from the analysis (the driver's layout);
  //  - LayoutGeometry: the identity's mean mesh moved as its layout's 68 points moved `from` ->
  //    `to` (redrawn brows, eyes, mouth; both in pixels of a `side` crop), then by `pose` (an
  //    affine map in those pixels) when given: the identity layout of swaps and reenactment.
  cv::Mat DriverGeometry(const FrameAnalysis& an) const;
  cv::Mat LayoutGeometry(const Landmarks& from, const Landmarks& to, int side, const cv::Matx23d* pose = nullptr) const;
  // Forgets what compose carries from frame to frame: the smoothed colour transfer and the
  // stabiliser's previous render (a new video, a new face, a new run).
  void ResetComposeState() {
    color_state_.reset();
    stabilizer_.Reset();
  }
  const SessionOptions& options() const { return options_; }
  SessionOptions& mutable_options() { return options_; }

 private:
  Session(models::IdentityModel model, const SessionOptions& o, FaceAnalyzer analyzer);
  models::IdentityModel model_;
  SessionOptions options_;
  FaceAnalyzer analyzer_;
  TemporalStabilizer stabilizer_;             // Compose's previous render (compose runs in order)
  std::optional<ColorTransfer> color_state_;  // Compose's smoothed colour transfer (compose runs in order)
  std::unique_ptr<HeadRenderer> renderer_;
  std::unique_ptr<LayoutRetargeter> layout_;  // Layout::kIdentity
  // Layout::kIdentity: the driver's eyes and lips from FaceMesh when it is fetched, smoothed
  // (as reenactment reads a driver).
  std::shared_ptr<const FaceMesh> layout_mesh_;
  std::shared_ptr<ExpressionTracker> layout_expression_;
  // Identity models with mesh geometry: the topology and the identity's mean mesh (model pixels).
  MeshTopology topology_;
  std::vector<cv::Point3f> identity_mesh_;
  std::shared_ptr<MaskEditor> editor_;
  std::atomic<bool> effect_{true};
  std::atomic<Pipeline*> running_{nullptr};
};

// A sink that only counts (benchmarks).
class DiscardSink : public capture::FrameSink {
 public:
  Status Write(const Frame&) override { ++frames_; return Status::Ok(); }
  Status Close() override { return Status::Ok(); }
  void Abort() override {}
  int64_t frames_written() const override { return frames_; }
  std::string target() const override { return "(discarded)"; }

 private:
  int64_t frames_ = 0;
};

// Plays a (file) source as if it were live: frames are released at their presentation
// time from the first Read(), info().is_live is set. For tests and "file played as live".
std::unique_ptr<capture::FrameSource> PaceAsLive(std::unique_ptr<capture::FrameSource> inner, double speed = 1.0);

}  // namespace smile::engine
