#include "engine/eval_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <opencv2/imgproc.hpp>

namespace smile::engine {
namespace {

const cv::Scalar kColors[] = {{180, 119, 31}, {14, 127, 255}, {44, 160, 44}, {40, 39, 214},
                              {189, 103, 148}, {75, 86, 140}, {194, 119, 227}, {127, 127, 127}};

std::string Fmt(double v) {
  char b[32];
  if (std::fabs(v) >= 1000 || (std::fabs(v) < 0.01 && v != 0))
    std::snprintf(b, sizeof(b), "%.3g", v);
  else
    std::snprintf(b, sizeof(b), "%.4g", v);
  return b;
}

void Text(cv::Mat& img, const std::string& s, cv::Point p, double scale = 0.4, cv::Scalar c = {40, 40, 40},
          int thick = 1) {
  cv::putText(img, s, p, cv::FONT_HERSHEY_SIMPLEX, scale, c, thick, cv::LINE_AA);
}

int TextWidth(const std::string& s, double scale = 0.4) {
  int base = 0;
  return cv::getTextSize(s, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &base).width;
}

}  // namespace

std::vector<double> PlotTicks(double lo, double hi, int count) {
  if (!(hi > lo)) {
    const double pad = std::fabs(lo) > 0 ? std::fabs(lo) * 0.1 : 1.0;
    lo -= pad, hi += pad;
  }
  const double raw = (hi - lo) / std::max(1, count);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  std::vector<double> t;
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
    t.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
  return t;
}

cv::Mat DrawLinePlot(const LinePlot& plot, int width, int height) {
  cv::Mat img(height, width, CV_8UC3, cv::Scalar::all(255));
  const int left = 60, right = 14, top = 28, bottom = 40;
  const cv::Rect area(left, top, width - left - right, height - top - bottom);
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const auto& l : plot.lines)
    for (size_t i = 0; i < l.y.size() && i < l.x.size(); ++i) {
      if (!std::isfinite(l.y[i]) || !std::isfinite(l.x[i])) continue;
      x0 = std::min(x0, l.x[i]), x1 = std::max(x1, l.x[i]);
      y0 = std::min(y0, l.y[i]), y1 = std::max(y1, l.y[i]);
    }
  Text(img, plot.title, {left, 18}, 0.5, {0, 0, 0});
  if (x0 > x1) {
    Text(img, "no data", {area.x + area.width / 2 - 30, area.y + area.height / 2});
    return img;
  }
  auto xt = PlotTicks(x0, x1, 6), yt = PlotTicks(y0, y1, 5);
  x0 = std::min(x0, xt.front()), x1 = std::max(x1, xt.back());
  y0 = std::min(y0, yt.front()), y1 = std::max(y1, yt.back());
  if (x1 <= x0) x1 = x0 + 1;
  if (y1 <= y0) y1 = y0 + 1;
  auto px = [&](double x) { return area.x + static_cast<int>(std::lround((x - x0) / (x1 - x0) * area.width)); };
  auto py = [&](double y) { return area.y + area.height - static_cast<int>(std::lround((y - y0) / (y1 - y0) * area.height)); };
  for (double t : yt) {
    cv::line(img, {area.x, py(t)}, {area.x + area.width, py(t)}, cv::Scalar::all(230));
    std::string s = Fmt(t);
    Text(img, s, {area.x - 6 - TextWidth(s), py(t) + 4});
  }
  for (double t : xt) {
    cv::line(img, {px(t), area.y + area.height}, {px(t), area.y + area.height + 4}, cv::Scalar::all(80));
    std::string s = Fmt(t);
    Text(img, s, {px(t) - TextWidth(s) / 2, area.y + area.height + 16});
  }
  cv::rectangle(img, area, cv::Scalar::all(80));
  Text(img, plot.x_label, {area.x + area.width / 2 - TextWidth(plot.x_label) / 2, height - 6});
  Text(img, plot.y_label, {4, top - 8 + 0}, 0.4, {90, 90, 90});
  for (size_t k = 0; k < plot.lines.size(); ++k) {
    const auto& l = plot.lines[k];
    const cv::Scalar c = kColors[k % 8];
    bool have = false;
    cv::Point prev;
    for (size_t i = 0; i < l.y.size() && i < l.x.size(); ++i) {
      if (!std::isfinite(l.y[i])) {
        have = false;
        continue;
      }
      cv::Point p(px(l.x[i]), py(l.y[i]));
      if (have) cv::line(img, prev, p, c, 1, cv::LINE_AA);
      if (l.y.size() < 60) cv::circle(img, p, 2, c, cv::FILLED, cv::LINE_AA);
      prev = p, have = true;
    }
    const int lx = area.x + area.width - 170, ly = area.y + 14 + 16 * static_cast<int>(k);
    cv::line(img, {lx, ly - 4}, {lx + 18, ly - 4}, c, 2);
    Text(img, l.name, {lx + 24, ly});
  }
  return img;
}

cv::Mat DrawBarChart(const std::string& title, const std::vector<std::string>& labels,
                     const std::vector<double>& values, const std::string& unit, int width, int height) {
  cv::Mat img(height, width, CV_8UC3, cv::Scalar::all(255));
  const int left = 60, right = 14, top = 28, bottom = 44;
  const cv::Rect area(left, top, width - left - right, height - top - bottom);
  Text(img, title + (unit.empty() ? "" : " (" + unit + ")"), {left, 18}, 0.5, {0, 0, 0});
  double lo = 0, hi = 0;
  for (double v : values)
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  auto yt = PlotTicks(lo, hi, 5);
  lo = std::min(lo, yt.front()), hi = std::max(hi, yt.back());
  if (hi <= lo) hi = lo + 1;
  auto py = [&](double y) { return area.y + area.height - static_cast<int>(std::lround((y - lo) / (hi - lo) * area.height)); };
  for (double t : yt) {
    cv::line(img, {area.x, py(t)}, {area.x + area.width, py(t)}, cv::Scalar::all(230));
    std::string s = Fmt(t);
    Text(img, s, {area.x - 6 - TextWidth(s), py(t) + 4});
  }
  const int n = std::max<int>(1, static_cast<int>(values.size()));
  const int slot = area.width / n, bar = std::max(4, std::min(80, slot * 2 / 3));
  for (int i = 0; i < static_cast<int>(values.size()); ++i) {
    const int cx = area.x + slot * i + slot / 2;
    if (std::isfinite(values[i])) {
      cv::rectangle(img, cv::Point(cx - bar / 2, py(values[i])), cv::Point(cx + bar / 2, py(0)), kColors[i % 8],
                    cv::FILLED);
      std::string s = Fmt(values[i]);
      Text(img, s, {cx - TextWidth(s) / 2, std::min(py(values[i]), py(0)) - 4});
    } else {
      Text(img, "n/a", {cx - 10, py(0) - 4});
    }
    std::string name = i < static_cast<int>(labels.size()) ? labels[i] : "";
    while (name.size() > 4 && TextWidth(name) > slot - 4) name = name.substr(0, name.size() - 4) + "..";
    Text(img, name, {cx - TextWidth(name) / 2, area.y + area.height + 16});
  }
  cv::rectangle(img, area, cv::Scalar::all(80));
  return img;
}

}  // namespace smile::engine
