#include "training/plots.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

#include <opencv2/imgproc.hpp>

#include "training/atomic_file.h"
#include "training/labels.h"

namespace smile::training {

std::vector<double> SmoothSeries(const std::vector<double>& v, double w) {
  std::vector<double> out(v.size());
  double ema = 0, norm = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) {
      out[i] = std::numeric_limits<double>::quiet_NaN();
      continue;
    }
    ema = w * ema + (1 - w) * v[i];
    norm = w * norm + (1 - w);
    out[i] = norm > 0 ? ema / norm : v[i];
  }
  return out;
}

std::vector<double> NiceTicks(double lo, double hi, int count) {
  std::vector<double> ticks;
  if (!(hi > lo) || count < 1) return {lo};
  double raw = (hi - lo) / count;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push_back(std::abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

namespace {
const cv::Scalar kColours[] = {{180, 119, 31}, {14, 127, 255}, {44, 160, 44},  {40, 39, 214},
                               {189, 103, 148}, {75, 86, 140}, {194, 119, 227}, {127, 127, 127},
                               {34, 189, 188}, {207, 190, 23}};

std::string Fmt(double v) {
  char buf[32];
  double a = std::abs(v);
  if (a != 0 && (a >= 1e5 || a < 1e-3)) std::snprintf(buf, sizeof(buf), "%.1e", v);
  else std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}
}  // namespace

cv::Mat DrawLossCurves(const std::vector<LossRecord>& records, const PlotOptions& o) {
  cv::Mat img(o.height, o.width, CV_8UC3, cv::Scalar(255, 255, 255));
  const int left = 80, right = 20, top = 36, bottom = 48;
  const cv::Rect area(left, top, o.width - left - right, o.height - top - bottom);
  std::set<std::string> names;
  for (const auto& r : records)
    for (const auto& [k, v] : r.losses)
      if (o.only.empty() || std::find(o.only.begin(), o.only.end(), k) != o.only.end()) names.insert(k);
  cv::putText(img, o.title, cv::Point(left, 24), cv::FONT_HERSHEY_SIMPLEX, 0.6, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  if (records.empty() || names.empty()) {
    cv::putText(img, "no data", cv::Point(area.x + area.width / 2 - 40, area.y + area.height / 2),
                cv::FONT_HERSHEY_SIMPLEX, 0.7, cv::Scalar(80, 80, 80), 1, cv::LINE_AA);
    cv::rectangle(img, area, cv::Scalar(0, 0, 0));
    return img;
  }
  // Series per loss.
  struct Series {
    std::string name;
    std::vector<double> x, raw, smooth;
  };
  std::vector<Series> series;
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
  bool positive = true;
  for (const auto& n : names) {
    Series s;
    s.name = n;
    for (const auto& r : records) {
      auto it = r.losses.find(n);
      if (it == r.losses.end()) continue;
      s.x.push_back(static_cast<double>(r.iteration));
      s.raw.push_back(it->second);
    }
    s.smooth = SmoothSeries(s.raw, o.smoothing);
    for (size_t i = 0; i < s.x.size(); ++i) {
      xmin = std::min(xmin, s.x[i]);
      xmax = std::max(xmax, s.x[i]);
      for (double v : {s.raw[i], s.smooth[i]}) {
        if (!std::isfinite(v)) continue;
        ymin = std::min(ymin, v);
        ymax = std::max(ymax, v);
        positive &= v > 0;
      }
    }
    series.push_back(std::move(s));
  }
  if (!std::isfinite(ymin)) ymin = 0, ymax = 1;
  const bool logy = o.log_y && positive;
  auto ty = [&](double v) { return logy ? std::log10(v) : v; };
  double y0 = ty(ymin), y1 = ty(ymax);
  if (y1 - y0 < 1e-12) y0 -= 0.5, y1 += 0.5;
  double pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  if (xmax <= xmin) xmin -= 1, xmax += 1;
  auto px = [&](double x) { return area.x + static_cast<int>(std::lround((x - xmin) / (xmax - xmin) * area.width)); };
  auto py = [&](double y) {
    return area.y + area.height - static_cast<int>(std::lround((ty(y) - y0) / (y1 - y0) * area.height));
  };
  // Grid, ticks, labels.
  const cv::Scalar grid(225, 225, 225), black(0, 0, 0);
  for (double t : NiceTicks(y0, y1, 6)) {
    int yy = area.y + area.height - static_cast<int>(std::lround((t - y0) / (y1 - y0) * area.height));
    cv::line(img, cv::Point(area.x, yy), cv::Point(area.x + area.width, yy), grid);
    std::string label = logy ? Fmt(std::pow(10.0, t)) : Fmt(t);
    cv::putText(img, label, cv::Point(8, yy + 4), cv::FONT_HERSHEY_SIMPLEX, 0.4, black, 1, cv::LINE_AA);
  }
  for (double t : NiceTicks(xmin, xmax, 8)) {
    int xx = px(t);
    cv::line(img, cv::Point(xx, area.y), cv::Point(xx, area.y + area.height), grid);
    std::string label = Fmt(t);
    cv::putText(img, label, cv::Point(xx - 4 * static_cast<int>(label.size()), area.y + area.height + 16),
                cv::FONT_HERSHEY_SIMPLEX, 0.4, black, 1, cv::LINE_AA);
  }
  cv::rectangle(img, area, black);
  cv::putText(img, "iteration", cv::Point(area.x + area.width / 2 - 30, o.height - 10), cv::FONT_HERSHEY_SIMPLEX, 0.45,
              black, 1, cv::LINE_AA);
  cv::putText(img, logy ? "loss (log)" : "loss", cv::Point(8, top - 6), cv::FONT_HERSHEY_SIMPLEX, 0.4, black, 1,
              cv::LINE_AA);
  // Lines: raw faint, smoothed solid.
  img(area).copyTo(img(area));
  for (size_t si = 0; si < series.size(); ++si) {
    const Series& s = series[si];
    cv::Scalar c = kColours[si % (sizeof(kColours) / sizeof(kColours[0]))];
    cv::Scalar faint = c * 0.35 + cv::Scalar(255, 255, 255) * 0.65;
    for (int pass = 0; pass < (o.smoothing > 0 ? 2 : 1); ++pass) {
      const auto& ys = (pass == 0 && o.smoothing > 0) ? s.raw : s.smooth;
      std::vector<cv::Point> pts;
      auto flush = [&] {
        if (pts.size() == 1) cv::circle(img, pts[0], 2, pass == 0 && o.smoothing > 0 ? faint : c, cv::FILLED);
        if (pts.size() > 1)
          cv::polylines(img, pts, false, pass == 0 && o.smoothing > 0 ? faint : c, pass == 0 ? 1 : 2, cv::LINE_AA);
        pts.clear();
      };
      for (size_t i = 0; i < s.x.size(); ++i) {
        if (!std::isfinite(ys[i])) {
          flush();
          continue;
        }
        pts.emplace_back(px(s.x[i]), py(ys[i]));
      }
      flush();
    }
  }
  // Legend (top right, inside the plot).
  int lw = 0;
  for (const auto& s : series) lw = std::max(lw, cv::getTextSize(s.name, cv::FONT_HERSHEY_SIMPLEX, 0.45, 1, nullptr).width);
  cv::Rect legend(area.x + area.width - lw - 48, area.y + 8, lw + 40, 20 * static_cast<int>(series.size()) + 8);
  cv::rectangle(img, legend, cv::Scalar(255, 255, 255), cv::FILLED);
  cv::rectangle(img, legend, cv::Scalar(160, 160, 160));
  for (size_t si = 0; si < series.size(); ++si) {
    int yy = legend.y + 18 + 20 * static_cast<int>(si);
    cv::Scalar c = kColours[si % (sizeof(kColours) / sizeof(kColours[0]))];
    cv::line(img, cv::Point(legend.x + 6, yy - 4), cv::Point(legend.x + 28, yy - 4), c, 2, cv::LINE_AA);
    cv::putText(img, series[si].name, cv::Point(legend.x + 34, yy), cv::FONT_HERSHEY_SIMPLEX, 0.45, black, 1,
                cv::LINE_AA);
  }
  return img;
}

Status SaveLossCurvePng(const std::string& log_path, const std::string& png_path, const PlotOptions& options) {
  SMILE_ASSIGN_OR_RETURN(auto records, ReadLossLog(log_path));
  return WriteImageAtomic(png_path, DrawLossCurves(records, options));
}

cv::Mat MakeImageGrid(const std::vector<std::vector<cv::Mat>>& rows, const GridOptions& o) {
  size_t cols = 0;
  for (const auto& r : rows) cols = std::max(cols, r.size());
  const int cell = o.cell, pad = o.pad;
  const int title_w = o.row_titles.empty() ? 0 : 110;
  const int title_h = o.column_titles.empty() ? 0 : 22;
  const int w = title_w + static_cast<int>(cols) * (cell + pad) + pad;
  const int h = title_h + static_cast<int>(rows.size()) * (cell + pad) + pad;
  cv::Mat grid(std::max(h, 1), std::max(w, 1), CV_8UC3, cv::Scalar(255, 255, 255));
  for (size_t c = 0; c < o.column_titles.size() && c < cols; ++c)
    cv::putText(grid, o.column_titles[c], cv::Point(title_w + pad + static_cast<int>(c) * (cell + pad), 16),
                cv::FONT_HERSHEY_SIMPLEX, 0.42, cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  for (size_t r = 0; r < rows.size(); ++r) {
    int y = title_h + pad + static_cast<int>(r) * (cell + pad);
    if (r < o.row_titles.size())
      cv::putText(grid, o.row_titles[r], cv::Point(4, y + cell / 2), cv::FONT_HERSHEY_SIMPLEX, 0.42,
                  cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
    for (size_t c = 0; c < rows[r].size(); ++c) {
      const cv::Mat& m = rows[r][c];
      if (m.empty()) continue;
      cv::Mat bgr;
      if (m.type() == CV_8UC1) bgr = ColorizeLabels(m);
      else if (m.type() == CV_8UC3) bgr = m;
      else if (m.type() == CV_8UC4) cv::cvtColor(m, bgr, cv::COLOR_BGRA2BGR);
      else continue;
      cv::Mat fitted;
      cv::resize(bgr, fitted, cv::Size(cell, cell), 0, 0, m.type() == CV_8UC1 ? cv::INTER_NEAREST : cv::INTER_AREA);
      int x = title_w + pad + static_cast<int>(c) * (cell + pad);
      fitted.copyTo(grid(cv::Rect(x, y, cell, cell)));
    }
  }
  return grid;
}

Status SaveImageGrid(const std::string& path, const std::vector<std::vector<cv::Mat>>& rows, const GridOptions& o) {
  if (rows.empty()) return InvalidArgument("image grid '" + path + "' has no rows");
  return WriteImageAtomic(path, MakeImageGrid(rows, o));
}

}  // namespace smile::training
