#include "engine/eval_report.h"

#include <cmath>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <sstream>

#include <opencv2/imgcodecs.hpp>

namespace smile::engine {

const EvalMetric* EvalRecord::FindMetric(const std::string& key) const {
  for (const auto& m : metrics)
    if (m.key == key) return &m;
  return nullptr;
}

Json EvalRecord::ToJson() const {
  Json j = Json::Object();
  j.set("smile_eval", 1);
  j.set("kind", kind);
  j.set("title", title);
  j.set("info", info);
  Json ms = Json::Array();
  for (const auto& m : metrics) {
    Json o = Json::Object();
    o.set("key", m.key);
    o.set("label", m.label);
    o.set("value", std::isinf(m.value) ? Json(m.value > 0 ? "inf" : "-inf") : Json(m.value));
    o.set("unit", m.unit);
    o.set("bar", m.bar);
    ms.push_back(o);
  }
  j.set("metrics", ms);
  Json ts = Json::Array();
  for (const auto& t : tables) {
    Json o = Json::Object();
    o.set("title", t.title);
    Json cols = Json::Array();
    for (const auto& c : t.columns) cols.push_back(c);
    o.set("columns", cols);
    Json rows = Json::Array();
    for (const auto& r : t.rows) {
      Json row = Json::Array();
      for (const auto& c : r) row.push_back(c);
      rows.push_back(row);
    }
    o.set("rows", rows);
    ts.push_back(o);
  }
  j.set("tables", ts);
  Json ss = Json::Array();
  for (const auto& s : series) {
    Json o = Json::Object();
    o.set("title", s.title);
    o.set("x_label", s.x_label);
    o.set("y_label", s.y_label);
    Json lines = Json::Array();
    for (const auto& l : s.lines) {
      Json lo = Json::Object();
      lo.set("name", l.name);
      lo.set("x", Json(l.x));
      lo.set("y", Json(l.y));
      lines.push_back(lo);
    }
    o.set("lines", lines);
    ss.push_back(o);
  }
  j.set("series", ss);
  Json is = Json::Array();
  for (const auto& i : images) {
    Json o = Json::Object();
    o.set("title", i.title);
    o.set("png_base64", i.png_base64);
    is.push_back(o);
  }
  j.set("images", is);
  Json ns = Json::Array();
  for (const auto& n : notes) ns.push_back(n);
  j.set("notes", ns);
  return j;
}

Result<EvalRecord> EvalRecord::FromJson(const Json& j) {
  if (!j.is_object() || !j.has("smile_eval") || !j.get("metrics").is_array())
    return InvalidArgument("not a smile evaluation result (written by smile eval ... --json)");
  EvalRecord r;
  r.kind = j.get("kind").str();
  r.title = j.get("title").str();
  if (j.get("info").is_object()) r.info = j.get("info");
  for (const auto& m : j.get("metrics").items()) {
    EvalMetric e;
    e.key = m.get("key").str();
    e.label = m.get("label").str();
    const Json& v = m.get("value");
    e.value = v.is_string() ? (v.str() == "-inf" ? -INFINITY : INFINITY) : v.number();
    e.unit = m.get("unit").str();
    e.bar = m.get("bar").boolean();
    r.metrics.push_back(e);
  }
  for (const auto& t : j.get("tables").items()) {
    EvalTable e;
    e.title = t.get("title").str();
    for (const auto& c : t.get("columns").items()) e.columns.push_back(c.str());
    for (const auto& row : t.get("rows").items()) {
      std::vector<std::string> cells;
      for (const auto& c : row.items()) cells.push_back(c.str());
      e.rows.push_back(cells);
    }
    r.tables.push_back(e);
  }
  for (const auto& s : j.get("series").items()) {
    LinePlot p;
    p.title = s.get("title").str();
    p.x_label = s.get("x_label").str();
    p.y_label = s.get("y_label").str();
    for (const auto& l : s.get("lines").items()) p.lines.push_back({l.get("name").str(), l.get("x").numbers(), l.get("y").numbers()});
    r.series.push_back(p);
  }
  for (const auto& i : j.get("images").items()) r.images.push_back({i.get("title").str(), i.get("png_base64").str()});
  for (const auto& n : j.get("notes").items()) r.notes.push_back(n.str());
  return r;
}

std::string Base64Encode(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += t[v >> 18], out += t[(v >> 12) & 63], out += t[(v >> 6) & 63], out += t[v & 63];
  }
  if (i + 1 == in.size()) {
    const uint32_t v = uint8_t(in[i]) << 16;
    out += t[v >> 18], out += t[(v >> 12) & 63], out += "==";
  } else if (i + 2 == in.size()) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += t[v >> 18], out += t[(v >> 12) & 63], out += t[(v >> 6) & 63], out += '=';
  }
  return out;
}

EvalImage MakeEvalImage(const std::string& title, const cv::Mat& bgr) {
  std::vector<uchar> buf;
  cv::imencode(".png", bgr, buf);
  return {title, Base64Encode(std::string(buf.begin(), buf.end()))};
}

std::string FormatMetric(double v, int decimals) {
  if (std::isnan(v)) return "n/a";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char b[48];
  std::snprintf(b, sizeof(b), "%.*f", decimals, v);
  return b;
}

std::string MetricsTable(const EvalRecord& r) {
  size_t w = 6;
  for (const auto& m : r.metrics) w = std::max(w, m.label.size());
  std::string out;
  for (const auto& m : r.metrics) {
    std::string label = m.label;
    label.resize(w, ' ');
    out += "  " + label + "  " + FormatMetric(m.value, 3) + (m.unit.empty() ? "" : " " + m.unit) + "\n";
  }
  return out;
}

namespace {

std::string Esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string Figure(const EvalImage& img) {
  return "<figure><img alt=\"" + Esc(img.title) + "\" src=\"data:image/png;base64," + img.png_base64 +
         "\"><figcaption>" + Esc(img.title) + "</figcaption></figure>\n";
}

std::string Table(const EvalTable& t) {
  std::string h = t.title.empty() ? "" : "<h4>" + Esc(t.title) + "</h4>\n";
  h += "<table><tr>";
  for (const auto& c : t.columns) h += "<th>" + Esc(c) + "</th>";
  h += "</tr>\n";
  for (const auto& r : t.rows) {
    h += "<tr>";
    for (const auto& c : r) h += "<td>" + Esc(c) + "</td>";
    h += "</tr>\n";
  }
  return h + "</table>\n";
}

const char* kStyle = R"(
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px auto;max-width:1180px;color:#222;background:#fafafa}
h1{font-size:1.6em;margin-bottom:4px} h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:40px}
h3{margin-top:24px} .meta{color:#777;font-size:.9em}
table{border-collapse:collapse;margin:8px 0 16px;background:#fff;font-size:.92em}
th,td{border:1px solid #ddd;padding:4px 10px;text-align:left} th{background:#f0f0f0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{display:inline-block;margin:6px 10px 14px 0;vertical-align:top;background:#fff;padding:6px;border:1px solid #e4e4e4}
figure img{max-width:1120px;display:block} figcaption{font-size:.85em;color:#555;margin-top:4px}
.note{background:#fff8e1;border-left:4px solid #f0c040;padding:6px 10px;margin:6px 0;font-size:.92em}
)";

}  // namespace

std::string MarkdownSummary(const std::vector<EvalRecord>& records, int decimals) {
  std::vector<std::string> kinds;
  for (const auto& r : records)
    if (std::find(kinds.begin(), kinds.end(), r.kind) == kinds.end()) kinds.push_back(r.kind);
  auto cell = [](std::string s) {
    for (auto& c : s)
      if (c == '|' || c == '\n') c = ' ';
    return s;
  };
  std::string out;
  for (const auto& kind : kinds) {
    std::vector<const EvalMetric*> columns;  // first occurrence of each key (label, unit)
    for (const auto& r : records)
      if (r.kind == kind)
        for (const auto& m : r.metrics) {
          bool seen = false;
          for (const auto* c : columns) seen |= c->key == m.key;
          if (m.bar && !seen) columns.push_back(&m);
        }
    out += "| " + kind + " run |";
    for (const auto* c : columns) out += " " + cell(c->label) + (c->unit.empty() ? "" : " (" + cell(c->unit) + ")") + " |";
    out += "\n| --- |";
    for (size_t k = 0; k < columns.size(); ++k) out += " --- |";
    out += "\n";
    for (const auto& r : records) {
      if (r.kind != kind) continue;
      out += "| " + cell(r.title) + " |";
      for (const auto* c : columns) {
        const EvalMetric* m = r.FindMetric(c->key);
        out += " " + (m ? FormatMetric(m->value, decimals) : std::string("-")) + " |";
      }
      out += "\n";
    }
    out += "\n";
  }
  return out;
}

std::string BuildHtmlReport(const std::vector<EvalRecord>& records, const ReportOptions& o) {
  std::ostringstream h;
  std::time_t now = std::time(nullptr);
  char when[64];
  std::strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" << Esc(o.title)
    << "</title>\n<style>" << kStyle << "</style></head><body>\n";
  h << "<h1>" << Esc(o.title) << "</h1>\n<p class=\"meta\">generated " << when << " by smile eval report from "
    << records.size() << " result file(s)</p>\n";
  for (const auto& n : o.notes) h << "<div class=\"note\">" << Esc(n) << "</div>\n";
  // Overview: every run, and bar charts of the key metrics across runs.
  h << "<h2>Overview</h2>\n<table><tr><th>#</th><th>kind</th><th>run</th><th>source</th></tr>\n";
  for (size_t i = 0; i < records.size(); ++i)
    h << "<tr><td>" << i + 1 << "</td><td>" << Esc(records[i].kind) << "</td><td>" << Esc(records[i].title)
      << "</td><td>" << (i < o.sources.size() ? Esc(o.sources[i]) : "") << "</td></tr>\n";
  h << "</table>\n";
  std::vector<std::string> bar_keys;
  for (const auto& r : records)
    for (const auto& m : r.metrics)
      if (m.bar && std::find(bar_keys.begin(), bar_keys.end(), m.key) == bar_keys.end()) bar_keys.push_back(m.key);
  for (const auto& key : bar_keys) {
    std::vector<std::string> labels;
    std::vector<double> values;
    std::string label, unit;
    for (size_t i = 0; i < records.size(); ++i)
      if (const EvalMetric* m = records[i].FindMetric(key)) {
        labels.push_back(std::to_string(i + 1) + ": " + records[i].title);
        values.push_back(std::isfinite(m->value) ? m->value : NAN);
        label = m->label, unit = m->unit;
      }
    const int width = std::max(360, std::min(1100, 140 * static_cast<int>(values.size()) + 120));
    h << Figure(MakeEvalImage(label + " per run", DrawBarChart(label, labels, values, unit, width, 260)));
  }
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    h << "<h2>" << i + 1 << ". " << Esc(r.title) << " <span class=\"meta\">(" << Esc(r.kind) << ")</span></h2>\n";
    if (r.info.is_object() && r.info.size() > 0) {
      h << "<table>";
      for (const auto& [k, v] : r.info.members())
        h << "<tr><th>" << Esc(k) << "</th><td>" << Esc(v.is_string() ? v.str() : v.Dump(-1)) << "</td></tr>";
      h << "</table>\n";
    }
    for (const auto& n : r.notes) h << "<div class=\"note\">" << Esc(n) << "</div>\n";
    if (!r.metrics.empty()) {
      h << "<h3>Metrics</h3>\n<table><tr><th>metric</th><th>value</th><th>unit</th></tr>\n";
      for (const auto& m : r.metrics)
        h << "<tr><td>" << Esc(m.label) << "</td><td class=\"num\">" << FormatMetric(m.value, 3) << "</td><td>"
          << Esc(m.unit) << "</td></tr>\n";
      h << "</table>\n";
    }
    for (const auto& t : r.tables) h << Table(t);
    if (!r.series.empty()) h << "<h3>Per-frame plots</h3>\n";
    for (const auto& s : r.series) h << Figure(MakeEvalImage(s.title, DrawLinePlot(s, 1000, 300)));
    if (!r.images.empty()) h << "<h3>Frames</h3>\n";
    for (const auto& img : r.images) h << Figure(img);
  }
  if (!o.extra_images.empty()) {
    h << "<h2>Training</h2>\n";
    for (const auto& img : o.extra_images) h << Figure(img);
  }
  h << "</body></html>\n";
  return h.str();
}

Status WriteHtmlReport(const std::string& path, const std::vector<EvalRecord>& records, const ReportOptions& o) {
  namespace fs = std::filesystem;
  auto dir = fs::absolute(path).parent_path();
  if (!fs::is_directory(dir)) return NotFound("folder '" + dir.string() + "' does not exist; create it first");
  const std::string tmp = path + ".partial";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return IoError("cannot write '" + tmp + "'; check permissions and free space");
    out << BuildHtmlReport(records, o);
    if (!out) return IoError("writing '" + tmp + "' failed; check free space");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return IoError("cannot rename '" + tmp + "' to '" + path + "': " + ec.message());
  return Status::Ok();
}

}  // namespace smile::engine
