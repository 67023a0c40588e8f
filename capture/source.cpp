#include "capture/source.h"

#include "core/log.h"

#include <sys/stat.h>

#include <cctype>

#include "capture/media_info.h"

namespace smile::capture {

const char* SourceKindName(SourceKind kind) {
  switch (kind) {
    case SourceKind::kVideoFile: return "video file";
    case SourceKind::kUrl: return "network stream";
    case SourceKind::kImageSequence: return "image sequence";
    case SourceKind::kImageFolder: return "image folder";
    case SourceKind::kImage: return "image";
    case SourceKind::kGStreamer: return "GStreamer pipeline";
    case SourceKind::kWebcam: return "webcam";
  }
  return "unknown";
}

namespace {
bool IsInteger(const std::string& s) {
  if (s.empty() || s.size() > 3) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}
bool HasPrintfPattern(const std::string& s) {
  size_t p = s.find('%');
  if (p == std::string::npos) return false;
  size_t i = p + 1;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  return i < s.size() && (s[i] == 'd' || s[i] == 'i' || s[i] == 'u');
}
}  // namespace

Result<SourceKind> ClassifySource(const std::string& uri) {
  if (uri.empty()) return InvalidArgument("empty input; give a video file, image, folder, camera index or gst:<pipeline>");
  if (uri.rfind("gst:", 0) == 0 || uri.find(" ! ") != std::string::npos) return SourceKind::kGStreamer;
  if (IsInteger(uri) || uri.rfind("/dev/video", 0) == 0) return SourceKind::kWebcam;
  if (IsNetworkUrl(uri)) return SourceKind::kUrl;
  if (HasPrintfPattern(uri)) return SourceKind::kImageSequence;
  struct stat st {};
  if (stat(uri.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return SourceKind::kImageFolder;
  if (IsImageExtension(uri)) return SourceKind::kImage;
  return SourceKind::kVideoFile;
}

Result<std::unique_ptr<FrameSource>> OpenSource(const std::string& uri, const SourceOptions& options) {
  SMILE_ASSIGN_OR_RETURN(SourceKind kind, ClassifySource(uri));
  switch (kind) {
    case SourceKind::kGStreamer: return OpenGstSource(uri, options);
    case SourceKind::kWebcam: return OpenWebcamSource(uri, options);
    case SourceKind::kUrl: return OpenFfmpegSource(uri, options, /*network=*/true);
    case SourceKind::kVideoFile: return OpenFfmpegSource(uri, options, /*network=*/false);
    case SourceKind::kImageSequence:
    case SourceKind::kImageFolder: return OpenImageSource(uri, kind, options);
    case SourceKind::kImage: {
      auto image = OpenImageSource(uri, kind, options);
      if (image.ok() || image.status().code() != StatusCode::kCorrupt) return image;
      // An image extension on something OpenCV cannot decode: maybe a video with the wrong name.
      // (A damaged photo stays an error: FFmpeg's image decoders would only half-decode it.)
      auto video = OpenFfmpegSource(uri, options, /*network=*/false);
      if (!video.ok()) return image;
      const std::string codec = (*video)->info().video_codec;
      for (const char* still : {"mjpeg", "png", "apng", "bmp", "tiff", "webp", "gif", "jpegls", "ppm", "pgm", "pam",
                                "jpeg2000"}) {
        if (codec == still) return image;
      }
      SMILE_LOG(kWarn) << "'" << uri << "' is not an image despite its extension; reading it as "
                       << (*video)->info().video_codec << " video";
      return video;
    }
  }
  return Internal("unhandled source kind for '" + uri + "'");
}

}  // namespace smile::capture
