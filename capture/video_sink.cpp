// H.264 video files (.mp4/.mov/.m4v/.mkv) encoded with libavcodec (libx264 when
// present) and muxed with libavformat, with the source's audio stream copied
// packet by packet (no re-encode). Written under .name.partial.ext and renamed
// by Close().
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include <opencv2/imgproc.hpp>

#include "capture/media_info.h"
#include "capture/sink.h"
#include "core/log.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

namespace smile::capture {
namespace {

constexpr AVRational kMicros{1, 1000000};

class VideoFileSink : public FrameSink {
 public:
  ~VideoFileSink() override {
    if (!closed_) Abort();
  }

  Status Init(const std::string& path, const SinkOptions& options) {
    final_ = path;
    partial_ = PartialPathFor(path);
    options_ = options;
    ofmt_ = av_guess_format(nullptr, path.c_str(), nullptr);
    if (!ofmt_) return InvalidArgument("no muxer for '" + path + "'; use .mp4, .mov or .mkv");
    SMILE_RETURN_IF_ERROR(CheckOutputFolder(path, /*create=*/true));
    if (!options.audio_from.empty()) OpenAudioInput(options.audio_from);
    return Status::Ok();
  }

  Status Write(const Frame& frame) override {
    if (closed_) return Internal("write after Close on '" + final_ + "'");
    if (frame.empty()) return InvalidArgument("empty frame given to the video sink for '" + final_ + "'");
    if (!opened_) SMILE_RETURN_IF_ERROR(OpenOutput(frame.width(), frame.height()));
    const cv::Mat* img = frame.image.get();
    cv::Mat resized;
    if (img->cols != in_w_ || img->rows != in_h_ || img->type() != CV_8UC3) {
      cv::Mat bgr = *img;
      if (bgr.type() == CV_8UC1) cv::cvtColor(bgr, bgr, cv::COLOR_GRAY2BGR);
      else if (bgr.type() == CV_8UC4) cv::cvtColor(bgr, bgr, cv::COLOR_BGRA2BGR);
      if (bgr.type() != CV_8UC3) return InvalidArgument("the video sink needs 8-bit BGR frames");
      cv::resize(bgr, resized, cv::Size(in_w_, in_h_), 0, 0, cv::INTER_AREA);
      img = &resized;
    }
    int err = av_frame_make_writable(yuv_);
    if (err < 0) return IoError("cannot allocate a video frame: " + AvErrorString(err));
    const uint8_t* src[4] = {img->data, nullptr, nullptr, nullptr};
    int src_stride[4] = {static_cast<int>(img->step[0]), 0, 0, 0};
    sws_scale(sws_, src, src_stride, 0, in_h_, yuv_->data, yuv_->linesize);
    int64_t pts = av_rescale_q(frame.pts_us, kMicros, enc_->time_base);
    if (frames_ > 0 && pts <= last_pts_) pts = last_pts_ + 1;
    last_pts_ = pts;
    last_pts_us_ = frame.pts_us;
    yuv_->pts = pts;
    SMILE_RETURN_IF_ERROR(Encode(yuv_));
    ++frames_;
    // Audio up to the end of this frame (the muxer interleaves).
    SMILE_RETURN_IF_ERROR(CopyAudioUntil(frame.pts_us + static_cast<int64_t>(std::llround(1e6 / Fps()))));
    return Status::Ok();
  }

  Status Close() override {
    if (closed_) return Status::Ok();
    if (!opened_) {
      Abort();
      return NotFound("no frames were written to '" + final_ + "' (the input gave no frames); nothing was saved");
    }
    Status s = Encode(nullptr);
    const int64_t frame_us = static_cast<int64_t>(std::llround(1e6 / Fps()));
    if (s.ok()) s = CopyAudioUntil(input_complete_ ? INT64_MAX : last_pts_us_ + frame_us);
    if (s.ok() && transcode_ && aenc_) s = TranscodeAudio(nullptr);
    if (s.ok()) {
      int err = av_write_trailer(out_);
      if (err < 0) s = IoError("cannot finish '" + final_ + "': " + AvErrorString(err) + "; check free disk space");
    }
    if (s.ok()) {
      int err = avio_closep(&out_->pb);
      if (err < 0) s = IoError("cannot close '" + partial_ + "': " + AvErrorString(err) + "; check free disk space");
    }
    if (!s.ok()) {
      Abort();
      return s;
    }
    FreeAll();
    closed_ = true;
    if (std::rename(partial_.c_str(), final_.c_str()) != 0) {
      std::string why = std::strerror(errno);
      ::unlink(partial_.c_str());
      return IoError("cannot rename '" + partial_ + "' to '" + final_ + "': " + why + "; check the folder's permissions");
    }
    SMILE_LOG(kDebug) << "wrote " << frames_ << " frames to " << final_ << (audio_packets_ ? " with audio" : "");
    return Status::Ok();
  }

  void Abort() override {
    if (out_ && out_->pb) avio_closep(&out_->pb);
    FreeAll();
    if (opened_) ::unlink(partial_.c_str());
    closed_ = true;
  }

  int64_t frames_written() const override { return frames_; }
  std::string target() const override { return final_; }
  void MarkInputComplete() override { input_complete_ = true; }

 private:
  double Fps() const {
    if (options_.fps_num > 0 && options_.fps_den > 0) return double(options_.fps_num) / options_.fps_den;
    return options_.fps > 0 ? options_.fps : 25.0;
  }
  AVRational FpsRational() const {
    if (options_.fps_num > 0 && options_.fps_den > 0) return AVRational{options_.fps_num, options_.fps_den};
    return av_d2q(Fps(), 100000);
  }

  void OpenAudioInput(const std::string& uri) {
    if (CheckInputFile(uri).ok() && avformat_open_input(&ain_, uri.c_str(), nullptr, nullptr) >= 0 &&
        avformat_find_stream_info(ain_, nullptr) >= 0) {
      ain_index_ = av_find_best_stream(ain_, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
    }
    if (ain_index_ < 0) {
      if (ain_) avformat_close_input(&ain_);
      return;  // no audio: nothing to copy
    }
    for (unsigned i = 0; i < ain_->nb_streams; ++i) {
      if (static_cast<int>(i) != ain_index_) ain_->streams[i]->discard = AVDISCARD_ALL;
    }
    AVCodecID id = ain_->streams[ain_index_]->codecpar->codec_id;
    if (avformat_query_codec(ofmt_, id, FF_COMPLIANCE_NORMAL) != 1) {
      if (avcodec_find_decoder(id) && avcodec_find_encoder(AV_CODEC_ID_AAC)) {
        transcode_ = true;  // e.g. PCM into .mp4: re-encode to AAC
        SMILE_LOG(kInfo) << "the " << avcodec_get_name(id) << " audio of '" << uri << "' cannot be copied into '"
                         << final_ << "'; re-encoding it to AAC";
      } else {
        SMILE_LOG(kWarn) << "the " << avcodec_get_name(id) << " audio of '" << uri << "' cannot be stored in '"
                         << final_ << "'; the output has no audio (write a .mkv to keep it)";
        avformat_close_input(&ain_);
        ain_index_ = -1;
      }
    }
    apkt_ = av_packet_alloc();
  }

  Status OpenOutput(int w, int h) {
    in_w_ = w;
    in_h_ = h;
    // yuv420p needs even sizes.
    const int ew = (w + 1) & ~1, eh = (h + 1) & ~1;
    int err = avformat_alloc_output_context2(&out_, ofmt_, nullptr, partial_.c_str());
    if (err < 0 || !out_) return IoError("cannot create the muxer for '" + final_ + "': " + AvErrorString(err));
    const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
    if (!codec) codec = avcodec_find_encoder(AV_CODEC_ID_H264);
    if (!codec) codec = avcodec_find_encoder(AV_CODEC_ID_MPEG4);
    if (!codec) return Unsupported("no H.264 or MPEG-4 encoder in this FFmpeg; install libavcodec with libx264");
    enc_ = avcodec_alloc_context3(codec);
    enc_->width = ew;
    enc_->height = eh;
    enc_->pix_fmt = AV_PIX_FMT_YUV420P;
    enc_->time_base = AVRational{1, 90000};
    enc_->framerate = FpsRational();
    enc_->sample_aspect_ratio = AVRational{1, 1};
    enc_->thread_count = options_.encode_threads;
    enc_->color_range = AVCOL_RANGE_MPEG;
    enc_->colorspace = AVCOL_SPC_SMPTE170M;
    enc_->color_primaries = AVCOL_PRI_SMPTE170M;
    enc_->color_trc = AVCOL_TRC_SMPTE170M;
    if (ofmt_->flags & AVFMT_GLOBALHEADER) enc_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    AVDictionary* opts = nullptr;
    if (std::strcmp(codec->name, "libx264") == 0) {
      av_dict_set(&opts, "preset", options_.preset.c_str(), 0);
      av_dict_set(&opts, "crf", std::to_string(options_.crf).c_str(), 0);
    } else {
      enc_->bit_rate = static_cast<int64_t>(ew) * eh * Fps() * 0.15;
    }
    err = avcodec_open2(enc_, codec, &opts);
    av_dict_free(&opts);
    if (err < 0) {
      return Unsupported("cannot open the " + std::string(codec->name) + " encoder for " + std::to_string(ew) + "x" +
                         std::to_string(eh) + ": " + AvErrorString(err));
    }
    vst_ = avformat_new_stream(out_, nullptr);
    avcodec_parameters_from_context(vst_->codecpar, enc_);
    vst_->time_base = enc_->time_base;
    vst_->avg_frame_rate = enc_->framerate;
    if (ain_) {
      AVStream* in = ain_->streams[ain_index_];
      ast_ = avformat_new_stream(out_, nullptr);
      if (transcode_) {
        SMILE_RETURN_IF_ERROR(OpenAudioTranscoder(in));
        avcodec_parameters_from_context(ast_->codecpar, aenc_);
        ast_->time_base = aenc_->time_base;
      } else {
        avcodec_parameters_copy(ast_->codecpar, in->codecpar);
        ast_->codecpar->codec_tag = 0;
        ast_->time_base = in->time_base;
      }
      audio_shift_ = av_rescale_q(options_.audio_start_us, kMicros, in->time_base);
    }
    err = avio_open(&out_->pb, partial_.c_str(), AVIO_FLAG_WRITE);
    if (err < 0) {
      return IoError("cannot create '" + partial_ + "': " + AvErrorString(err) +
                     "; choose a writable output folder");
    }
    opened_ = true;  // from here on Abort() must remove the partial file
    AVDictionary* mux_opts = nullptr;
    // Provenance tags (synthetic=true|false, software, comment) in the container.
    const auto tags = ProvenanceTags(options_.provenance);
    for (const auto& [key, value] : tags) av_dict_set(&out_->metadata, key.c_str(), value.c_str(), 0);
    // moov first: plays while downloading, and a cut copy still decodes. MP4/MOV
    // keep arbitrary keys (synthetic=...) only as mdta metadata.
    if (std::strstr(ofmt_->name, "mp4") || std::strstr(ofmt_->name, "mov")) {
      av_dict_set(&mux_opts, "movflags", tags.empty() ? "+faststart" : "+faststart+use_metadata_tags", 0);
    }
    err = avformat_write_header(out_, &mux_opts);
    av_dict_free(&mux_opts);
    if (err < 0) return IoError("cannot write the header of '" + final_ + "': " + AvErrorString(err));
    sws_ = sws_getContext(w, h, AV_PIX_FMT_BGR24, ew, eh, AV_PIX_FMT_YUV420P, SWS_BICUBIC, nullptr, nullptr, nullptr);
    yuv_ = av_frame_alloc();
    yuv_->format = AV_PIX_FMT_YUV420P;
    yuv_->width = ew;
    yuv_->height = eh;
    err = av_frame_get_buffer(yuv_, 0);
    if (!sws_ || err < 0) return Internal("cannot set up the BGR -> YUV conversion for " + final_);
    pkt_ = av_packet_alloc();
    frame_ticks_ = av_rescale_q(1, av_inv_q(enc_->framerate), enc_->time_base);
    return Status::Ok();
  }

  Status Encode(AVFrame* frame) {
    int err = avcodec_send_frame(enc_, frame);
    if (err < 0 && err != AVERROR_EOF) return IoError("video encoder failed: " + AvErrorString(err));
    while (true) {
      err = avcodec_receive_packet(enc_, pkt_);
      if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return Status::Ok();
      if (err < 0) return IoError("video encoder failed: " + AvErrorString(err));
      if (pkt_->duration <= 0) pkt_->duration = frame_ticks_;
      av_packet_rescale_ts(pkt_, enc_->time_base, vst_->time_base);
      pkt_->stream_index = vst_->index;
      err = av_interleaved_write_frame(out_, pkt_);
      if (err < 0) {
        return IoError("cannot write to '" + partial_ + "': " + AvErrorString(err) + "; check free disk space");
      }
    }
  }

  // Copies source audio packets whose start is before `until_us` (video time).
  Status CopyAudioUntil(int64_t until_us) {
    if (!ain_ || !ast_ || audio_done_) return Status::Ok();
    AVStream* in = ain_->streams[ain_index_];
    while (true) {
      if (!have_apkt_) {
        int err = av_read_frame(ain_, apkt_);
        if (err < 0) {
          audio_done_ = true;  // end of the audio (or a truncated file): keep what we have
          return Status::Ok();
        }
        if (apkt_->stream_index != ain_index_) {
          av_packet_unref(apkt_);
          continue;
        }
        have_apkt_ = true;
      }
      int64_t pts = apkt_->pts != AV_NOPTS_VALUE ? apkt_->pts : apkt_->dts;
      if (pts != AV_NOPTS_VALUE && av_rescale_q(pts - audio_shift_, in->time_base, kMicros) >= until_us) {
        return Status::Ok();  // keep it for later
      }
      have_apkt_ = false;
      if (pts != AV_NOPTS_VALUE && pts - audio_shift_ < 0) {
        av_packet_unref(apkt_);
        continue;  // audio before the first video frame
      }
      if (apkt_->pts != AV_NOPTS_VALUE) apkt_->pts -= audio_shift_;
      if (apkt_->dts != AV_NOPTS_VALUE) apkt_->dts -= audio_shift_;
      if (transcode_) {
        Status t = TranscodeAudio(apkt_);
        av_packet_unref(apkt_);
        SMILE_RETURN_IF_ERROR(t);
        ++audio_packets_;
        continue;
      }
      av_packet_rescale_ts(apkt_, in->time_base, ast_->time_base);
      apkt_->stream_index = ast_->index;
      apkt_->pos = -1;
      int err = av_interleaved_write_frame(out_, apkt_);
      if (err < 0) {
        return IoError("cannot write audio to '" + partial_ + "': " + AvErrorString(err) + "; check free disk space");
      }
      ++audio_packets_;
    }
  }

  Status OpenAudioTranscoder(AVStream* in) {
    const AVCodec* dec = avcodec_find_decoder(in->codecpar->codec_id);
    const AVCodec* enc = avcodec_find_encoder(AV_CODEC_ID_AAC);
    adec_ = avcodec_alloc_context3(dec);
    avcodec_parameters_to_context(adec_, in->codecpar);
    adec_->pkt_timebase = in->time_base;
    int err = avcodec_open2(adec_, dec, nullptr);
    if (err < 0) return Unsupported("cannot decode the audio of '" + options_.audio_from + "': " + AvErrorString(err));
    aenc_ = avcodec_alloc_context3(enc);
    aenc_->sample_fmt = AV_SAMPLE_FMT_FLTP;
    aenc_->sample_rate = adec_->sample_rate > 0 ? adec_->sample_rate : 48000;
    if (av_channel_layout_copy(&aenc_->ch_layout, &adec_->ch_layout) < 0 || aenc_->ch_layout.nb_channels <= 0) {
      av_channel_layout_default(&aenc_->ch_layout, 2);
    }
    if (aenc_->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC) {
      int n = aenc_->ch_layout.nb_channels;
      av_channel_layout_uninit(&aenc_->ch_layout);
      av_channel_layout_default(&aenc_->ch_layout, n);
    }
    aenc_->bit_rate = 64000 * aenc_->ch_layout.nb_channels;
    aenc_->time_base = AVRational{1, aenc_->sample_rate};
    if (ofmt_->flags & AVFMT_GLOBALHEADER) aenc_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    err = avcodec_open2(aenc_, enc, nullptr);
    if (err < 0) return Unsupported("cannot open the AAC encoder: " + AvErrorString(err));
    err = swr_alloc_set_opts2(&swr_, &aenc_->ch_layout, aenc_->sample_fmt, aenc_->sample_rate, &aenc_->ch_layout,
                              adec_->sample_fmt, adec_->sample_rate, 0, nullptr);
    if (err < 0 || swr_init(swr_) < 0) return Unsupported("cannot resample the audio of '" + options_.audio_from + "'");
    fifo_ = av_audio_fifo_alloc(aenc_->sample_fmt, aenc_->ch_layout.nb_channels, 4096);
    adec_frame_ = av_frame_alloc();
    aenc_frame_ = av_frame_alloc();
    return Status::Ok();
  }

  // Decodes `pkt` (nullptr: flush everything) into the FIFO and encodes whole AAC frames.
  Status TranscodeAudio(AVPacket* pkt) {
    const bool flush = pkt == nullptr;
    avcodec_send_packet(adec_, pkt);  // bad packets are skipped
    while (avcodec_receive_frame(adec_, adec_frame_) == 0) {
      int out_n = swr_get_out_samples(swr_, adec_frame_->nb_samples);
      uint8_t** buf = nullptr;
      av_samples_alloc_array_and_samples(&buf, nullptr, aenc_->ch_layout.nb_channels, out_n, aenc_->sample_fmt, 0);
      int got = swr_convert(swr_, buf, out_n, const_cast<const uint8_t**>(adec_frame_->extended_data),
                            adec_frame_->nb_samples);
      if (got > 0) av_audio_fifo_write(fifo_, reinterpret_cast<void**>(buf), got);
      if (buf) av_freep(&buf[0]);
      av_freep(&buf);
      av_frame_unref(adec_frame_);
    }
    const int frame_size = aenc_->frame_size > 0 ? aenc_->frame_size : 1024;
    while (av_audio_fifo_size(fifo_) >= frame_size || (flush && av_audio_fifo_size(fifo_) > 0)) {
      const int n = std::min(frame_size, av_audio_fifo_size(fifo_));
      av_frame_unref(aenc_frame_);
      aenc_frame_->nb_samples = n;
      aenc_frame_->format = aenc_->sample_fmt;
      aenc_frame_->sample_rate = aenc_->sample_rate;
      av_channel_layout_copy(&aenc_frame_->ch_layout, &aenc_->ch_layout);
      if (av_frame_get_buffer(aenc_frame_, 0) < 0) return Internal("cannot allocate an audio frame");
      av_audio_fifo_read(fifo_, reinterpret_cast<void**>(aenc_frame_->data), n);
      aenc_frame_->pts = next_audio_pts_;
      next_audio_pts_ += n;
      SMILE_RETURN_IF_ERROR(EncodeAudio(aenc_frame_));
    }
    if (flush) SMILE_RETURN_IF_ERROR(EncodeAudio(nullptr));
    return Status::Ok();
  }

  Status EncodeAudio(AVFrame* frame) {
    int err = avcodec_send_frame(aenc_, frame);
    if (err < 0 && err != AVERROR_EOF) return IoError("audio encoder failed: " + AvErrorString(err));
    AVPacket* p = av_packet_alloc();
    while (avcodec_receive_packet(aenc_, p) == 0) {
      av_packet_rescale_ts(p, aenc_->time_base, ast_->time_base);
      p->stream_index = ast_->index;
      err = av_interleaved_write_frame(out_, p);
      if (err < 0) {
        av_packet_free(&p);
        return IoError("cannot write audio to '" + partial_ + "': " + AvErrorString(err));
      }
    }
    av_packet_free(&p);
    return Status::Ok();
  }

  void FreeAll() {
    if (out_) {
      if (out_->pb) avio_closep(&out_->pb);
      avformat_free_context(out_);
      out_ = nullptr;
    }
    avcodec_free_context(&enc_);
    sws_freeContext(sws_);
    sws_ = nullptr;
    av_frame_free(&yuv_);
    av_packet_free(&pkt_);
    av_packet_free(&apkt_);
    if (ain_) avformat_close_input(&ain_);
    avcodec_free_context(&adec_);
    avcodec_free_context(&aenc_);
    swr_free(&swr_);
    if (fifo_) av_audio_fifo_free(fifo_);
    fifo_ = nullptr;
    av_frame_free(&adec_frame_);
    av_frame_free(&aenc_frame_);
  }

  std::string final_, partial_;
  SinkOptions options_;
  const AVOutputFormat* ofmt_ = nullptr;
  AVFormatContext* out_ = nullptr;
  AVCodecContext* enc_ = nullptr;
  AVStream* vst_ = nullptr;
  AVStream* ast_ = nullptr;
  SwsContext* sws_ = nullptr;
  AVFrame* yuv_ = nullptr;
  AVPacket* pkt_ = nullptr;
  AVFormatContext* ain_ = nullptr;
  int ain_index_ = -1;
  AVPacket* apkt_ = nullptr;
  bool have_apkt_ = false, audio_done_ = false;
  int64_t audio_shift_ = 0, audio_packets_ = 0;
  int in_w_ = 0, in_h_ = 0;
  int64_t frames_ = 0, last_pts_ = 0, last_pts_us_ = 0, frame_ticks_ = 3000;
  bool opened_ = false, closed_ = false, input_complete_ = false;
  // Audio re-encode (only when the container cannot hold the source codec).
  bool transcode_ = false;
  AVCodecContext* adec_ = nullptr;
  AVCodecContext* aenc_ = nullptr;
  SwrContext* swr_ = nullptr;
  AVAudioFifo* fifo_ = nullptr;
  AVFrame* adec_frame_ = nullptr;
  AVFrame* aenc_frame_ = nullptr;
  int64_t next_audio_pts_ = 0;
};

}  // namespace

Result<std::unique_ptr<FrameSink>> OpenVideoFileSink(const std::string& path, const SinkOptions& options) {
  ConfigureAvLog();
  auto sink = std::make_unique<VideoFileSink>();
  SMILE_RETURN_IF_ERROR(sink->Init(path, options));
  return std::unique_ptr<FrameSink>(std::move(sink));
}

}  // namespace smile::capture
