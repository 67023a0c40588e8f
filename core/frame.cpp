#include "core/frame.h"

#include <chrono>

namespace smile {

Frame Frame::FromMat(cv::Mat mat, int64_t pts_us, int64_t sequence) {
  Frame f;
  f.pts_us = pts_us;
  f.sequence = sequence;
  f.capture_us = SteadyMicros();
  f.image = std::make_shared<const cv::Mat>(std::move(mat));
  return f;
}

Frame Frame::WithMetadata(const std::string& key, const std::string& value) const {
  Frame f = *this;
  auto meta = metadata ? std::make_shared<std::map<std::string, std::string>>(*metadata)
                       : std::make_shared<std::map<std::string, std::string>>();
  (*meta)[key] = value;
  f.metadata = std::move(meta);
  return f;
}

std::string Frame::Meta(const std::string& key) const {
  if (!metadata) return {};
  auto it = metadata->find(key);
  return it == metadata->end() ? std::string() : it->second;
}

int64_t SteadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace smile
