// Evaluation of the semantic manipulation stage (SMILE paper sec. 3.4, table 3):
//   - attribute AP and F1 per attribute: every test mask is moved to the opposite domain
//     of one attribute (a random latent style of the target domain; unknown sources get a
//     random target), the attribute classifier (models/attr_net, trained by `smile train
//     attr`) scores the edited mask, and the targets are the ground truth;
//   - cycle mIoU (eq. 6): the edited mask translated back with the source's own style
//     (style encoder on the input) against the input;
//   - the classifier's own AP / F1 on the unedited inputs (how far its scores can be trusted).
// Head pose error needs rendered photos and is measured by `smile eval fit` / `eval video`.
// The metric functions (AP, F1) are plain C++ with known-answer tests.
#pragma once

#include <array>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"
#include "engine/eval_report.h"
#include "models/attributes.h"

namespace smile::engine {

// Average precision of `scores` for binary `labels` (1 positive): sum over the distinct
// score thresholds, from the highest, of (recall gain) x precision (scikit-learn's
// average_precision_score; tied scores form one step). NaN when there is no positive.
double AveragePrecision(const std::vector<double>& scores, const std::vector<int>& labels);

// F1 of the decisions score >= threshold against labels: 2TP / (2TP + FP + FN);
// NaN when there are neither positives nor positive decisions.
double F1Score(const std::vector<double>& scores, const std::vector<int>& labels, double threshold = 0.5);

struct ManipEvalSample {
  cv::Mat labels;  // CV_8UC1 class ids (any size; resized to the networks' sizes)
  std::array<int, models::kNumAttributes> choices{-1, -1, -1, -1, -1, -1};  // 0 / 1 / -1 unknown
  std::string key;
};

struct ManipEvalOptions {
  std::string manip_checkpoint;  // kind "manip" (smile train manip)
  std::string attr_checkpoint;   // kind "attr" with mask input (smile train attr)
  std::vector<int> attributes;   // attributes to edit (default: all six)
  uint64_t seed = 0;
  int batch = 8;
  int examples = 4;              // example rows (input, edit per attribute) in the record
};

// Runs the protocol above over `samples` on the CPU; returns a record of kind "manip"
// with metrics attr_ap_<Name>, attr_f1_<Name>, attr_map, attr_mf1, cycle_miou and a
// per-attribute table.
Result<EvalRecord> EvaluateManipulation(const std::vector<ManipEvalSample>& samples, const ManipEvalOptions& options);

}  // namespace smile::engine
