// Video files and network streams decoded with libavformat/libavcodec, converted
// to BGR with libswscale. Frames carry pts in microseconds from the first frame.
#include <cmath>
#include <cstdio>

#include "capture/media_info.h"
#include "capture/source.h"
#include "core/log.h"
#include "core/shutdown.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/time.h>
#include <libswscale/swscale.h>
}

namespace smile::capture {
namespace {

std::string BaseName(const std::string& p) {
  size_t s = p.find_last_of('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

// Interrupt callback: lets a stop request (or a network timeout) break blocking reads.
struct InterruptState {
  int64_t deadline_us = 0;  // 0: none
  bool live = false;
};
int InterruptCallback(void* opaque) {
  auto* st = static_cast<InterruptState*>(opaque);
  if (st->live && StopRequested()) return 1;  // Ctrl-C breaks a stalled network read
  return st->deadline_us > 0 && av_gettime_relative() > st->deadline_us;
}

class FfmpegSource : public FrameSource {
 public:
  ~FfmpegSource() override {
    sws_freeContext(sws_);
    av_frame_free(&frame_);
    av_packet_free(&packet_);
    avcodec_free_context(&dec_);
    avformat_close_input(&fmt_);
  }

  Status Open(const std::string& uri, const SourceOptions& options, bool network) {
    options_ = options;
    info_.uri = uri;
    info_.kind = network ? SourceKind::kUrl : SourceKind::kVideoFile;
    SMILE_RETURN_IF_ERROR(CheckInputFile(uri));
    fmt_ = avformat_alloc_context();
    fmt_->interrupt_callback.callback = InterruptCallback;
    fmt_->interrupt_callback.opaque = &interrupt_;
    AVDictionary* opts = nullptr;
    if (network) {
      if (uri.rfind("rtsp", 0) == 0) av_dict_set(&opts, "rtsp_transport", "tcp", 0);
      interrupt_.deadline_us = av_gettime_relative() + static_cast<int64_t>(options.open_timeout_s * 1e6);
    }
    int err = avformat_open_input(&fmt_, uri.c_str(), nullptr, &opts);
    av_dict_free(&opts);
    if (err < 0) {
      fmt_ = nullptr;  // freed by avformat_open_input on failure
      if (network) {
        return IoError("cannot open stream '" + uri + "' (ffmpeg: " + AvErrorString(err) +
                       "); check the URL, that the server is up and reachable");
      }
      return Corrupt("cannot read '" + uri + "': not a readable video (ffmpeg: " + AvErrorString(err) +
                     "); the file is truncated, corrupt or not a video - re-export or re-download it");
    }
    err = avformat_find_stream_info(fmt_, nullptr);
    if (err < 0) {
      return Corrupt("cannot read '" + uri + "': no stream information (ffmpeg: " + AvErrorString(err) +
                     "); the file is truncated or corrupt - re-export it");
    }
    interrupt_.deadline_us = 0;
    const AVCodec* codec = nullptr;
    stream_index_ = av_find_best_stream(fmt_, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (stream_index_ < 0 || !codec) {
      if (stream_index_ == AVERROR_DECODER_NOT_FOUND) {
        return Unsupported("cannot decode '" + uri + "': no decoder for its video codec; re-encode it to H.264");
      }
      return NotFound("'" + uri + "' has no video stream; give a video file (audio-only files cannot be processed)");
    }
    stream_ = fmt_->streams[stream_index_];
    for (unsigned i = 0; i < fmt_->nb_streams; ++i) {
      if (static_cast<int>(i) != stream_index_) fmt_->streams[i]->discard = AVDISCARD_ALL;
    }
    dec_ = avcodec_alloc_context3(codec);
    avcodec_parameters_to_context(dec_, stream_->codecpar);
    dec_->thread_count = options.decode_threads;
    dec_->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    dec_->pkt_timebase = stream_->time_base;
    err = avcodec_open2(dec_, codec, nullptr);
    if (err < 0) {
      return Unsupported("cannot open the " + std::string(codec->name) + " decoder for '" + uri +
                         "' (ffmpeg: " + AvErrorString(err) + "); re-encode the video to H.264");
    }
    if (dec_->width <= 0 || dec_->height <= 0) {
      return Corrupt("'" + uri + "' has a video stream without a frame size; the file is corrupt - re-export it");
    }
    frame_ = av_frame_alloc();
    packet_ = av_packet_alloc();

    // Info.
    AVCodecParameters* p = stream_->codecpar;
    info_.width = p->width;
    info_.height = p->height;
    AVRational r = stream_->avg_frame_rate.num > 0 ? stream_->avg_frame_rate : stream_->r_frame_rate;
    if (r.num <= 0 || r.den <= 0) r = AVRational{25, 1};
    info_.fps_num = r.num;
    info_.fps_den = r.den;
    info_.fps = av_q2d(r);
    info_.video_codec = avcodec_get_name(p->codec_id);
    if (stream_->start_time != AV_NOPTS_VALUE) {
      start_pts_ = stream_->start_time;
      info_.start_us = av_rescale_q(stream_->start_time, stream_->time_base, AVRational{1, 1000000});
    }
    if (stream_->duration != AV_NOPTS_VALUE && stream_->duration > 0) {
      info_.duration_s = stream_->duration * av_q2d(stream_->time_base);
    } else if (fmt_->duration != AV_NOPTS_VALUE && fmt_->duration > 0) {
      info_.duration_s = fmt_->duration / double(AV_TIME_BASE);
    }
    if (stream_->nb_frames > 0) {
      info_.frame_count = stream_->nb_frames;
    } else if (!network) {
      // No count in the container (mkv, webm, ts): count the packets (demux only, fast).
      Result<MediaInfo> counted = ProbeMedia(uri, /*count_packets=*/true);
      if (counted.ok() && counted->video() && counted->video()->frame_count > 0) {
        info_.frame_count = counted->video()->frame_count;
      } else if (info_.duration_s > 0) {
        info_.frame_count = static_cast<int64_t>(std::llround(info_.duration_s * info_.fps));
      }
    }
    int audio = av_find_best_stream(fmt_, AVMEDIA_TYPE_AUDIO, -1, stream_index_, nullptr, 0);
    if (audio >= 0) {
      AVCodecParameters* a = fmt_->streams[audio]->codecpar;
      info_.has_audio = true;
      info_.audio_codec = avcodec_get_name(a->codec_id);
      info_.audio_sample_rate = a->sample_rate;
      info_.audio_channels = a->ch_layout.nb_channels;
    }
    interrupt_.live = network;
    info_.is_live = options.force_live || network ||
                    (fmt_->iformat && std::string(fmt_->iformat->name).find("v4l2") != std::string::npos);
    if (network && info_.duration_s > 0 && uri.rfind("http", 0) == 0 && !options.force_live) {
      info_.is_live = false;  // a file served over HTTP
    }
    char desc[512];
    std::snprintf(desc, sizeof(desc), "%s '%s' (%s %dx%d %.3g fps, %s, audio: %s)", network ? "stream" : "video",
                  network ? uri.c_str() : BaseName(uri).c_str(), info_.video_codec.c_str(), info_.width, info_.height,
                  info_.fps,
                  info_.frame_count >= 0 ? (std::to_string(info_.frame_count) + " frames").c_str() : "live",
                  info_.has_audio ? (info_.audio_codec + " " + std::to_string(info_.audio_sample_rate) + " Hz " +
                                     std::to_string(info_.audio_channels) + " ch")
                                        .c_str()
                                  : "none");
    info_.description = desc;
    return Status::Ok();
  }

  const SourceInfo& info() const override { return info_; }
  int64_t frames_read() const override { return sequence_; }

  Result<Frame> Read() override {
    if (options_.max_frames >= 0 && sequence_ >= options_.max_frames) return EndOfStream();
    while (true) {
      int err = avcodec_receive_frame(dec_, frame_);
      if (err == 0) return Convert();
      if (err == AVERROR_EOF) return EndOfStream();
      if (err != AVERROR(EAGAIN)) {
        ++decode_errors_;
        if (decode_errors_ > 50) return TooManyErrors(err);
        continue;
      }
      if (flushing_) return EndOfStream();  // should not happen, but never spin
      // Feed one more packet.
      if (info_.is_live) interrupt_.deadline_us = av_gettime_relative() + static_cast<int64_t>(options_.open_timeout_s * 1e6);
      err = av_read_frame(fmt_, packet_);
      if (err < 0) {
        if (err != AVERROR_EOF) {
          if (sequence_ == 0 && !info_.is_live) {
            return Corrupt("cannot read '" + info_.uri + "': " + AvErrorString(err) +
                           " before the first frame; the file is truncated or corrupt - re-export it");
          }
          SMILE_LOG(kWarn) << "'" << info_.uri << "': read error after " << sequence_ << " frames ("
                           << AvErrorString(err) << "); the file is probably truncated, keeping what was decoded";
        }
        flushing_ = true;
        avcodec_send_packet(dec_, nullptr);
        continue;
      }
      if (packet_->stream_index == stream_index_) {
        err = avcodec_send_packet(dec_, packet_);
        if (err < 0 && err != AVERROR(EAGAIN)) {
          ++decode_errors_;
          SMILE_LOG(kDebug) << "'" << info_.uri << "': bad packet skipped (" << AvErrorString(err) << ")";
          if (decode_errors_ > 50) {
            av_packet_unref(packet_);
            return TooManyErrors(err);
          }
        }
      }
      av_packet_unref(packet_);
    }
  }

 private:
  Status TooManyErrors(int err) {
    return Corrupt("cannot decode '" + info_.uri + "': too many corrupt packets (last: " + AvErrorString(err) +
                   "); the file is damaged - re-export it");
  }

  Result<Frame> Convert() {
    const int w = frame_->width, h = frame_->height;
    if (!sws_ || w != sws_w_ || h != sws_h_ || frame_->format != sws_fmt_) {
      sws_freeContext(sws_);
      sws_ = sws_getContext(w, h, static_cast<AVPixelFormat>(frame_->format), w, h, AV_PIX_FMT_BGR24,
                            SWS_BILINEAR, nullptr, nullptr, nullptr);
      sws_w_ = w, sws_h_ = h, sws_fmt_ = frame_->format;
      if (!sws_) {
        av_frame_unref(frame_);
        return Unsupported("cannot convert the pixel format of '" + info_.uri + "' to BGR; re-encode it as yuv420p");
      }
    }
    cv::Mat mat(h, w, CV_8UC3);
    uint8_t* dst[4] = {mat.data, nullptr, nullptr, nullptr};
    int dst_stride[4] = {static_cast<int>(mat.step[0]), 0, 0, 0};
    sws_scale(sws_, frame_->data, frame_->linesize, 0, h, dst, dst_stride);
    int64_t pts = frame_->best_effort_timestamp;
    int64_t pts_us;
    if (pts == AV_NOPTS_VALUE) {
      pts_us = static_cast<int64_t>(std::llround(sequence_ * 1e6 / info_.fps));
    } else {
      pts_us = av_rescale_q(pts - start_pts_, stream_->time_base, AVRational{1, 1000000});
    }
    if (sequence_ > 0 && pts_us <= last_pts_us_) pts_us = last_pts_us_ + 1;  // keep strictly increasing
    last_pts_us_ = pts_us;
    av_frame_unref(frame_);
    Frame f = Frame::FromMat(std::move(mat), pts_us, sequence_++);
    return f;
  }

  SourceOptions options_;
  SourceInfo info_;
  AVFormatContext* fmt_ = nullptr;
  AVCodecContext* dec_ = nullptr;
  AVStream* stream_ = nullptr;
  AVFrame* frame_ = nullptr;
  AVPacket* packet_ = nullptr;
  SwsContext* sws_ = nullptr;
  int sws_w_ = 0, sws_h_ = 0, sws_fmt_ = -1;
  int stream_index_ = -1;
  int64_t start_pts_ = 0;
  int64_t sequence_ = 0;
  int64_t last_pts_us_ = 0;
  int decode_errors_ = 0;
  bool flushing_ = false;
  InterruptState interrupt_;
};

}  // namespace

Result<std::unique_ptr<FrameSource>> OpenFfmpegSource(const std::string& uri, const SourceOptions& options,
                                                      bool network) {
  ConfigureAvLog();
  auto src = std::make_unique<FfmpegSource>();
  SMILE_RETURN_IF_ERROR(src->Open(uri, options, network));
  return std::unique_ptr<FrameSource>(std::move(src));
}

}  // namespace smile::capture
