#include "apps/contact_sheet.h"

#include <algorithm>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "capture/provenance.h"

namespace smile::app {

ContactSheet::ContactSheet(int64_t total_frames, int rows, int row_height) : row_height_(row_height) {
  for (int k = 0; k < rows && total_frames > 0; ++k) picks_.push_back((total_frames - 1) * (2 * k + 1) / (2 * rows));
}

void ContactSheet::Offer(int64_t sequence, const cv::Mat& row) {
  if (std::find(picks_.begin(), picks_.end(), sequence) == picks_.end() || row.empty()) return;
  cv::Mat small;
  const double f = static_cast<double>(row_height_) / row.rows;
  cv::resize(row, small, cv::Size(), f, f, cv::INTER_AREA);
  if (!rows_.empty() && small.cols != rows_[0].cols) cv::resize(small, small, rows_[0].size(), 0, 0, cv::INTER_AREA);
  rows_.push_back(small);
}

Status ContactSheet::Write(const std::string& path) const {
  if (rows_.empty()) return NotFound("no frames were sampled for the contact sheet '" + path + "'");
  cv::Mat sheet;
  cv::vconcat(rows_, sheet);
  capture::ProvenanceMark mark;  // rows hold generated frames: marked synthetic (PNG tEXt)
  mark.note = "contact sheet";
  return capture::WriteImage(path, sheet, mark).WithContext("contact sheet");
}

}  // namespace smile::app
