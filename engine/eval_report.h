// The results of one `smile eval <what>` run (EvalRecord), their JSON form, and the
// self-contained HTML report built from several of them (`smile eval report`): inline
// CSS, PNG charts and frames embedded as base64 data URIs, no external reference.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"
#include "engine/eval_json.h"
#include "engine/eval_plot.h"

namespace smile::engine {

struct EvalMetric {
  std::string key;    // machine name, e.g. "crop_psnr_fixed"
  std::string label;  // "PSNR, crop, fixed style"
  double value = 0;   // non-finite: not measured / infinite (written as null)
  std::string unit;   // "dB", "", "px", "deg"
  bool bar = false;   // draw a bar chart of it across runs in the report
};

struct EvalTable {
  std::string title;
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

struct EvalImage {
  std::string title;
  std::string png_base64;
};

struct EvalRecord {
  std::string kind;   // "fit", "video", ...
  std::string title;
  Json info = Json::Object();  // inputs and settings (strings / numbers)
  std::vector<EvalMetric> metrics;
  std::vector<EvalTable> tables;
  std::vector<LinePlot> series;
  std::vector<EvalImage> images;
  std::vector<std::string> notes;

  void AddMetric(const std::string& key, const std::string& label, double value, const std::string& unit = "",
                 bool bar = false) {
    metrics.push_back({key, label, value, unit, bar});
  }
  const EvalMetric* FindMetric(const std::string& key) const;
  Json ToJson() const;
  static Result<EvalRecord> FromJson(const Json& json);
};

std::string Base64Encode(const std::string& bytes);
// PNG-encodes a BGR image for an EvalImage.
EvalImage MakeEvalImage(const std::string& title, const cv::Mat& bgr);
// "12.34" style formatting of a metric value ("inf", "n/a").
std::string FormatMetric(double value, int decimals = 3);
// The metrics as an aligned text table (for the terminal).
std::string MetricsTable(const EvalRecord& record);

struct ReportOptions {
  std::string title = "smile evaluation report";
  std::vector<EvalImage> extra_images;  // e.g. training loss curves
  std::vector<std::string> sources;     // the JSON files read (listed in the report)
  std::vector<std::string> notes;       // shown at the top (e.g. what was not evaluated and why)
};

// Markdown tables of the key metrics (those drawn as bars) of each kind of run, one row per
// run: for quoting in notes and docs (`smile eval report --markdown FILE`).
std::string MarkdownSummary(const std::vector<EvalRecord>& records, int decimals = 3);

std::string BuildHtmlReport(const std::vector<EvalRecord>& records, const ReportOptions& options = {});
Status WriteHtmlReport(const std::string& path, const std::vector<EvalRecord>& records,
                       const ReportOptions& options = {});

}  // namespace smile::engine
