// Training pictures drawn with OpenCV: loss curves (one line per loss, axes,
// ticks, legend, exponential smoothing) and image grids (rows of photos and
// colourised label maps in the CelebAMask-HQ palette).
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"
#include "training/loss_log.h"

namespace smile::training {

struct PlotOptions {
  int width = 960;
  int height = 540;
  double smoothing = 0.9;  // EMA weight of the past (0 = raw only); raw values are drawn faint behind
  bool log_y = false;      // falls back to linear when a value is <= 0
  std::string title = "training losses";
  std::vector<std::string> only;  // losses to draw; empty = all
};

// Exponential moving average with bias correction (as TensorBoard's smoothing).
std::vector<double> SmoothSeries(const std::vector<double>& values, double weight);
// "Nice" tick values covering [lo, hi] (about `count` of them).
std::vector<double> NiceTicks(double lo, double hi, int count = 5);

cv::Mat DrawLossCurves(const std::vector<LossRecord>& records, const PlotOptions& options = {});
// Reads a JSONL loss log and writes the PNG atomically.
Status SaveLossCurvePng(const std::string& log_path, const std::string& png_path, const PlotOptions& options = {});

struct GridOptions {
  int cell = 128;  // every cell is resized to cell x cell
  int pad = 2;
  std::vector<std::string> row_titles;     // drawn at the left when given
  std::vector<std::string> column_titles;  // drawn on top when given
};

// Cells: CV_8UC3 BGR images, or CV_8UC1 class maps (colourised with the palette).
// Empty cells stay blank. Rows may have different lengths.
cv::Mat MakeImageGrid(const std::vector<std::vector<cv::Mat>>& rows, const GridOptions& options = {});
Status SaveImageGrid(const std::string& path, const std::vector<std::vector<cv::Mat>>& rows,
                     const GridOptions& options = {});

}  // namespace smile::training
