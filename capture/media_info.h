// ProbeMedia: what is inside a media file or URL, read with libavformat
// (used by `smile probe` and by tests that read outputs back).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace smile::capture {

struct StreamInfo {
  int index = 0;
  std::string type;        // "video", "audio", "subtitle", "data"
  std::string codec;       // "h264", "aac" ...
  std::string profile;
  int width = 0, height = 0;
  int fps_num = 0, fps_den = 1;
  double fps = 0.0;
  int64_t frame_count = -1;  // container's count, or counted packets when count_packets
  bool frame_count_exact = false;
  double duration_s = 0.0;
  double start_s = 0.0;
  int sample_rate = 0, channels = 0;
  int64_t bit_rate = 0;
};

struct MediaInfo {
  std::string path;
  std::string format;      // "mov,mp4,m4a,3gp,3g2,mj2"
  std::string format_long;
  double duration_s = 0.0;
  int64_t bit_rate = 0;
  int64_t size_bytes = -1;
  std::map<std::string, std::string> tags;  // container metadata (synthetic, software, comment ...)
  std::vector<StreamInfo> streams;

  const StreamInfo* video() const;  // first video stream or nullptr
  const StreamInfo* audio() const;  // first audio stream or nullptr
  std::string ToString() const;     // multi-line human report
};

// Checks the file exists, is not empty and is readable before FFmpeg sees it
// (clear messages for the common mistakes). Network URLs pass through.
Status CheckInputFile(const std::string& path);

// count_packets: demux the whole file and count video packets when the
// container has no frame count (or to verify it).
Result<MediaInfo> ProbeMedia(const std::string& path, bool count_packets = false);

// "Invalid data found when processing input" for an AVERROR code.
std::string AvErrorString(int err);
// Quiet FFmpeg logging unless the smile log level is debug.
void ConfigureAvLog();
bool IsNetworkUrl(const std::string& uri);

}  // namespace smile::capture
