// Frame: one immutable, timestamped video frame passed between pipeline stages.
// The pixels are shared (never copied between stages) and must not be modified.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <opencv2/core.hpp>

namespace smile {

struct Frame {
  int64_t pts_us = 0;     // presentation time in microseconds from stream start
  int64_t sequence = 0;   // 0-based index in the source
  int64_t capture_us = 0; // steady-clock time the frame entered the pipeline (latency)
  std::shared_ptr<const cv::Mat> image;             // BGR 8-bit, never modified once shared
  std::shared_ptr<const std::map<std::string, std::string>> metadata;  // optional

  bool empty() const { return !image || image->empty(); }
  int width() const { return image ? image->cols : 0; }
  int height() const { return image ? image->rows : 0; }

  // Builds a frame that owns `mat` (moved in, so no copy).
  static Frame FromMat(cv::Mat mat, int64_t pts_us, int64_t sequence);
  // Returns a copy of this frame with one metadata key set (the original is unchanged).
  Frame WithMetadata(const std::string& key, const std::string& value) const;
  // Metadata lookup; empty string when absent.
  std::string Meta(const std::string& key) const;
};

// Monotonic clock in microseconds (for latency measurements).
int64_t SteadyMicros();

}  // namespace smile
