// smile copy <in> <out>: decode, pass every frame through an identity stage and
// encode again (H.264 with the source's audio). The base of every video job.
#include <cstdio>

#include "apps/command.h"
#include "capture/media_job.h"
#include "capture/sink.h"
#include "capture/source.h"
#include "core/log.h"

namespace smile::app {
namespace {

Status RunCopy(const std::vector<std::string>& args) {
  ArgParser a("copy", "Decode a video (or images, camera, stream) and write it again; keeps the audio.");
  a.Positional("input", "video file, URL, image, image folder, dir/%05d.png, camera index or gst:<pipeline>");
  a.Positional("output", "out.mp4/.mov/.mkv, a folder or out/%05d.png for PNGs, 'window', or gst:<pipeline>");
  a.Option("max-frames", "N", "stop after N frames", "");
  a.Flag("live", "treat the input as live: drop the oldest frames instead of waiting (counted)");
  a.Option("queue", "N", "frames each queue holds (default 8 for files, 1 for live)", "");
  a.Option("crf", "Q", "H.264 quality, 0 (lossless) .. 51 (worst)", "18");
  a.Option("preset", "NAME", "x264 speed preset (ultrafast .. veryslow)", "veryfast");
  a.Option("fps", "R", "frame rate for image inputs", "25");
  a.Epilog("examples:\n  smile copy in.mp4 out.mp4\n  smile copy in.mp4 frames/ --max-frames 50\n"
           "  smile copy \"gst:videotestsrc num-buffers=100\" test.mp4 --live\n");
  Status st;
  if (!ParseOrHelp(a, args, &st)) return st;
  const std::string in = a.Get("input"), out = a.Get("output");

  capture::JobOptions job;
  job.label = "copy";
  if (a.Has("max-frames")) {
    SMILE_ASSIGN_OR_RETURN(job.max_frames, a.GetInt("max-frames", 1, int64_t(1) << 40));
  }
  if (a.Has("queue")) {
    SMILE_ASSIGN_OR_RETURN(int64_t q, a.GetInt("queue", 1, 4096));
    job.queue_capacity = static_cast<size_t>(q);
  }
  job.live = a.GetFlag("live");
  SMILE_ASSIGN_OR_RETURN(int64_t crf, a.GetInt("crf", 0, 51));
  SMILE_ASSIGN_OR_RETURN(double fps, a.GetDouble("fps", 0.1, 1000));
  if (capture::SameFile(in, out)) {
    return InvalidArgument("input and output are the same file '" + in + "'; choose another output name");
  }

  // Output first: an unwritable folder fails before any decoding.
  SMILE_ASSIGN_OR_RETURN(capture::SinkKind sink_kind, capture::ClassifySink(out));
  if (sink_kind == capture::SinkKind::kVideoFile) {
    SMILE_RETURN_IF_ERROR(capture::CheckOutputFolder(out, /*create=*/true));
  } else if (sink_kind == capture::SinkKind::kPreview) {
    SMILE_RETURN_IF_ERROR(capture::OpenPreviewSink({}).status());  // needs a display
  }
  capture::SourceOptions sopts;
  sopts.force_live = job.live;
  sopts.image_fps = fps;
  SMILE_ASSIGN_OR_RETURN(auto source, capture::OpenSource(in, sopts));
  const capture::SourceInfo& info = source->info();
  SMILE_LOG(kInfo) << "input:  " << info.description;
  capture::SinkOptions kopts = capture::SinkOptionsFor(info);
  kopts.crf = static_cast<int>(crf);
  kopts.preset = a.Get("preset");
  kopts.provenance = capture::NotSynthetic("copy");  // re-encoded, not generated: tagged synthetic=false
  SMILE_ASSIGN_OR_RETURN(auto sink, capture::OpenSink(out, kopts));

  capture::JobReport r = capture::RunMediaJob(*source, *sink, capture::FrameStageFn(), job);
  if (r.status.ok() || r.status.code() == StatusCode::kCancelled) {
    std::fprintf(stderr, "%s", r.Summary().c_str());
  }
  if (r.live && r.frames_dropped > 0) {
    std::fprintf(stderr, "dropped %lld frames (live input, queue %zu); raise --queue to drop fewer\n",
                 static_cast<long long>(r.frames_dropped), job.queue_capacity ? job.queue_capacity : size_t(1));
  }
  if (r.status.code() == StatusCode::kCancelled && r.output_kept) {
    return Cancelled("interrupted; kept the " + std::to_string(r.frames_written) + " frames done in " + r.output);
  }
  return r.status;
}

}  // namespace

SMILE_COMMAND(copy, 81, "Decode and re-encode media (keeps audio); the base of every job", RunCopy);

}  // namespace smile::app
