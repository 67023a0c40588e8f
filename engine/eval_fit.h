// Self-reenactment evaluation of an identity model (`smile eval fit`), the protocol of
// reenactment papers: the model is driven by held-out frames of its OWN clip (the last
// slice, which `smile fit` holds out too); each frame is analysed (track, align, parse,
// smooth) and re-rendered from its mask with the identity's FIXED style matrix and with the
// frame's OWN encoded style. Errors are measured in the head region of the aligned crop and
// after pasting back into the full frame (head region warped to the frame), plus LPIPS when a
// feature network is given, and landmark / pose error of the pasted frame against the driver;
// the fixed-style crop error is also split by part of the head (ClassErrors: area, share of the
// error, PSNR of the part, head PSNR were it exact). Iris models get the irises in their masks.
#pragma once

#include <map>
#include <string>

#include "core/status.h"
#include "engine/eval_nets.h"
#include "engine/eval_report.h"
#include "models/identity_model.h"

namespace smile::engine {

struct FitEvalOptions {
  double holdout = 0.1;   // the last fraction of the clip's frames is evaluated (as smile fit holds out)
  int64_t start = -1;     // first evaluated frame instead (>= 0)
  int max_frames = 0;     // evaluate at most N held-out frames, evenly spaced (0: all)
  int warmup = 30;        // frames analysed before the first evaluated one (tracking / smoothing state)
  int sheet_rows = 4;     // side-by-side example rows in the record
};

// `metadata`: the identity model's header metadata (quoted in the record). `lpips` / `inception`
// may be null (LPIPS / FID between the real held-out crops and the fixed-style renders not measured).
Result<EvalRecord> EvaluateFit(models::IdentityModel& model, const std::string& video, const FitEvalOptions& options,
                               LpipsMetric* lpips = nullptr, InceptionFeatures* inception = nullptr,
                               const std::map<std::string, std::string>& metadata = {});

}  // namespace smile::engine
