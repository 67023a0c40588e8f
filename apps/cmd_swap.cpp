// smile swap: re-render every frame's head with an identity's model and style,
// paste it back, keep background, body and audio.
#include <cstdio>
#include <algorithm>
#include <filesystem>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "apps/command.h"
#include "apps/synthesis_options.h"
#include "apps/contact_sheet.h"
#include "apps/face_options.h"
#include "apps/edit_setup.h"
#include "capture/media_job.h"
#include "engine/session.h"
#include "capture/sink.h"
#include "capture/source.h"
#include "core/log.h"
#include "engine/alignment.h"
#include "engine/face_analyzer.h"
#include "core/face_labels.h"
#include "models/identity_model.h"
#include "models/runtime.h"

namespace smile::app {

Status RunSwapJob(const std::vector<std::string>& args) {
  ArgParser p("swap",
              "Head swap: every frame's head is re-rendered by the synthesis stage from a 19-class mask and the "
              "identity's FIXED style matrix, then pasted back with the inverse alignment, a feathered mask and "
              "colour matching. The mask is the identity's own layout with the frame's brows, eyes and mouth "
              "(--layout identity, the default) or the frame's own (smoothed) mask (--layout driver). Background, "
              "body, frame count and audio are kept.");
  p.Option("identity", "MODEL", "identity model made by 'smile fit' (.smile)", "", true);
  p.Option("video", "MEDIA", "input video (or image, folder, stream)", "", true);
  p.Option("output", "FILE", "output video (.mp4) or folder of PNGs", "", true);
  AddFaceOption(p, "swap");
  AddDetectorOption(p);
  p.Option("smooth", "on|off", "temporal smoothing of the masks and of the face crop (off for unrelated photos)", "on");
  p.Option("color", "F", "colour matching strength towards the video's lighting, 0..1", "0.5");
  AddLayoutOption(p);
  p.Option("max-frames", "N", "stop after N frames", "");
  p.Option("crf", "Q", "H.264 quality, 0 (lossless) .. 51 (worst)", "18");
  p.Option("compare", "FILE", "also write a side-by-side video: input | mask | output", "");
  p.Option("sheet", "FILE", "also write a contact sheet PNG (6 frames: input, mask, output)", "");
  p.Flag("watermark", "draw a small translucent 'AI-generated' label in a corner of every output frame "
                      "(files are always tagged synthetic=true in their metadata)");
  p.Option("stages", "pipelined|one",
           "pipelined: decode, analyse, synthesise, compose and encode on their own threads; one: analysis, "
           "synthesis and paste-back in one thread (the older layout, for comparisons)",
           "pipelined");
  AddSynthesisOptions(p);
  AddEditOptions(p);
  p.Epilog("example:\n  smile fit --identity alice.mp4 -o alice.smile\n"
           "  smile swap --identity alice.smile --video bob.mp4 -o bob_as_alice.mp4\n" +
           std::string(kConsentLine));
  Status status;
  if (!ParseOrHelp(p, args, &status)) return status;
  SMILE_ASSIGN_OR_RETURN(EditRequest edit, ParseEditOptions(p));
  const std::string identity = p.Get("identity"), in = p.Get("video"), out = p.Get("output");
  const std::string ext = std::filesystem::path(identity).extension().string();
  if (ext == ".jpg" || ext == ".jpeg" || ext == ".png")
    return InvalidArgument("'" + identity + "' is a photo: swapping from a photo alone needs a general synthesis "
                           "model; fit the person first: smile fit --identity <their video or photos> -o id.smile");
  if (p.Get("smooth") != "on" && p.Get("smooth") != "off") return InvalidArgument("--smooth takes on or off");
  SMILE_ASSIGN_OR_RETURN(double color, p.GetDouble("color", 0, 1));
  SMILE_ASSIGN_OR_RETURN(int64_t crf, p.GetInt("crf", 0, 51));
  // Every option is checked before the model loads (bad arguments fail at once, exit 2).
  engine::AnalyzerOptions ao;
  SMILE_RETURN_IF_ERROR(ApplyFaceOptions(p, &ao.tracker));
  engine::SessionOptions so;
  so.label = "swap";
  so.color = color;
  SMILE_RETURN_IF_ERROR(ApplyLayoutOption(p, &so));
  if (p.Has("max-frames")) {
    SMILE_ASSIGN_OR_RETURN(so.max_frames, p.GetInt("max-frames", 1, int64_t(1) << 40));
  }
  SMILE_ASSIGN_OR_RETURN(capture::SinkKind sink_kind, capture::ClassifySink(out));
  if (!p.Get("compare").empty()) SMILE_RETURN_IF_ERROR(capture::ClassifySink(p.Get("compare")).status());
  if (capture::SameFile(in, out))
    return InvalidArgument("--output '" + out + "' is the input video itself; choose another output name");
  if (!p.Get("compare").empty() && (p.Get("compare") == out || capture::SameFile(in, p.Get("compare"))))
    return InvalidArgument("--compare '" + p.Get("compare") + "' must differ from --video and --output");
  if (!std::filesystem::exists(identity)) return NotFound("identity model '" + identity + "' does not exist");
  if (p.Get("stages") != "pipelined" && p.Get("stages") != "one")
    return InvalidArgument("--stages takes pipelined or one");
  so.fused = p.Get("stages") == "one";
  SMILE_RETURN_IF_ERROR(ApplySynthesisOptions(p, &so));

  SMILE_ASSIGN_OR_RETURN(auto device, models::ChooseDevice("auto"));
  SMILE_LOG(kInfo) << "device: " << device.description;
  SMILE_ASSIGN_OR_RETURN(auto model, models::LoadIdentityModel(identity));

  // The session (tracker, and the --face photo's face) before any output exists.
  ao.align.size = std::max(256, model->config.image_size);
  ao.smooth = p.Get("smooth") == "on";
  SMILE_ASSIGN_OR_RETURN(auto session, engine::Session::Create(model, so, ao));
  SMILE_RETURN_IF_ERROR(AttachEditor(edit, *session));
  if (sink_kind == capture::SinkKind::kVideoFile) SMILE_RETURN_IF_ERROR(capture::CheckOutputFolder(out, true));
  SMILE_ASSIGN_OR_RETURN(auto source, capture::OpenSource(in));
  SMILE_LOG(kInfo) << "input:  " << source->info().description;
  capture::SinkOptions kopts = capture::SinkOptionsFor(source->info());
  kopts.crf = static_cast<int>(crf);
  kopts.provenance.note = edit.enabled ? "swap " + edit.spec.ToString() : "swap";
  kopts.watermark = p.GetFlag("watermark") ? capture::WatermarkMode::kOn : capture::WatermarkMode::kOff;
  SMILE_ASSIGN_OR_RETURN(auto sink, capture::OpenSink(out, kopts));
  std::unique_ptr<capture::FrameSink> compare;
  if (!p.Get("compare").empty()) {
    SMILE_RETURN_IF_ERROR(capture::CheckOutputFolder(p.Get("compare"), true));
    SMILE_ASSIGN_OR_RETURN(compare, capture::OpenSink(p.Get("compare"), kopts));
  }
  const std::string sheet_path = p.Get("sheet");
  const int64_t total = so.max_frames > 0 && source->info().frame_count > 0
                            ? std::min(so.max_frames, source->info().frame_count)
                            : source->info().frame_count;
  ContactSheet sheet(sheet_path.empty() ? 0 : total, 6, 480);

  // Side-by-side panel and contact-sheet row for one frame (compose stage, in order).
  engine::OutputHook record;
  if (compare || !sheet_path.empty()) {
    record = [&](engine::SessionItem& item) -> Status {
      const cv::Mat& in = *item.input.image;
      cv::Mat mask_panel = item.render ? OverlayLabels(in, engine::WarpToFrame(item.labels, item.alignment, in.size(),
                                                                               cv::INTER_NEAREST, cv::Scalar(0)), 0.6)
                                       : cv::Mat(in.size(), CV_8UC3, cv::Scalar::all(0));
      cv::Mat row;
      cv::hconcat(std::vector<cv::Mat>{in, mask_panel, item.output}, row);
      if (compare) SMILE_RETURN_IF_ERROR(compare->Write(Frame::FromMat(row, item.input.pts_us, item.input.sequence)));
      sheet.Offer(item.input.sequence, row);
      return Status::Ok();
    };
  }
  engine::SessionReport r = session->RunSwap(*source, *sink, record);
  if (compare) {
    if (r.status.ok() || r.status.code() == StatusCode::kCancelled) {
      if (r.status.ok() && so.max_frames < 0) compare->MarkInputComplete();
      Status cs = compare->Close();
      if (!cs.ok()) SMILE_LOG(kWarn) << "side-by-side video: " << cs.message();
    } else {
      compare->Abort();
    }
  }
  if (!sheet.empty()) {
    Status ss = sheet.Write(sheet_path);
    if (!ss.ok()) SMILE_LOG(kWarn) << ss.message();
  }
  if (r.status.ok() || r.status.code() == StatusCode::kCancelled) std::fprintf(stderr, "%s", r.Summary().c_str());
  if (r.frames_no_face > 0)
    std::fprintf(stderr, "%lld frame(s) had no usable face and were passed through unchanged\n",
                 static_cast<long long>(r.frames_no_face));
  return r.status;
}

namespace {
Status RunSwap(const std::vector<std::string>& args) { return RunSwapJob(args); }
}  // namespace

SMILE_COMMAND(swap, 10, "head swap: re-render every head in a video with an identity model, keep audio", RunSwap);

}  // namespace smile::app
