// Frame sources: video files and URLs (FFmpeg), image sequences, image folders,
// single images, GStreamer pipelines and webcams behind one interface.
//
//   SMILE_ASSIGN_OR_RETURN(auto src, capture::OpenSource("clip.mp4"));
//   while (true) {
//     Result<Frame> f = src->Read();
//     if (f.status().code() == StatusCode::kEndOfStream) break;
//     if (!f.ok()) return f.status();
//     ...
//   }
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/frame.h"
#include "core/status.h"

namespace smile::capture {

enum class SourceKind { kVideoFile, kUrl, kImageSequence, kImageFolder, kImage, kGStreamer, kWebcam };
const char* SourceKindName(SourceKind kind);

struct SourceInfo {
  std::string uri;
  SourceKind kind = SourceKind::kVideoFile;
  int width = 0, height = 0;
  double fps = 0.0;               // nominal frame rate (0 when unknown)
  int fps_num = 0, fps_den = 1;   // the same as a fraction (e.g. 30000/1001)
  int64_t frame_count = -1;       // exact where the container says so or was counted; -1 unknown
  double duration_s = 0.0;        // video duration; 0 when unknown (live)
  int64_t start_us = 0;           // pts of the first video frame in the container (frames are relative to it)
  std::string video_codec;        // "h264", "png", "raw" ...
  bool has_audio = false;
  std::string audio_codec;        // "aac" ...
  int audio_sample_rate = 0, audio_channels = 0;
  bool is_live = false;           // camera, network stream or test pattern: drop frames rather than block
  std::string description;        // one human line
};

struct SourceOptions {
  int64_t max_frames = -1;    // stop after this many frames (-1: all); for jobs prefer
                              // JobOptions::max_frames, which also cuts the copied audio
  bool force_live = false;    // treat the source as live (drop-oldest queues)
  double image_fps = 25.0;    // frame rate given to image sequences / folders / single images
  int decode_threads = 0;     // FFmpeg decoder threads (0: automatic)
  double open_timeout_s = 10; // network sources
};

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  virtual const SourceInfo& info() const = 0;
  // The next frame (BGR, pts in microseconds from the first frame, sequence
  // 0,1,2...), kEndOfStream at the end, or an error.
  virtual Result<Frame> Read() = 0;
  // Frames returned so far.
  virtual int64_t frames_read() const = 0;
};

// Picks the source kind from the uri:
//   gst:<pipeline> or anything with " ! "  -> GStreamer (appsink, sync=false)
//   an integer (0, 1 ...) or /dev/videoN    -> webcam
//   rtsp:// rtmp:// udp:// srt:// http(s):// -> FFmpeg network stream (live)
//   a path with a printf pattern (%05d)     -> image sequence
//   a folder                                 -> images in the folder, sorted
//   .png .jpg .jpeg .bmp .tif .tiff .webp   -> one image (EXIF orientation honoured)
//   any other file                           -> video through FFmpeg
Result<SourceKind> ClassifySource(const std::string& uri);
Result<std::unique_ptr<FrameSource>> OpenSource(const std::string& uri, const SourceOptions& options = {});

// Individual factories (OpenSource dispatches to these).
Result<std::unique_ptr<FrameSource>> OpenFfmpegSource(const std::string& uri, const SourceOptions& options,
                                                      bool network);
Result<std::unique_ptr<FrameSource>> OpenImageSource(const std::string& uri, SourceKind kind,
                                                     const SourceOptions& options);
Result<std::unique_ptr<FrameSource>> OpenGstSource(const std::string& pipeline, const SourceOptions& options);
Result<std::unique_ptr<FrameSource>> OpenWebcamSource(const std::string& uri, const SourceOptions& options);

// True when this OpenCV build can run GStreamer pipelines.
bool OpenCvHasGStreamer();
// Parses a GStreamer pipeline description (without running it); InvalidArgument
// with GStreamer's message when an element or property is wrong.
Status CheckGstPipeline(const std::string& pipeline);
bool IsImageExtension(const std::string& path);

}  // namespace smile::capture
