// smile probe <media>: what is inside a video, image, folder or stream.
#include <cstdio>

#include "apps/command.h"
#include "capture/media_info.h"
#include "capture/source.h"

namespace smile::app {
namespace {

Status RunProbe(const std::vector<std::string>& args) {
  ArgParser a("probe", "Show the streams of a video (codec, size, fps, frames, duration, audio).");
  a.Positional("media", "video file, URL, image, image folder, pattern (dir/%05d.png), camera index or gst:<pipeline>");
  a.Flag("count", "count the video packets (exact frame count even when the container has none)");
  a.Epilog("examples:\n  smile probe clip.mp4\n  smile probe --count clip.mkv\n  smile probe frames/\n");
  Status st;
  if (!ParseOrHelp(a, args, &st)) return st;
  const std::string media = a.Get("media");
  SMILE_ASSIGN_OR_RETURN(capture::SourceKind kind, capture::ClassifySource(media));
  if (kind == capture::SourceKind::kVideoFile || kind == capture::SourceKind::kUrl) {
    SMILE_ASSIGN_OR_RETURN(capture::MediaInfo info, capture::ProbeMedia(media, a.GetFlag("count")));
    if (!info.video()) {
      std::fputs(info.ToString().c_str(), stdout);
      return NotFound("'" + media + "' has no video stream; give a video file");
    }
    std::fputs(info.ToString().c_str(), stdout);
    return Status::Ok();
  }
  // Images, folders, cameras, pipelines: open the source and report what it gives.
  capture::SourceOptions opts;
  SMILE_ASSIGN_OR_RETURN(auto src, capture::OpenSource(media, opts));
  const capture::SourceInfo& i = src->info();
  const std::string frames = i.frame_count >= 0 ? std::to_string(i.frame_count) + " frames" : "unknown frames (live)";
  const std::string duration = i.duration_s > 0 ? std::to_string(i.duration_s) + " s" : "unknown (live)";
  std::printf("%s\n  kind:      %s\n  video:     %dx%d, %.3f fps, %s\n  duration:  %s\n  audio:     none\n"
              "  live:      %s\n",
              media.c_str(), capture::SourceKindName(i.kind), i.width, i.height, i.fps, frames.c_str(),
              duration.c_str(), i.is_live ? "yes" : "no");
  return Status::Ok();
}

}  // namespace

SMILE_COMMAND(probe, 80, "Show what is inside a video, image folder or stream", RunProbe);

}  // namespace smile::app
