#include "capture/media_info.h"

#include "core/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <sstream>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
}

namespace smile::capture {

std::string AvErrorString(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(err, buf, sizeof(buf));
  return buf;
}

bool IsNetworkUrl(const std::string& uri) {
  for (const char* p : {"rtsp://", "rtsps://", "rtmp://", "rtmps://", "udp://", "rtp://", "srt://", "tcp://",
                        "http://", "https://"}) {
    if (uri.rfind(p, 0) == 0) return true;
  }
  return false;
}

Status CheckInputFile(const std::string& path) {
  if (IsNetworkUrl(path)) return Status::Ok();
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return NotFound("cannot open '" + path + "': file not found; check the path");
  }
  if (S_ISDIR(st.st_mode)) {
    return InvalidArgument("'" + path + "' is a folder, not a media file; give a video file or an image folder");
  }
  if (st.st_size == 0) {
    return Corrupt("cannot read '" + path + "': the file is empty (0 bytes); re-export or re-download it");
  }
  if (access(path.c_str(), R_OK) != 0) {
    return IoError("cannot read '" + path + "': permission denied; fix its permissions (chmod +r)");
  }
  return Status::Ok();
}

const StreamInfo* MediaInfo::video() const {
  for (const auto& s : streams)
    if (s.type == "video") return &s;
  return nullptr;
}

const StreamInfo* MediaInfo::audio() const {
  for (const auto& s : streams)
    if (s.type == "audio") return &s;
  return nullptr;
}

std::string MediaInfo::ToString() const {
  std::ostringstream os;
  char line[512];
  std::snprintf(line, sizeof(line), "%s\n  container: %s (%s)\n  duration:  %.3f s\n", path.c_str(), format.c_str(),
                format_long.c_str(), duration_s);
  os << line;
  if (size_bytes >= 0) os << "  size:      " << size_bytes << " bytes\n";
  if (bit_rate > 0) os << "  bit rate:  " << bit_rate / 1000 << " kb/s\n";
  auto syn = tags.find("synthetic");
  if (syn != tags.end()) os << "  synthetic: " << syn->second << " (provenance tag)\n";
  for (const auto& [k, v] : tags) {
    if (k != "synthetic" && k != "major_brand" && k != "minor_version" && k != "compatible_brands")
      os << "  tag " << k << ": " << v << "\n";
  }
  for (const auto& s : streams) {
    if (s.type == "video") {
      std::snprintf(line, sizeof(line),
                    "  stream %d: video %s%s%s %dx%d, %.3f fps (%d/%d), %lld frames%s, %.3f s\n", s.index,
                    s.codec.c_str(), s.profile.empty() ? "" : " ", s.profile.c_str(), s.width, s.height, s.fps,
                    s.fps_num, s.fps_den, static_cast<long long>(s.frame_count),
                    s.frame_count_exact ? "" : " (estimated)", s.duration_s);
    } else if (s.type == "audio") {
      std::snprintf(line, sizeof(line), "  stream %d: audio %s, %d Hz, %d channels, %.3f s\n", s.index,
                    s.codec.c_str(), s.sample_rate, s.channels, s.duration_s);
    } else {
      std::snprintf(line, sizeof(line), "  stream %d: %s %s\n", s.index, s.type.c_str(), s.codec.c_str());
    }
    os << line;
  }
  if (!audio()) os << "  audio:     none\n";
  return os.str();
}

Result<MediaInfo> ProbeMedia(const std::string& path, bool count_packets) {
  SMILE_RETURN_IF_ERROR(CheckInputFile(path));
  ConfigureAvLog();
  AVFormatContext* fmt = nullptr;
  int err = avformat_open_input(&fmt, path.c_str(), nullptr, nullptr);
  if (err < 0) {
    return Corrupt("cannot read '" + path + "': not a readable media file (ffmpeg: " + AvErrorString(err) +
                   "); the file is truncated, corrupt or not a video - re-export or re-download it");
  }
  struct Closer {
    AVFormatContext** f;
    ~Closer() { avformat_close_input(f); }
  } closer{&fmt};
  err = avformat_find_stream_info(fmt, nullptr);
  if (err < 0) {
    return Corrupt("cannot read '" + path + "': no stream information (ffmpeg: " + AvErrorString(err) +
                   "); the file is truncated or corrupt - re-export it");
  }
  MediaInfo info;
  info.path = path;
  info.format = fmt->iformat->name ? fmt->iformat->name : "";
  info.format_long = fmt->iformat->long_name ? fmt->iformat->long_name : "";
  info.duration_s = fmt->duration != AV_NOPTS_VALUE ? fmt->duration / double(AV_TIME_BASE) : 0.0;
  info.bit_rate = fmt->bit_rate;
  const AVDictionaryEntry* tag = nullptr;
  while ((tag = av_dict_get(fmt->metadata, "", tag, AV_DICT_IGNORE_SUFFIX))) {
    std::string key = tag->key;  // Matroska stores keys upper-case: report them lower-case
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    info.tags[key] = tag->value;
  }
  struct stat st {};
  if (!IsNetworkUrl(path) && stat(path.c_str(), &st) == 0) info.size_bytes = st.st_size;
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    AVStream* s = fmt->streams[i];
    AVCodecParameters* p = s->codecpar;
    StreamInfo si;
    si.index = static_cast<int>(i);
    const char* type = av_get_media_type_string(p->codec_type);
    si.type = type ? type : "unknown";
    si.codec = avcodec_get_name(p->codec_id);
    const char* prof = avcodec_profile_name(p->codec_id, p->profile);
    if (prof) si.profile = prof;
    si.bit_rate = p->bit_rate;
    if (s->duration != AV_NOPTS_VALUE) si.duration_s = s->duration * av_q2d(s->time_base);
    if (s->start_time != AV_NOPTS_VALUE) si.start_s = s->start_time * av_q2d(s->time_base);
    if (p->codec_type == AVMEDIA_TYPE_VIDEO) {
      if (s->disposition & AV_DISPOSITION_ATTACHED_PIC) si.type = "attachment";
      si.width = p->width;
      si.height = p->height;
      AVRational r = s->avg_frame_rate.num > 0 ? s->avg_frame_rate : s->r_frame_rate;
      si.fps_num = r.num;
      si.fps_den = r.den ? r.den : 1;
      si.fps = r.num > 0 ? av_q2d(r) : 0.0;
      if (s->nb_frames > 0) {
        si.frame_count = s->nb_frames;
        si.frame_count_exact = true;
      } else {
        double d = si.duration_s > 0 ? si.duration_s : info.duration_s;
        if (d > 0 && si.fps > 0) si.frame_count = static_cast<int64_t>(d * si.fps + 0.5);
      }
    } else if (p->codec_type == AVMEDIA_TYPE_AUDIO) {
      si.sample_rate = p->sample_rate;
      si.channels = p->ch_layout.nb_channels;
    }
    info.streams.push_back(si);
  }
  if (count_packets && !IsNetworkUrl(path)) {
    std::vector<int64_t> counts(fmt->nb_streams, 0);
    AVPacket* pkt = av_packet_alloc();
    while (av_read_frame(fmt, pkt) >= 0) {
      if (pkt->stream_index >= 0 && pkt->stream_index < static_cast<int>(counts.size())) ++counts[pkt->stream_index];
      av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    for (auto& si : info.streams) {
      if (si.type == "video") {
        si.frame_count = counts[si.index];
        si.frame_count_exact = true;
      }
    }
  }
  return info;
}

}  // namespace smile::capture

namespace smile::capture {
void ConfigureAvLog() {
  av_log_set_level(GetLogLevel() <= LogLevel::kDebug ? AV_LOG_WARNING : AV_LOG_FATAL);
}
}  // namespace smile::capture
