// On-screen preview (cv::imshow) and GStreamer sink pipelines (cv::VideoWriter
// with CAP_GSTREAMER: appsrc ! videoconvert ! <your pipeline>), e.g.
//   gst:v4l2sink device=/dev/video10                (virtual camera)
//   gst:x264enc tune=zerolatency ! rtph264pay ! udpsink host=127.0.0.1 port=5000
//   gst:x264enc ! flvmux ! rtmpsink location=rtmp://host/live/key
#include <cctype>
#include <cmath>
#include <cstdlib>

#include <opencv2/highgui.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "capture/sink.h"
#include "capture/source.h"
#include "core/shutdown.h"

namespace smile::capture {
namespace {

class PreviewSink : public FrameSink {
 public:
  explicit PreviewSink(std::string title) : title_(std::move(title)) {}
  ~PreviewSink() override { Abort(); }

  Status Write(const Frame& frame) override {
    if (frame.empty()) return Status::Ok();
    try {
      cv::imshow(title_, *frame.image);
      open_ = true;
      int key = cv::waitKey(1);
      if (key == 'q' || key == 27) RequestStop();  // q / Esc ends the session like Ctrl-C
    } catch (const cv::Exception& e) {
      return Unsupported(std::string("cannot show the preview window (") + e.what() +
                         "); use --sink with a file (out.mp4) instead");
    }
    ++frames_;
    return Status::Ok();
  }
  Status Close() override {
    Abort();
    return Status::Ok();
  }
  void Abort() override {
    if (open_) {
      try {
        cv::destroyWindow(title_);
      } catch (const cv::Exception&) {
      }
      open_ = false;
    }
  }
  int64_t frames_written() const override { return frames_; }
  std::string target() const override { return "window '" + title_ + "'"; }

 private:
  std::string title_;
  int64_t frames_ = 0;
  bool open_ = false;
};

class GstSink : public FrameSink {
 public:
  GstSink(std::string pipeline, const SinkOptions& options) : pipeline_(std::move(pipeline)), options_(options) {}
  ~GstSink() override { Abort(); }

  Status Write(const Frame& frame) override {
    if (frame.empty()) return Status::Ok();
    if (!writer_.isOpened()) {
      size_ = cv::Size(frame.width(), frame.height());
      double fps = options_.fps_num > 0 ? double(options_.fps_num) / options_.fps_den : options_.fps;
      if (!(fps > 0)) fps = 30;
      std::string full = "appsrc ! videoconvert ! " + pipeline_;
      bool ok = false;
      try {
        ok = writer_.open(full, cv::CAP_GSTREAMER, 0, fps, size_, true);
      } catch (const cv::Exception&) {
        ok = false;
      }
      if (!ok) {
        return IoError("cannot start GStreamer sink pipeline '" + full +
                       "'; check the elements and caps with gst-launch-1.0 (e.g. videotestsrc ! " + pipeline_ + ")");
      }
    }
    if (frame.width() != size_.width || frame.height() != size_.height) {
      cv::Mat r;
      cv::resize(*frame.image, r, size_);
      writer_.write(r);
    } else {
      writer_.write(*frame.image);
    }
    ++frames_;
    return Status::Ok();
  }
  Status Close() override {
    if (writer_.isOpened()) writer_.release();  // sends EOS
    if (frames_ == 0) return NotFound("no frames were sent to GStreamer pipeline '" + pipeline_ + "'");
    return Status::Ok();
  }
  void Abort() override {
    if (writer_.isOpened()) writer_.release();
  }
  int64_t frames_written() const override { return frames_; }
  std::string target() const override { return "gst:" + pipeline_; }

 private:
  std::string pipeline_;
  SinkOptions options_;
  cv::VideoWriter writer_;
  cv::Size size_;
  int64_t frames_ = 0;
};

}  // namespace

Result<std::unique_ptr<FrameSink>> OpenPreviewSink(const SinkOptions& options) {
  const char* display = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  if ((!display || !*display) && (!wayland || !*wayland)) {
    return Unsupported("no display for the preview window (DISPLAY is not set); run in a desktop session, or use "
                       "--sink / an output file (e.g. out.mp4) instead");
  }
  return std::unique_ptr<FrameSink>(std::make_unique<PreviewSink>(options.window_title));
}

Result<std::unique_ptr<FrameSink>> OpenGstSink(const std::string& uri, const SinkOptions& options) {
  if (!OpenCvHasGStreamer()) {
    return Unsupported("this OpenCV build has no GStreamer support, so the sink '" + uri +
                       "' cannot run; install OpenCV built with GStreamer");
  }
  std::string pipeline = uri.rfind("gst:", 0) == 0 ? uri.substr(4) : uri;
  while (!pipeline.empty() && std::isspace(static_cast<unsigned char>(pipeline.front()))) pipeline.erase(0, 1);
  if (pipeline.empty()) return InvalidArgument("empty GStreamer sink pipeline; e.g. gst:v4l2sink device=/dev/video10");
  if (pipeline.rfind("appsrc", 0) == 0) {
    // The user wrote the whole pipeline: drop our prefix.
    size_t bang = pipeline.find('!');
    pipeline = bang == std::string::npos ? "autovideosink" : pipeline.substr(bang + 1);
    while (!pipeline.empty() && std::isspace(static_cast<unsigned char>(pipeline.front()))) pipeline.erase(0, 1);
  }
  SMILE_RETURN_IF_ERROR(CheckGstPipeline("appsrc ! videoconvert ! " + pipeline));
  return std::unique_ptr<FrameSink>(std::make_unique<GstSink>(pipeline, options));
}

}  // namespace smile::capture
