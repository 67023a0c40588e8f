// smile parse <image|video> -o <dir>: faces in every frame -> 19-class label maps.
// Writes <dir>/labels/NNNNNN.png (aligned uint8 label map of the main face),
// <dir>/aligned/NNNNNN.jpg (the aligned crop), <dir>/overlay/NNNNNN.jpg (the frame
// with the labels drawn over it) and <dir>/summary.txt; prints detection rate,
// flicker and timing. Frames come from capture::OpenSource (any source smile reads).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "apps/command.h"
#include "apps/face_options.h"
#include "capture/provenance.h"
#include "capture/source.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/shutdown.h"
#include "engine/face_analyzer.h"
#include "engine/metrics.h"

namespace smile::app {
namespace {

namespace fs = std::filesystem;
using namespace smile::engine;

bool IsImagePath(const std::string& p) {
  std::string ext = fs::path(p).extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(c));
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".webp" || ext == ".tif" ||
         ext == ".tiff";
}

std::string Num(int64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%06lld", static_cast<long long>(i));
  return buf;
}

Status RunParse(const std::vector<std::string>& args) {
  ArgParser p("parse", "Detect, track and align the faces of an image or video and parse them into 19-class masks.");
  p.Positional("input", "image (jpg/png/...) or video file");
  p.Option("output", "DIR", "output folder (-o); labels/, aligned/, overlay/ and summary.txt go there", "", true);
  p.Option("smooth", "on|off", "temporal smoothing of the masks and of the face crop (off for a folder of unrelated photos)", "on");
  p.Option("size", "N", "aligned crop side in pixels (the parser's input)", "256");
  p.Option("max-frames", "N", "stop after N frames (0 = all)", "0");
  AddFaceOption(p, "follow");
  p.Option("face-index", "N", "with --face index: the N-th face from the left (0-based; same as --face N)", "0");
  p.Option("reference", "PHOTO", "with --face reference: follow the face most like the one in PHOTO (same as --face PHOTO)", "");
  AddDetectorOption(p);
  AddParserOption(p, "for the masks", "auto");
  p.Option("redetect", "N", "full-frame face detection every N frames", "10");
  p.Flag("no-overlay", "do not write overlay images");
  p.Epilog("example: smile parse ../shared/media/video/d3.mp4 -o out/d3 --size 256 --max-frames 100");
  Status st;
  if (!ParseOrHelp(p, args, &st)) return st;

  const std::string input = p.Get("input"), out = p.Get("output");
  const std::string smooth = p.Get("smooth");
  if (smooth != "on" && smooth != "off") return InvalidArgument("--smooth must be 'on' or 'off', got '" + smooth + "'");
  SMILE_ASSIGN_OR_RETURN(int64_t size, p.GetInt("size", 32, 2048));
  SMILE_ASSIGN_OR_RETURN(int64_t max_frames, p.GetInt("max-frames", 0, int64_t(1) << 40));
  SMILE_ASSIGN_OR_RETURN(int64_t face_index, p.GetInt("face-index", 0, 1000));
  SMILE_ASSIGN_OR_RETURN(int64_t redetect, p.GetInt("redetect", 1, 100000));
  AnalyzerOptions o;
  o.align.size = static_cast<int>(size);
  o.smooth = smooth == "on";
  o.tracker.redetect_every = static_cast<int>(redetect);
  std::string face = p.Get("face");
  if (face == "index") face = std::to_string(face_index);
  if (face == "reference") {
    if (p.Get("reference").empty()) return InvalidArgument("--face reference needs --reference PHOTO");
    face = p.Get("reference");
  }
  SMILE_RETURN_IF_ERROR(ApplyFaceChoice(face, &o.tracker));
  SMILE_RETURN_IF_ERROR(ApplyDetectorOption(p, &o.tracker));
  SMILE_ASSIGN_OR_RETURN(o.parser, ApplyParserOption(p));
  if (!fs::exists(input)) return NotFound("input '" + input + "' does not exist; check the path");

  SMILE_ASSIGN_OR_RETURN(FaceAnalyzer analyzer, FaceAnalyzer::Create(o));
  SMILE_LOG(kInfo) << "face detector: " << DetectorKindName(analyzer.tracker().detector()) << ", parser: " << o.parser;

  const bool is_image = IsImagePath(input);
  // Any source capture reads: video files, streams, images (EXIF honoured), folders, gst pipelines.
  SMILE_ASSIGN_OR_RETURN(auto source, capture::OpenSource(input));
  int64_t total = is_image ? 1 : source->info().frame_count;
  if (max_frames > 0 && (total <= 0 || total > max_frames)) total = max_frames;
  const bool overlay = !p.GetFlag("no-overlay");
  for (const char* sub : {"labels", "aligned", "overlay"}) {
    if (!overlay && std::string(sub) == "overlay") continue;
    std::error_code ec;
    fs::create_directories(fs::path(out) / sub, ec);
    if (ec) return IoError("cannot create '" + (fs::path(out) / sub).string() + "': " + ec.message());
  }

  ProgressBar bar("parse", std::max<int64_t>(total, 0));
  DetectionStats det;
  double ms_track = 0, ms_parse = 0, ms_other = 0, flicker_sum = 0;
  int64_t flicker_n = 0, parsed = 0;
  int last_id = -1;
  cv::Mat prev_labels;
  int64_t prev_index = -2;
  for (int64_t i = 0;; ++i) {
    if (StopRequested()) return Cancelled("parse interrupted after " + std::to_string(i) + " frames");
    if (max_frames > 0 && i >= max_frames) break;
    Result<Frame> next = source->Read();
    if (next.status().code() == StatusCode::kEndOfStream) break;
    if (!next.ok()) return next.status().WithContext(input);
    const cv::Mat& frame = *next->image;
    SMILE_ASSIGN_OR_RETURN(FrameAnalysis a, analyzer.Process(frame, next->pts_us / 1e6));
    ++det.frames;
    ms_track += a.ms_track;
    ms_parse += a.ms_parse;
    ms_other += a.ms_align + a.ms_smooth;
    if (a.found) {
      ++det.main_found;
      det.main_detected += a.face.detected;
      if (last_id >= 0 && a.face.id != last_id) ++det.id_changes;
      last_id = a.face.id;
      ++parsed;
      const cv::Mat& labels = a.smoothed.labels;
      if (prev_index == i - 1 && prev_labels.size() == labels.size()) {
        flicker_sum += LabelFlicker(prev_labels, labels);
        ++flicker_n;
      }
      prev_labels = labels;
      prev_index = i;
      const std::string n = Num(i);
      // Provenance: label maps and overlays are generated (synthetic); the aligned crop is a warp of real pixels.
      capture::ProvenanceMark generated;
      generated.note = "parse";
      SMILE_RETURN_IF_ERROR(capture::WriteImage((fs::path(out) / "labels" / (n + ".png")).string(), labels, generated));
      SMILE_RETURN_IF_ERROR(capture::WriteImage((fs::path(out) / "aligned" / (n + ".jpg")).string(), a.aligned,
                                                capture::NotSynthetic("parse aligned crop")));
      if (overlay) {
        cv::Mat ov = OverlayLabels(frame, a.FrameLabels(frame.size()), 0.45);
        SMILE_RETURN_IF_ERROR(capture::WriteImage((fs::path(out) / "overlay" / (n + ".jpg")).string(), ov, generated));
      }
    } else {
      SMILE_LOG(kDebug) << "frame " << i << ": no face";
    }
    std::ostringstream extra;
    extra << "faces " << a.tracks.faces.size() << "  found " << det.main_found << "/" << det.frames;
    bar.Update(i + 1, extra.str());
  }
  bar.Finish();
  if (det.frames == 0) return Corrupt("no frame could be read from '" + input + "'");

  std::ostringstream s;
  char buf[256];
  std::snprintf(buf, sizeof(buf), "frames %lld, main face found in %lld (%.1f%%), detector-confirmed %.1f%%, id changes %lld\n",
                static_cast<long long>(det.frames), static_cast<long long>(det.main_found), 100 * det.rate(),
                100 * det.detected_rate(), static_cast<long long>(det.id_changes));
  s << buf;
  std::snprintf(buf, sizeof(buf), "ms/frame: detect+track+landmarks %.1f, parse %.1f, align+smooth %.1f, total %.1f (size %lld, smoothing %s)\n",
                ms_track / det.frames, parsed ? ms_parse / parsed : 0.0, parsed ? ms_other / parsed : 0.0,
                (ms_track + ms_parse + ms_other) / det.frames, static_cast<long long>(size), smooth.c_str());
  s << buf;
  if (flicker_n > 0) {
    std::snprintf(buf, sizeof(buf), "flicker (face pixels changing label between consecutive frames): %.4f over %lld pairs\n",
                  flicker_sum / flicker_n, static_cast<long long>(flicker_n));
    s << buf;
  }
  std::fputs(s.str().c_str(), stdout);
  std::ofstream((fs::path(out) / "summary.txt").string()) << "input " << input << "\n" << s.str();
  if (det.main_found == 0) {
    SMILE_LOG(kWarn) << "no face was found in '" << input << "'";
  }
  return Status::Ok();
}

}  // namespace

SMILE_COMMAND(parse, 30, "Detect, track, align and parse faces into 19-class masks", RunParse);

}  // namespace smile::app
