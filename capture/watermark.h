// Visible watermark: a small translucent "AI-generated" label in a corner of
// every frame (SimSwap-style). Off by default for files (they carry a
// machine-readable mark instead, see provenance.h), on by default for live
// outputs (GStreamer pipelines such as a virtual camera); see SinkOptions.
#pragma once

#include <string>

#include <opencv2/core.hpp>

namespace smile::capture {

enum class Corner { kBottomRight, kBottomLeft, kTopRight, kTopLeft };

struct WatermarkOptions {
  std::string text = "AI-generated";
  Corner corner = Corner::kBottomRight;
  double opacity = 0.6;       // 0 invisible .. 1 opaque
  double height_frac = 0.035; // text height as a fraction of the frame height (at least 10 px)
};

// Draws the label into an 8-bit BGR (or gray / BGRA) image in place: white
// text on a dark translucent box, sized to the frame. No-op on an empty image.
void DrawWatermark(cv::Mat& image, const WatermarkOptions& options = {});

// The rectangle DrawWatermark paints for an image of `size` (for tests and layout).
cv::Rect WatermarkRect(cv::Size size, const WatermarkOptions& options = {});

}  // namespace smile::capture
