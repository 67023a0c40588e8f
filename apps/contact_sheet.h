// ContactSheet: a still PNG of a few evenly spaced frames of a job, one row per
// frame (e.g. input | mask | output), for `smile swap --sheet` and `smile demo`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "core/status.h"

namespace smile::app {

class ContactSheet {
 public:
  // `total_frames` of the job (<= 0: unknown, nothing is kept); rows scaled to `row_height`.
  ContactSheet(int64_t total_frames, int rows = 6, int row_height = 480);
  // Keeps `row` when `sequence` is one of the sampled frames.
  void Offer(int64_t sequence, const cv::Mat& row);
  bool empty() const { return rows_.empty(); }
  Status Write(const std::string& path) const;

 private:
  std::vector<int64_t> picks_;
  std::vector<cv::Mat> rows_;
  int row_height_;
};

}  // namespace smile::app
