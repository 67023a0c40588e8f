#include "engine/eval_manip.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <ATen/CPUGeneratorImpl.h>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "core/face_labels.h"
#include "engine/eval_metrics.h"
#include "models/attr_net.h"
#include "models/checkpoint.h"
#include "models/manip.h"
#include "models/synthesis.h"

namespace smile::engine {

double AveragePrecision(const std::vector<double>& scores, const std::vector<int>& labels) {
  const size_t n = std::min(scores.size(), labels.size());
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  double positives = 0;
  for (size_t i = 0; i < n; ++i) positives += labels[i] == 1;
  if (positives == 0) return std::numeric_limits<double>::quiet_NaN();
  double tp = 0, fp = 0, ap = 0, last_recall = 0;
  for (size_t k = 0; k < n;) {
    size_t j = k;  // one threshold: all samples with this score
    while (j < n && scores[order[j]] == scores[order[k]]) {
      (labels[order[j]] == 1 ? tp : fp) += 1;
      ++j;
    }
    const double recall = tp / positives, precision = tp / (tp + fp);
    ap += (recall - last_recall) * precision;
    last_recall = recall;
    k = j;
  }
  return ap;
}

double F1Score(const std::vector<double>& scores, const std::vector<int>& labels, double threshold) {
  const size_t n = std::min(scores.size(), labels.size());
  double tp = 0, fp = 0, fn = 0;
  for (size_t i = 0; i < n; ++i) {
    const bool pred = scores[i] >= threshold, truth = labels[i] == 1;
    tp += pred && truth;
    fp += pred && !truth;
    fn += !pred && truth;
  }
  if (2 * tp + fp + fn == 0) return std::numeric_limits<double>::quiet_NaN();
  return 2 * tp / (2 * tp + fp + fn);
}

namespace {

// The EMA networks of a "manip" checkpoint (training/manip_trainer's export layout).
struct ManipNets : torch::nn::Module {
  explicit ManipNets(const models::ModelConfig& c)
      : generator(register_module("generator", models::ManipGenerator(c))),
        mapping(register_module("mapping", models::ManipMapping(c))),
        encoder(register_module("encoder", models::ManipStyleEncoder(c))) {}
  models::ManipGenerator generator;
  models::ManipMapping mapping;
  models::ManipStyleEncoder encoder;
};

torch::Tensor LabelsTensor(const std::vector<const cv::Mat*>& maps, int size) {
  auto t = torch::empty({static_cast<int64_t>(maps.size()), size, size}, torch::kLong);
  for (size_t i = 0; i < maps.size(); ++i) {
    cv::Mat m = *maps[i];
    if (m.rows != size || m.cols != size) cv::resize(m, m, cv::Size(size, size), 0, 0, cv::INTER_NEAREST);
    auto u8 = torch::from_blob(m.data, {size, size}, torch::TensorOptions().dtype(torch::kUInt8)).clone();
    t[static_cast<int64_t>(i)] = u8.to(torch::kLong).clamp_max(kNumLabels - 1);
  }
  return t;
}

cv::Mat ToMat(const torch::Tensor& labels) {  // (S,S) int -> CV_8UC1
  auto u8 = labels.to(torch::kUInt8).contiguous();
  return cv::Mat(static_cast<int>(u8.size(0)), static_cast<int>(u8.size(1)), CV_8UC1, u8.data_ptr<uint8_t>()).clone();
}

}  // namespace

Result<EvalRecord> EvaluateManipulation(const std::vector<ManipEvalSample>& samples, const ManipEvalOptions& o) {
  if (samples.empty()) return InvalidArgument("manipulation evaluation needs at least one label map");
  torch::NoGradGuard ng;
  SMILE_ASSIGN_OR_RETURN(auto manip_ckpt, models::LoadCheckpoint(o.manip_checkpoint, models::kKindManip));
  const models::ModelConfig mc = manip_ckpt.header().config;
  auto nets = std::make_shared<ManipNets>(mc);
  {
    auto s = manip_ckpt.LoadInto(*nets);
    if (!s.ok()) return s.WithContext("manipulation checkpoint '" + o.manip_checkpoint + "'");
  }
  nets->eval();
  SMILE_ASSIGN_OR_RETURN(auto attr, models::LoadAttrNet(o.attr_checkpoint));
  if (!attr->spec.mask_input)
    return InvalidArgument("'" + o.attr_checkpoint +
                           "' classifies photos; manipulation outputs are masks: train one with "
                           "`smile train attr --attr-input mask`");
  std::vector<int> attrs = o.attributes;
  if (attrs.empty())
    for (int a = 0; a < models::kNumAttributes; ++a) attrs.push_back(a);
  const int s = mc.manip_size;
  const int64_t n = static_cast<int64_t>(samples.size());
  auto gen = at::detail::createCPUGenerator(o.seed);

  // Scores / targets per attribute, for edits and for the unedited inputs.
  std::vector<std::vector<double>> edit_scores(models::kNumAttributes), input_scores(models::kNumAttributes);
  std::vector<std::vector<int>> edit_targets(models::kNumAttributes), input_truth(models::kNumAttributes);
  std::vector<double> cycle;
  std::vector<std::vector<cv::Mat>> example_rows;
  const int batch = std::max(1, o.batch);
  for (int64_t b0 = 0; b0 < n; b0 += batch) {
    const int64_t m = std::min<int64_t>(batch, n - b0);
    std::vector<const cv::Mat*> maps;
    auto src = torch::empty({m, models::kNumAttributes}, torch::kLong);
    for (int64_t i = 0; i < m; ++i) {
      const auto& smp = samples[static_cast<size_t>(b0 + i)];
      if (smp.labels.empty() || smp.labels.type() != CV_8UC1)
        return InvalidArgument("label map '" + smp.key + "' is not an 8-bit single-channel class map");
      maps.push_back(&smp.labels);
      for (int a = 0; a < models::kNumAttributes; ++a) src[i][a] = smp.choices[a];
    }
    auto labels = LabelsTensor(maps, s);
    auto x = models::OneHotMask(labels, mc.num_classes);
    // The classifier on the inputs themselves.
    auto p_in = attr->Probabilities(attr->MaskInput(labels));
    for (int64_t i = 0; i < m; ++i)
      for (int a = 0; a < models::kNumAttributes; ++a)
        if (src[i][a].item<int64_t>() >= 0) {
          input_scores[a].push_back(p_in[i][a].item<double>());
          input_truth[a].push_back(static_cast<int>(src[i][a].item<int64_t>()));
        }
    auto random_src = torch::randint(0, 2, {m, models::kNumAttributes}, gen, torch::TensorOptions().dtype(torch::kLong));
    auto src_filled = torch::where(src < 0, random_src, src);
    auto s_org = nets->encoder->Style(x, src_filled);
    std::vector<std::vector<cv::Mat>> rows;
    const bool want_examples = static_cast<int>(example_rows.size()) < o.examples;
    if (want_examples)
      for (int64_t i = 0; i < m && static_cast<int>(example_rows.size() + rows.size()) < o.examples; ++i)
        rows.push_back({ColorizeLabels(ToMat(labels[i]))});
    for (int a : attrs) {
      auto trg = src_filled.clone();
      trg.select(1, a).fill_(1).sub_(src_filled.select(1, a));  // the opposite domain
      auto z = torch::randn({m, mc.manip_latent_dim}, gen);
      auto fake = torch::softmax(nets->generator->forward(x, nets->mapping->Style(z, trg)), 1);
      auto edited = fake.argmax(1);
      auto p = attr->Probabilities(attr->MaskInput(edited));
      for (int64_t i = 0; i < m; ++i) {
        edit_scores[a].push_back(p[i][a].item<double>());
        edit_targets[a].push_back(static_cast<int>(trg[i][a].item<int64_t>()));
      }
      // Cycle (eq. 6): back with the source's own style.
      auto rec = nets->generator->forward(fake, s_org).argmax(1);
      for (int64_t i = 0; i < m; ++i) cycle.push_back(MaskMeanIoU(ToMat(labels[i]), ToMat(rec[i])));
      for (size_t r = 0; r < rows.size(); ++r) rows[r].push_back(ColorizeLabels(ToMat(edited[static_cast<int64_t>(r)])));
    }
    for (auto& r : rows) example_rows.push_back(std::move(r));
  }

  EvalRecord rec;
  rec.kind = "manip";
  rec.title = "Semantic manipulation: attribute AP / F1 and cycle mIoU";
  rec.info.set("manip_checkpoint", Json(o.manip_checkpoint));
  rec.info.set("attr_checkpoint", Json(o.attr_checkpoint));
  rec.info.set("samples", Json(static_cast<double>(n)));
  rec.info.set("manip_config", Json(mc.preset));
  if (const auto it = attr->config.extra.find("attr_input"); it != attr->config.extra.end())
    rec.info.set("attr_input", Json(it->second));
  EvalTable table;
  table.title = "Per attribute (edit = every input moved to the opposite domain; input = the classifier on the "
                "unedited inputs with known labels)";
  table.columns = {"attribute", "edits", "AP (edit)", "F1 (edit)", "inputs", "AP (input)", "F1 (input)"};
  std::vector<double> aps, f1s;
  for (int a : attrs) {
    const std::string name(models::kAttributeNames[a]);
    const double ap = AveragePrecision(edit_scores[a], edit_targets[a]);
    const double f1 = F1Score(edit_scores[a], edit_targets[a]);
    const double ap_in = AveragePrecision(input_scores[a], input_truth[a]);
    const double f1_in = F1Score(input_scores[a], input_truth[a]);
    rec.AddMetric("attr_ap_" + name, "attribute AP, " + name, ap, "", false);
    rec.AddMetric("attr_f1_" + name, "attribute F1, " + name, f1, "", false);
    if (std::isfinite(ap)) aps.push_back(ap);
    if (std::isfinite(f1)) f1s.push_back(f1);
    table.rows.push_back({name, std::to_string(edit_scores[a].size()), FormatMetric(ap), FormatMetric(f1),
                          std::to_string(input_scores[a].size()), FormatMetric(ap_in), FormatMetric(f1_in)});
  }
  rec.tables.push_back(table);
  rec.AddMetric("attr_map", "attribute AP, mean over attributes", SeriesMean(aps), "", true);
  rec.AddMetric("attr_mf1", "attribute F1, mean over attributes", SeriesMean(f1s), "", true);
  rec.AddMetric("cycle_miou", "cycle mIoU (eq. 6)", SeriesMean(cycle), "", true);
  if (!example_rows.empty()) {
    const int cell = 96;
    const int cols = static_cast<int>(example_rows[0].size());
    cv::Mat sheet(cell * static_cast<int>(example_rows.size()), cell * cols, CV_8UC3, cv::Scalar(255, 255, 255));
    for (size_t r = 0; r < example_rows.size(); ++r)
      for (size_t c = 0; c < example_rows[r].size(); ++c) {
        cv::Mat t;
        cv::resize(example_rows[r][c], t, cv::Size(cell, cell), 0, 0, cv::INTER_NEAREST);
        t.copyTo(sheet(cv::Rect(static_cast<int>(c) * cell, static_cast<int>(r) * cell, cell, cell)));
      }
    std::string cols_text = "input";
    for (int a : attrs) cols_text += ", toggle " + std::string(models::kAttributeNames[a]);
    rec.images.push_back(MakeEvalImage("Edits (columns: " + cols_text + ")", sheet));
  }
  rec.notes.push_back("AP / F1 use the edit targets as ground truth and the attribute classifier's probability on "
                      "the edited mask as the score (F1 at 0.5); NaN = no positive in that set.");
  rec.notes.push_back("Head pose error needs rendered photos: see `smile eval fit` / `smile eval video`.");
  return rec;
}

}  // namespace smile::engine
