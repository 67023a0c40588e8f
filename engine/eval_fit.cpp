#include "engine/eval_fit.h"
#include "engine/mesh_geometry.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <tuple>

#include <opencv2/imgproc.hpp>

#include "capture/source.h"
#include "core/face_labels.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/shutdown.h"
#include "engine/alignment.h"
#include "engine/eval_metrics.h"
#include "engine/face_analyzer.h"
#include "models/image_tensor.h"

namespace smile::engine {
namespace {

struct Series {
  std::vector<double> psnr, ssim, rmse, lpips;
  void Add(const ImageErrors& e) { psnr.push_back(e.psnr), ssim.push_back(e.ssim), rmse.push_back(e.rmse); }
};

cv::Mat Caption(const cv::Mat& img, const std::string& text, int side) {
  cv::Mat out;
  cv::resize(img, out, cv::Size(side, side * img.rows / std::max(1, img.cols)), 0, 0, cv::INTER_AREA);
  if (out.channels() == 1) cv::cvtColor(out, out, cv::COLOR_GRAY2BGR);
  cv::rectangle(out, cv::Rect(0, 0, out.cols, 18), cv::Scalar::all(0), cv::FILLED);
  cv::putText(out, text, {4, 13}, cv::FONT_HERSHEY_SIMPLEX, 0.4, cv::Scalar::all(255), 1, cv::LINE_AA);
  return out;
}

std::string Num(double v, int d) { return FormatMetric(v, d); }

}  // namespace

Result<EvalRecord> EvaluateFit(models::IdentityModel& model, const std::string& video, const FitEvalOptions& o,
                               LpipsMetric* lpips, InceptionFeatures* inception, const std::map<std::string, std::string>& metadata) {
  SMILE_ASSIGN_OR_RETURN(auto source, capture::OpenSource(video));
  const int64_t total = source->info().frame_count;
  int64_t start = o.start;
  if (start < 0) {
    if (total <= 0) return InvalidArgument("the frame count of '" + video + "' is unknown; give --start N");
    start = total - std::max<int64_t>(1, std::llround(total * o.holdout));
  }
  if (total > 0 && start >= total)
    return InvalidArgument("--start " + std::to_string(start) + " is past the clip's " + std::to_string(total) +
                           " frames");
  const int64_t held = total > 0 ? total - start : 0;
  const int64_t step = o.max_frames > 0 && held > o.max_frames ? (held + o.max_frames - 1) / o.max_frames : 1;

  const auto& config = model->config;
  const int s = config.image_size;
  AnalyzerOptions ao;
  ao.align.size = s;  // as smile fit extracts its crops
  ao.parser = model->parser;
  ao.smooth = source->info().kind == capture::SourceKind::kVideoFile;
  ao.iris = config.num_classes > kNumLabels;  // the model's masks have the iris class
  // Mesh geometry models: each frame's own mesh, rasterised with the identity's topology.
  const int geo = config.synth_geometry_channels;
  const MeshTopology topology = TopologyFromArrays(model->mesh_canonical, model->mesh_triangles);
  if (geo > 0 && topology.empty()) return Corrupt("the identity model's mesh topology is unreadable; fit it again");
  ao.mesh = geo > 0;
  SMILE_ASSIGN_OR_RETURN(auto analyzer, FaceAnalyzer::Create(ao));
  SMILE_ASSIGN_OR_RETURN(auto landmarker, LandmarkDetector::Load());
  AnalyzerOptions still = ao;
  still.smooth = false;
  still.iris = false;
  still.mesh = false;
  SMILE_ASSIGN_OR_RETURN(auto reparser, FaceAnalyzer::Create(still));  // cycle mIoU: parse the output again

  torch::NoGradGuard no_grad;
  model->network->eval();
  auto noise = model->network->generator->MakeNoise(0);
  const torch::Tensor& style = model->style;

  Series crop_fixed, crop_own, frame_fixed, frame_own;
  ClassErrors parts;  // fixed style, aligned crop: where the error lies
  ClassErrors edges;  // the same, on pixels near a class boundary only (others: kNotAnEdge)
  constexpr uint8_t kNotAnEdge = 255;
  std::vector<double> frame_index, nme, pose_err, yaw_in, yaw_out, cycle;
  int64_t evaluated = 0, no_face = 0;
  std::vector<cv::Mat> sheet_rows;
  std::vector<int64_t> sheet_frames;
  size_t next_sheet = 0;
  if (o.sheet_rows > 0 && held > 0)
    for (int r = 0; r < o.sheet_rows; ++r) sheet_frames.push_back(start + (held - 1) * (2 * r + 1) / (2 * o.sheet_rows));
  double ms_render = 0;
  std::vector<cv::Mat> reals, fakes;  // for FID
  ProgressBar bar("eval fit", held > 0 ? held : 0, "frames");
  for (int64_t i = 0; !StopRequested(); ++i) {
    auto frame = source->Read();
    if (frame.status().code() == StatusCode::kEndOfStream) break;
    if (!frame.ok()) return frame.status().WithContext(video);
    if (i < start - o.warmup) continue;
    const cv::Mat& image = *frame->image;
    SMILE_ASSIGN_OR_RETURN(auto an, analyzer.Process(image, frame->pts_us / 1e6));
    if (i < start || (i - start) % step != 0) continue;
    bar.Update(i - start + 1);
    if (!an.found) {
      ++no_face;
      continue;
    }
    const auto t0 = std::chrono::steady_clock::now();
    cv::Mat labels = an.smoothed.labels;
    if (ao.iris) {
      labels = labels.clone();
      PaintIris(labels, an.iris);
    }
    const cv::Mat region = HeadRegion(labels);
    auto mask = models::LabelsToOneHot(labels, config.num_classes);
    torch::Tensor input = mask;
    if (geo > 0) {
      // No mesh on this frame: the identity's mean face, as a job renders such a frame.
      cv::Mat g = RasterizeMeshGeometry(cv::Size(s, s), an.mesh.empty() ? CanonicalMesh(topology, s) : an.mesh,
                                        topology);
      input = torch::cat({mask, models::ChannelsToTensor(g, geo, cv::Size(s, s))}, 1);
    }
    // As jobs render: the identity's style bank when it has one, else its one fixed style.
    const torch::Tensor job_style = model->bank.empty() ? style : model->bank.Select(mask);
    cv::Mat fixed = models::TensorToImage(model->network->generator->forward(input, job_style, noise));
    auto enc = model->network->encoder->forward(models::ImageToTensor(an.aligned), mask);
    cv::Mat own = models::TensorToImage(
        model->network->generator->forward(input, models::FillAbsentStyles(enc, style), noise));
    ms_render += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ++evaluated;
    frame_index.push_back(static_cast<double>(i));
    crop_fixed.Add(CompareImages(fixed, an.aligned, region));
    parts.Add(fixed, an.aligned, labels);
    // The same error on the pixels near a class boundary only (within 2 px at 128 px).
    edges.Add(fixed, an.aligned, NearClassEdges(labels, 2, kNotAnEdge));
    crop_own.Add(CompareImages(own, an.aligned, region));
    // Pasted back into the full frame: the swap's feathered head mask, no colour matching.
    const cv::Mat weight = FeatherMask(s, 0.06, region);
    cv::Mat frame_region = WarpToFrame(region, an.alignment, image.size(), cv::INTER_NEAREST);
    cv::Mat pasted_fixed = image.clone(), pasted_own = image.clone();
    PasteBack(fixed, an.alignment, pasted_fixed, weight);
    PasteBack(own, an.alignment, pasted_own, weight);
    frame_fixed.Add(CompareImages(pasted_fixed, image, frame_region));
    if (inception) reals.push_back(an.aligned.clone()), fakes.push_back(fixed);
    frame_own.Add(CompareImages(pasted_own, image, frame_region));
    if (lpips) {
      // Background kept from the original so that only the head counts.
      using Job = std::pair<const cv::Mat*, Series*>;
      for (auto [render, series] : std::vector<Job>{Job{&fixed, &crop_fixed}, Job{&own, &crop_own}}) {
        cv::Mat comp = an.aligned.clone();
        render->copyTo(comp, region);
        SMILE_ASSIGN_OR_RETURN(double d, lpips->Distance(comp, an.aligned));
        series->lpips.push_back(d);
      }
    }
    // Expression / pose: landmarks of the pasted frame against the driver's, same face box.
    cv::Mat gray_in, gray_out;
    cv::cvtColor(image, gray_in, cv::COLOR_BGR2GRAY);
    cv::cvtColor(pasted_fixed, gray_out, cv::COLOR_BGR2GRAY);
    Landmarks l_in = landmarker.Fit(gray_in, an.face.box), l_out = landmarker.Fit(gray_out, an.face.box);
    nme.push_back(LandmarkError(l_in, l_out));
    HeadPose p_in = EstimateHeadPose(l_in, image.size()), p_out = EstimateHeadPose(l_out, image.size());
    pose_err.push_back(p_in.ok && p_out.ok ? ComparePoses(p_in, p_out).mean() : NAN);
    yaw_in.push_back(p_in.ok ? p_in.yaw : NAN);
    {
      auto again = reparser.ParseStill(pasted_fixed);
      cycle.push_back(again.ok() ? MaskMeanIoU(an.FrameLabels(image.size()), *again) : 0.0);
    }
    yaw_out.push_back(p_out.ok ? p_out.yaw : NAN);
    // Example rows: driver crop | mask | fixed style | own style | driver frame | pasted frame.
    if (next_sheet < sheet_frames.size() && i >= sheet_frames[next_sheet]) {
        while (next_sheet < sheet_frames.size() && sheet_frames[next_sheet] <= i) ++next_sheet;
        const int side = 160;
        char t[64];
        std::snprintf(t, sizeof(t), "fixed %.1f dB", crop_fixed.psnr.back());
        std::string tf = t;
        std::snprintf(t, sizeof(t), "own %.1f dB", crop_own.psnr.back());
        std::string to = t;
        std::snprintf(t, sizeof(t), "pasted %.1f dB", frame_fixed.psnr.back());
        std::string tp = t;
        std::vector<cv::Mat> cells = {Caption(an.aligned, "frame " + std::to_string(i), side),
                                      Caption(OverlayLabels(an.aligned, labels, 0.6), "mask", side),
                                      Caption(fixed, tf, side), Caption(own, to, side)};
        // Full frames cropped around the head (the paste's context).
        cv::Rect roi = cv::boundingRect(frame_region);
        const int pad = roi.width / 4;
        roi = cv::Rect(roi.x - pad, roi.y - pad, roi.width + 2 * pad, roi.height + 2 * pad) &
              cv::Rect(0, 0, image.cols, image.rows);
        if (roi.area() > 0) {
          cells.push_back(Caption(image(roi), "driver", side));
          cells.push_back(Caption(pasted_fixed(roi), tp, side));
        }
        for (auto& c : cells)
          if (c.rows != side) cv::resize(c, c, cv::Size(side, side));
        cv::Mat row;
        cv::hconcat(cells, row);
        sheet_rows.push_back(row);
      }
  }
  bar.Finish();
  if (StopRequested()) return Cancelled("eval fit interrupted");
  if (evaluated == 0)
    return NotFound("no held-out frame of '" + video + "' had a usable face (" + std::to_string(no_face) +
                    " without a face); check that this is the clip the model was fitted on");

  EvalRecord r;
  r.kind = "fit";
  r.title = "self-reenactment: " + std::filesystem::path(video).filename().string();
  r.info.set("video", video);
  r.info.set("config", config.preset + " (" + std::to_string(s) + " px)");
  r.info.set("held-out frames", std::to_string(start) + " .. " + std::to_string(total > 0 ? total - 1 : -1) +
                                    (step > 1 ? " every " + std::to_string(step) : ""));
  for (const char* k :
       {"sources", "iterations", "seconds", "holdout_psnr_db", "holdout_ssim", "holdout_nearest_train_psnr_db"}) {
    auto it = metadata.find(k);
    if (it != metadata.end()) r.info.set(std::string("model ") + k, it->second);
  }
  r.AddMetric("frames", "frames evaluated", static_cast<double>(evaluated));
  r.AddMetric("frames_no_face", "held-out frames without a face", static_cast<double>(no_face));
  auto add = [&](const std::string& key, const std::string& label, const Series& sr, bool bar_psnr) {
    r.AddMetric(key + "_psnr", "PSNR, " + label, SeriesMean(sr.psnr), "dB", bar_psnr);
    r.AddMetric(key + "_ssim", "SSIM, " + label, SeriesMean(sr.ssim), "", bar_psnr);
    r.AddMetric(key + "_rmse", "RMSE, " + label, SeriesMean(sr.rmse), "0-255");
    if (lpips) r.AddMetric(key + "_lpips", "LPIPS, " + label, SeriesMean(sr.lpips), "", bar_psnr);
  };
  add("crop_fixed", "head, aligned crop, fixed style", crop_fixed, true);
  add("crop_own", "head, aligned crop, own style", crop_own, false);
  add("frame_fixed", "head, full frame, fixed style", frame_fixed, true);
  add("frame_own", "head, full frame, own style", frame_own, false);
  r.AddMetric("landmark_nme", "landmark error (pasted vs driver, / inter-ocular)", SeriesMean(nme), "");
  r.AddMetric("cycle_miou", "cycle mIoU (pasted frame parsed again vs driver mask)", SeriesMean(cycle), "", true);
  r.AddMetric("pose_error", "head pose error (pasted vs driver, mean of yaw/pitch/roll)", SeriesMean(pose_err), "deg");
  if (inception) {
    if (evaluated < 2) {
      r.notes.push_back("FID needs at least 2 frames");
    } else {
      SMILE_ASSIGN_OR_RETURN(cv::Mat fr, inception->Compute(reals));
      SMILE_ASSIGN_OR_RETURN(cv::Mat ff, inception->Compute(fakes));
      r.AddMetric("fid_crop_fixed", "FID, held-out crops vs fixed-style renders", FrechetDistance(ComputeFeatureStats(fr), ComputeFeatureStats(ff)), "", true);
      if (evaluated < fr.cols)
        r.notes.push_back("FID from " + std::to_string(evaluated) + " frames and " + std::to_string(fr.cols) +
                          "-dimensional features: rank-deficient covariances, biased high; compare only runs with "
                          "the same frame count");
    }
  } else {
    r.notes.push_back("FID not measured: give --inception <TorchScript file>");
  }
  r.AddMetric("ms_render", "render time per frame (two styles)", ms_render / evaluated, "ms");

  EvalTable t;
  t.title = "self-reenactment, head region (mean over " + std::to_string(evaluated) + " held-out frames)";
  t.columns = {"style", "PSNR crop (dB)", "SSIM crop", "RMSE crop", "PSNR frame (dB)", "SSIM frame", "RMSE frame"};
  if (lpips) t.columns.push_back("LPIPS crop");
  using Row = std::tuple<const char*, const Series*, const Series*>;
  for (auto [name, c, f] : std::vector<Row>{Row{"fixed", &crop_fixed, &frame_fixed}, Row{"own", &crop_own, &frame_own}}) {
    std::vector<std::string> row = {name,
                                    Num(SeriesMean(c->psnr), 2),
                                    Num(SeriesMean(c->ssim), 3),
                                    Num(SeriesMean(c->rmse), 2),
                                    Num(SeriesMean(f->psnr), 2),
                                    Num(SeriesMean(f->ssim), 3),
                                    Num(SeriesMean(f->rmse), 2)};
    if (lpips) row.push_back(Num(SeriesMean(c->lpips), 4));
    t.rows.push_back(row);
  }
  r.tables.push_back(t);
  {
    // Which parts of the head the fixed-style error comes from, pooled over the frames: a part
    // whose share of the error far exceeds its share of the area is what to improve (masks,
    // conditioning, data); "head PSNR if exact" bounds what perfecting that part alone gains.
    std::vector<int> head;
    for (int c = 0; c < config.num_classes; ++c)
      if (IsHeadLabel(c)) head.push_back(c);
    struct Part {
      const char* key;
      const char* name;
      std::vector<int> classes;
    };
    const std::vector<Part> groups = {{"skin", "skin", {kSkin}},
                                      {"hair", "hair", {kHair}},
                                      {"eyes", "eyes", {kLEye, kREye, kIris}},
                                      {"brows", "brows", {kLBrow, kRBrow}},
                                      {"nose", "nose", {kNose}},
                                      {"mouth", "mouth and lips", {kMouth, kULip, kLLip}},
                                      {"ears", "ears", {kLEar, kREar}},
                                      {"accessories", "glasses, hat, earrings", {kEyeG, kHat, kEarR}}};
    EvalTable pt;
    pt.title = "where the fixed-style error lies (aligned crop, head region, pooled over the frames)";
    pt.columns = {"part", "area (%)", "share of error (%)", "PSNR of part (dB)", "head PSNR if exact (dB)"};
    const double area = parts.Pixels(head), err = parts.Sse(head);
    for (const auto& [key, name, classes] : groups) {
      if (parts.Pixels(classes) <= 0) continue;
      const double share = err > 0 ? 100 * parts.Sse(classes) / err : 0;
      pt.rows.push_back({name, Num(100 * parts.Pixels(classes) / area, 1), Num(share, 1), Num(parts.Psnr(classes), 2),
                         Num(parts.PsnrWithout(head, classes), 2)});
      r.AddMetric(std::string("error_share_") + key, std::string("share of the fixed-style head error: ") + name,
                  share, "%");
    }
    // Boundaries: how much of the error sits where the mask changes class (mask placement, soft
    // outlines) rather than inside the parts (texture, shading).
    std::vector<int> hair = {kHair};
    const std::vector<std::pair<std::string, std::vector<int>>> edge_rows = {{"hair", hair}, {"head", head}};
    for (const auto& [key, classes] : edge_rows) {
      if (edges.Pixels(classes) <= 0) continue;
      const double share = err > 0 ? 100 * edges.Sse(classes) / err : 0;
      pt.rows.push_back({key + " within 2 px of a class edge", Num(100 * edges.Pixels(classes) / area, 1),
                         Num(share, 1), Num(edges.Psnr(classes), 2), "-"});
      r.AddMetric("error_share_" + key + "_edges", "share of the fixed-style head error: " + key + " near class edges",
                  share, "%");
    }
    r.AddMetric("crop_fixed_pooled_psnr", "PSNR, head, aligned crop, fixed style, pooled MSE over frames",
                parts.Psnr(head), "dB");
    r.tables.push_back(pt);
  }
  r.series.push_back({"PSNR per held-out frame (head region)", "frame", "dB",
                      {{"crop, fixed style", frame_index, crop_fixed.psnr},
                       {"crop, own style", frame_index, crop_own.psnr},
                       {"full frame, fixed style", frame_index, frame_fixed.psnr}}});
  r.series.push_back({"SSIM per held-out frame (head region)", "frame", "SSIM",
                      {{"crop, fixed style", frame_index, crop_fixed.ssim},
                       {"crop, own style", frame_index, crop_own.ssim},
                       {"full frame, fixed style", frame_index, frame_fixed.ssim}}});
  r.series.push_back({"head yaw: driver vs pasted output", "frame", "deg",
                      {{"driver", frame_index, yaw_in}, {"output (fixed style)", frame_index, yaw_out}}});
  if (!sheet_rows.empty()) {
    cv::Mat sheet;
    cv::vconcat(sheet_rows, sheet);
    r.images.push_back(MakeEvalImage(
        "held-out frames: driver crop | mask | fixed style | own style | driver frame | pasted (fixed style)", sheet));
  }
  if (no_face > 0) r.notes.push_back(std::to_string(no_face) + " held-out frame(s) had no usable face and were skipped");
  if (!lpips) r.notes.push_back("LPIPS not measured: give --lpips <TorchScript file>");
  return r;
}

}  // namespace smile::engine
