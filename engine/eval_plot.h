// Small OpenCV charts for the evaluation report: line plots of per-frame series and
// bar charts of one metric across runs. White background, axes with "nice" ticks, legend.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace smile::engine {

struct PlotLine {
  std::string name;
  std::vector<double> x, y;  // non-finite y values leave gaps
};

struct LinePlot {
  std::string title, x_label, y_label;
  std::vector<PlotLine> lines;
};

// BGR image of `width` x `height`.
cv::Mat DrawLinePlot(const LinePlot& plot, int width = 720, int height = 300);
cv::Mat DrawBarChart(const std::string& title, const std::vector<std::string>& labels,
                     const std::vector<double>& values, const std::string& unit, int width = 720, int height = 300);
// About `count` round tick values covering [lo, hi].
std::vector<double> PlotTicks(double lo, double hi, int count = 5);

}  // namespace smile::engine
