// GStreamer pipelines and webcams through OpenCV's VideoCapture
// (CAP_GSTREAMER with an appsink, CAP_V4L2 for /dev/videoN).
#include <sys/stat.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <mutex>

#include <opencv2/core/utility.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/videoio.hpp>

#include "capture/source.h"
#include "core/log.h"

#include <gst/gst.h>

namespace smile::capture {
namespace {

class OpenCvSource : public FrameSource {
 public:
  Status Open(const std::string& uri, cv::VideoCapture cap, SourceKind kind, const SourceOptions& options,
              const std::string& what) {
    cap_ = std::move(cap);
    options_ = options;
    info_.uri = uri;
    info_.kind = kind;
    info_.video_codec = "raw";
    info_.is_live = true;
    // Read the first frame now so that size and rate are known (and a broken
    // pipeline fails here with a clear message rather than mid-job).
    if (!cap_.read(first_) || first_.empty()) {
      return IoError(what + " '" + uri + "' opened but gave no frame; check the pipeline/device (run it with "
                     "gst-launch-1.0 to see its errors)");
    }
    info_.width = first_.cols;
    info_.height = first_.rows;
    double fps = cap_.get(cv::CAP_PROP_FPS);
    if (!(fps > 0 && fps < 1000)) fps = 30.0;
    info_.fps = fps;
    info_.fps_num = static_cast<int>(std::lround(fps * 1000));
    info_.fps_den = 1000;
    if (std::fabs(fps - std::round(fps)) < 1e-6) info_.fps_num = static_cast<int>(std::lround(fps)), info_.fps_den = 1;
    char desc[512];
    std::snprintf(desc, sizeof(desc), "%s '%s' (%dx%d, %.3g fps, live)", what.c_str(), uri.c_str(), info_.width,
                  info_.height, fps);
    info_.description = desc;
    return Status::Ok();
  }

  const SourceInfo& info() const override { return info_; }
  int64_t frames_read() const override { return sequence_; }

  Result<Frame> Read() override {
    if (options_.max_frames >= 0 && sequence_ >= options_.max_frames) return EndOfStream();
    cv::Mat img;
    if (!first_.empty()) {
      img = std::move(first_);
      first_ = cv::Mat();
    } else {
      if (!cap_.read(img) || img.empty()) return EndOfStream();
    }
    // OpenCV's CAP_PROP_POS_MSEC for GStreamer is the pipeline position, not
    // the buffer's timestamp (opencv#19025), so frames are timed by their
    // index at the nominal rate.
    int64_t pts_us = static_cast<int64_t>(std::llround(sequence_ * 1e6 / info_.fps));
    if (sequence_ > 0 && pts_us <= last_pts_us_) pts_us = last_pts_us_ + 1;
    last_pts_us_ = pts_us;
    return Frame::FromMat(std::move(img), pts_us, sequence_++);
  }

 private:
  cv::VideoCapture cap_;
  SourceOptions options_;
  SourceInfo info_;
  cv::Mat first_;
  int64_t sequence_ = 0, last_pts_us_ = 0;
};

}  // namespace

void QuietOpenCvLog() {
  // OpenCV's GStreamer backend warns on every open ("Cannot query video
  // position"); keep its log for --verbose.
  if (GetLogLevel() > LogLevel::kDebug) cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
}

Status CheckGstPipeline(const std::string& pipeline) {
  QuietOpenCvLog();
  static std::once_flag once;
  std::call_once(once, [] { gst_init(nullptr, nullptr); });
  GError* error = nullptr;
  GstElement* element = gst_parse_launch(pipeline.c_str(), &error);
  std::string message;
  if (error) {
    message = error->message ? error->message : "parse error";
    g_error_free(error);
  }
  if (element) gst_object_unref(element);
  if (!element || !message.empty()) {
    return InvalidArgument("bad GStreamer pipeline '" + pipeline + "': " + message +
                           "; check the element names and caps with: gst-launch-1.0 " + pipeline);
  }
  return Status::Ok();
}

bool OpenCvHasGStreamer() {
  static const bool has = [] {
    const std::string info = cv::getBuildInformation();
    size_t p = info.find("GStreamer:");
    if (p == std::string::npos) return false;
    size_t eol = info.find('\n', p);
    return info.substr(p, eol - p).find("YES") != std::string::npos;
  }();
  return has;
}

Result<std::unique_ptr<FrameSource>> OpenGstSource(const std::string& uri, const SourceOptions& options) {
  if (!OpenCvHasGStreamer()) {
    return Unsupported("this OpenCV build has no GStreamer support, so '" + uri +
                       "' cannot run; install OpenCV built with GStreamer (Debian: libopencv-videoio406)");
  }
  std::string pipeline = uri.rfind("gst:", 0) == 0 ? uri.substr(4) : uri;
  while (!pipeline.empty() && std::isspace(static_cast<unsigned char>(pipeline.front()))) pipeline.erase(0, 1);
  if (pipeline.empty()) return InvalidArgument("empty GStreamer pipeline; e.g. gst:videotestsrc ! video/x-raw,width=640");
  if (pipeline.find("appsink") == std::string::npos) {
    pipeline += " ! videoconvert ! video/x-raw,format=BGR ! appsink sync=false";
  }
  // OpenCV can hang on a pipeline that does not parse: check it first.
  SMILE_RETURN_IF_ERROR(CheckGstPipeline(pipeline));
  cv::VideoCapture cap;
  bool opened = false;
  try {
    opened = cap.open(pipeline, cv::CAP_GSTREAMER);
  } catch (const cv::Exception& e) {
    opened = false;
  }
  if (!opened) {
    return IoError("cannot start GStreamer pipeline '" + pipeline +
                   "'; check the element names and caps with: gst-launch-1.0 " + pipeline);
  }
  auto src = std::make_unique<OpenCvSource>();
  SMILE_RETURN_IF_ERROR(src->Open(uri, std::move(cap), SourceKind::kGStreamer, options, "GStreamer pipeline"));
  return std::unique_ptr<FrameSource>(std::move(src));
}

Result<std::unique_ptr<FrameSource>> OpenWebcamSource(const std::string& uri, const SourceOptions& options) {
  int index = -1;
  std::string dev;
  if (uri.rfind("/dev/video", 0) == 0) {
    dev = uri;
    index = std::atoi(uri.c_str() + 10);
  } else {
    index = std::atoi(uri.c_str());
    dev = "/dev/video" + std::to_string(index);
  }
  QuietOpenCvLog();
  struct stat st {};
  if (stat(dev.c_str(), &st) != 0) {
    return NotFound("no camera " + uri + ": " + dev +
                    " does not exist; connect a webcam (ls /dev/video*), pick another index, or give a video file");
  }
  cv::VideoCapture cap;
  bool opened = false;
  try {
    opened = cap.open(index, cv::CAP_V4L2);
  } catch (const cv::Exception&) {
    opened = false;
  }
  if (!opened) {
    return IoError("cannot open camera " + dev + "; it may be busy (another app) or you lack permission (add "
                   "yourself to the 'video' group)");
  }
  auto src = std::make_unique<OpenCvSource>();
  SMILE_RETURN_IF_ERROR(src->Open(uri, std::move(cap), SourceKind::kWebcam, options, "camera"));
  return std::unique_ptr<FrameSource>(std::move(src));
}

}  // namespace smile::capture
