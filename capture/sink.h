// Frame sinks: H.264 video files that keep the source's audio, PNG sequences,
// an on-screen preview window and GStreamer sink pipelines.
//
// Files are written atomically: under a temporary name in the same folder
// (.name.partial.mp4), renamed to the final name by Close(). Abort() (or
// destroying an unclosed sink) removes the temporary file, so an error never
// leaves anything under the final name. An interrupted job calls Close() and
// gets a playable file of what was done.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "capture/provenance.h"
#include "capture/watermark.h"
#include "core/frame.h"
#include "core/status.h"

namespace smile::capture {

enum class SinkKind { kVideoFile, kImageSequence, kPreview, kGStreamer };
const char* SinkKindName(SinkKind kind);

// kAuto: on for GStreamer outputs (streams, virtual cameras), off for files and
// the preview window. Live commands turn it off only on an explicit flag.
enum class WatermarkMode { kAuto, kOn, kOff };

struct SinkOptions {
  double fps = 25.0;              // nominal rate (from the source)
  int fps_num = 0, fps_den = 1;   // exact rate if known (0: derive from fps)
  std::string audio_from;         // media file/URL whose first audio stream is copied into video outputs
  int64_t audio_start_us = 0;     // the source's first video pts (audio is shifted by the same amount)
  int crf = 18;                   // H.264 quality (0 lossless .. 51 worst)
  std::string preset = "veryfast";  // x264 preset
  int encode_threads = 0;         // 0: automatic
  std::string window_title = "smile";
  // Machine-readable "synthetic" mark in video metadata / PNG tEXt (on by
  // default; `smile copy` uses NotSynthetic()).
  ProvenanceMark provenance;
  // Visible "AI-generated" label drawn into every frame (see watermark.h).
  WatermarkMode watermark = WatermarkMode::kAuto;
  WatermarkOptions watermark_options;
};

// Whether OpenSink draws the visible watermark for this kind of output.
bool WatermarkEnabled(const SinkOptions& options, SinkKind kind);

class FrameSink {
 public:
  virtual ~FrameSink() = default;
  // Frames should come in pts order; a frame whose size differs from the first is resized.
  virtual Status Write(const Frame& frame) = 0;
  // The source was read to its natural end (not cut by --max-frames or a stop):
  // a video sink then keeps all of the source's audio, else it cuts the audio
  // where the video ends. Call before Close().
  virtual void MarkInputComplete() {}
  // Finalises the output (flush, trailer, rename to the final name).
  virtual Status Close() = 0;
  // Discards the output (nothing is left under the final name).
  virtual void Abort() = 0;
  virtual int64_t frames_written() const = 0;
  // The final output name (or pipeline/window) for messages.
  virtual std::string target() const = 0;
};

// Picks the sink from the uri:
//   gst:<pipeline> or anything with " ! "       -> GStreamer (appsrc ! videoconvert ! <pipeline>)
//   window, preview, screen, :window             -> preview window (needs DISPLAY)
//   *.mp4 *.mov *.m4v *.mkv                      -> H.264 video (+ audio from options.audio_from)
//   a printf pattern (out/%05d.png), a folder     -> PNG sequence (folder: 000000.png ...)
//     (an existing folder, or a path ending in '/')
// Checks that the output folder is writable before returning.
Result<SinkKind> ClassifySink(const std::string& uri);
// OpenSink also adds the visible watermark when WatermarkEnabled (the
// individual factories below never do).
Result<std::unique_ptr<FrameSink>> OpenSink(const std::string& uri, const SinkOptions& options = {});

Result<std::unique_ptr<FrameSink>> OpenVideoFileSink(const std::string& path, const SinkOptions& options);
Result<std::unique_ptr<FrameSink>> OpenImageSequenceSink(const std::string& uri, const SinkOptions& options);
Result<std::unique_ptr<FrameSink>> OpenPreviewSink(const SinkOptions& options);
Result<std::unique_ptr<FrameSink>> OpenGstSink(const std::string& pipeline, const SinkOptions& options);

// Atomic-output helpers.
// "out/clip.mp4" -> "out/.clip.partial.mp4".
std::string PartialPathFor(const std::string& final_path);
// The folder of `path` exists (or can be created when create is true) and a
// file can be created in it; otherwise a clear IoError naming the folder.
Status CheckOutputFolder(const std::string& path, bool create);
// Same file on disk (after resolving links); false if either is missing.
bool SameFile(const std::string& a, const std::string& b);

}  // namespace smile::capture
