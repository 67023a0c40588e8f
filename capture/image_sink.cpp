// PNG (or JPEG...) sequence: out/%05d.png, or a folder (files 000000.png ...).
// Each image is written under a hidden temporary name and renamed, so a
// crash never leaves a half-written image; Abort() removes every image written.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "capture/sink.h"

namespace smile::capture {
namespace {

class ImageSequenceSink : public FrameSink {
 public:
  ~ImageSequenceSink() override {
    if (!closed_) Abort();
  }

  Status Init(const std::string& uri, const ProvenanceMark& mark) {
    mark_ = mark;
    if (uri.find('%') != std::string::npos) {
      pattern_ = uri;
    } else {
      pattern_ = uri + (uri.back() == '/' ? "" : "/") + "%06d.png";
    }
    SMILE_RETURN_IF_ERROR(CheckOutputFolder(pattern_, /*create=*/true));
    return Status::Ok();
  }

  Status Write(const Frame& frame) override {
    if (closed_) return Internal("write after Close on '" + pattern_ + "'");
    if (frame.empty()) return InvalidArgument("empty frame given to the image sink '" + pattern_ + "'");
    std::vector<char> buf(pattern_.size() + 64);
    std::snprintf(buf.data(), buf.size(), pattern_.c_str(), static_cast<int>(written_.size()));
    std::string path = buf.data();
    // Atomic (temporary name + rename), with the provenance mark in PNG/JPEG.
    SMILE_RETURN_IF_ERROR(WriteImage(path, *frame.image, mark_));
    written_.push_back(path);
    return Status::Ok();
  }

  Status Close() override {
    closed_ = true;
    if (written_.empty()) return NotFound("no frames were written to '" + pattern_ + "' (the input gave no frames)");
    return Status::Ok();
  }

  void Abort() override {
    for (const auto& p : written_) ::unlink(p.c_str());
    written_.clear();
    closed_ = true;
  }

  int64_t frames_written() const override { return static_cast<int64_t>(written_.size()); }
  std::string target() const override { return pattern_; }

 private:
  std::string pattern_;
  ProvenanceMark mark_;
  std::vector<std::string> written_;
  bool closed_ = false;
};

}  // namespace

Result<std::unique_ptr<FrameSink>> OpenImageSequenceSink(const std::string& uri, const SinkOptions& options) {
  auto sink = std::make_unique<ImageSequenceSink>();
  SMILE_RETURN_IF_ERROR(sink->Init(uri, options.provenance));
  return std::unique_ptr<FrameSink>(std::move(sink));
}

}  // namespace smile::capture
