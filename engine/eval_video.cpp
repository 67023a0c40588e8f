#include "engine/eval_video.h"

#include <cmath>
#include <filesystem>
#include <memory>

#include <opencv2/imgproc.hpp>

#include "capture/source.h"
#include "core/face_labels.h"
#include "core/progress.h"
#include "core/shutdown.h"
#include "engine/eval_metrics.h"
#include "engine/face_analyzer.h"
#include "engine/face_descriptor.h"
#include "engine/face_embedding.h"

namespace smile::engine {
namespace {

struct Continuity {
  int64_t frames = 0, found = 0, detected = 0, id_changes = 0, longest_gap = 0, gap = 0;
  int last_id = -1;
  void Add(const TrackedFace* f) {
    ++frames;
    if (!f) {
      longest_gap = std::max(longest_gap, ++gap);
      return;
    }
    gap = 0;
    ++found;
    if (f->detected) ++detected;
    if (last_id >= 0 && f->id != last_id) ++id_changes;
    last_id = f->id;
  }
};

struct IdentityTrack {
  std::vector<FaceDescriptor> all;
  std::vector<double> consecutive;
  void Add(const FaceDescriptor& d) {
    if (!all.empty()) consecutive.push_back(DescriptorSimilarity(all.back(), d));
    all.push_back(d);
  }
  double ToMean() const {
    if (all.empty()) return NAN;
    FaceDescriptor mean(all[0].size(), 0.f);
    for (const auto& d : all)
      for (size_t k = 0; k < d.size(); ++k) mean[k] += d[k] / all.size();
    std::vector<double> s;
    for (const auto& d : all) s.push_back(DescriptorSimilarity(mean, d));
    return SeriesMean(s);
  }
};

cv::Mat Thumb(const cv::Mat& img, const cv::Rect& roi, int side, const std::string& text) {
  cv::Mat out;
  cv::resize(img(roi), out, cv::Size(side, side), 0, 0, cv::INTER_AREA);
  cv::rectangle(out, cv::Rect(0, 0, side, 18), cv::Scalar::all(0), cv::FILLED);
  cv::putText(out, text, {4, 13}, cv::FONT_HERSHEY_SIMPLEX, 0.4, cv::Scalar::all(255), 1, cv::LINE_AA);
  return out;
}

// Mean unit embedding of the main face in up to `per_source` evenly spaced frames of each source.
Result<std::vector<float>> ReferenceEmbedding(const std::vector<std::string>& refs, int per_source,
                                              const FaceEmbedder& embedder) {
  std::vector<double> sum;
  int faces = 0;
  for (const auto& ref : refs) {
    SMILE_ASSIGN_OR_RETURN(auto src, capture::OpenSource(ref));
    SMILE_ASSIGN_OR_RETURN(auto tracker, FaceTracker::Create());
    const int64_t total = src->info().frame_count;
    const int64_t step = total > per_source ? total / per_source : 1;
    for (int64_t i = 0; !StopRequested(); ++i) {
      auto f = src->Read();
      if (f.status().code() == StatusCode::kEndOfStream) break;
      if (!f.ok()) return f.status().WithContext(ref);
      auto tracks = tracker.Update(*f->image, f->pts_us / 1e6);  // every frame: tracking needs them
      if (i % step != 0) continue;
      const TrackedFace* face = tracks.main_face();
      if (!face) continue;
      SMILE_ASSIGN_OR_RETURN(auto e, embedder.Embed(*f->image, face->landmarks));
      if (sum.empty()) sum.assign(e.size(), 0.0);
      for (size_t k = 0; k < e.size(); ++k) sum[k] += e[k];
      ++faces;
    }
  }
  if (faces == 0) return NotFound("no face found in the identity reference media; give a photo or clip of the identity");
  double norm = 0;
  for (double v : sum) norm += v * v;
  norm = std::sqrt(std::max(norm, 1e-12));
  std::vector<float> out(sum.size());
  for (size_t k = 0; k < sum.size(); ++k) out[k] = static_cast<float>(sum[k] / norm);
  return out;
}

}  // namespace

Result<EvalRecord> EvaluateVideo(const std::string& input, const std::string& output, const VideoEvalOptions& o) {
  SMILE_ASSIGN_OR_RETURN(auto in_src, capture::OpenSource(input));
  std::unique_ptr<capture::FrameSource> out_src;
  if (!output.empty()) {
    SMILE_ASSIGN_OR_RETURN(out_src, capture::OpenSource(output));
    if (out_src->info().width != in_src->info().width || out_src->info().height != in_src->info().height)
      return InvalidArgument("input and output differ in size (" + std::to_string(in_src->info().width) + "x" +
                             std::to_string(in_src->info().height) + " vs " + std::to_string(out_src->info().width) +
                             "x" + std::to_string(out_src->info().height) +
                             "); give the output that was made from this input");
  }
  AnalyzerOptions ao;
  ao.align.size = o.align_size;
  SMILE_ASSIGN_OR_RETURN(auto analyzer, FaceAnalyzer::Create(ao));
  std::unique_ptr<FaceTracker> out_tracker;
  if (out_src) {
    SMILE_ASSIGN_OR_RETURN(auto t, FaceTracker::Create());
    out_tracker = std::make_unique<FaceTracker>(std::move(t));
  }
  SMILE_ASSIGN_OR_RETURN(auto landmarker, LandmarkDetector::Load());
  std::unique_ptr<FaceEmbedder> embedder;
  std::vector<float> id_ref;
  if (!o.identity_refs.empty()) {
    auto e = FaceEmbedder::Load();
    if (!e.ok()) return e.status().WithContext("identity distance (--identity) needs the FaceRes model");
    embedder = std::make_unique<FaceEmbedder>(std::move(*e));
    SMILE_ASSIGN_OR_RETURN(id_ref, ReferenceEmbedding(o.identity_refs, o.identity_ref_frames, *embedder));
  }
  std::vector<double> d_out_id, d_out_in, d_in_id;

  Continuity cin, cout_;
  IdentityTrack id_in, id_out;
  std::vector<double> index, flick_in, flick_out, warp_in, warp_out, nme, pose_err, id_in_out, yaw_in, yaw_out;
  cv::Mat prev_in, prev_out;
  bool prev_face = false;
  const int64_t total = in_src->info().frame_count;
  const int64_t n_target = o.max_frames > 0 && total > 0 ? std::min(total, o.max_frames)
                                                         : (o.max_frames > 0 ? o.max_frames : total);
  std::vector<cv::Mat> sheet;
  int64_t out_frames = 0, in_frames = 0;
  ProgressBar bar("eval video", n_target > 0 ? n_target : 0, "frames");
  for (int64_t i = 0; !StopRequested() && (o.max_frames < 0 || i < o.max_frames); ++i) {
    auto f = in_src->Read();
    if (f.status().code() == StatusCode::kEndOfStream) break;
    if (!f.ok()) return f.status().WithContext(input);
    ++in_frames;
    const cv::Mat image = f->image->clone();
    cv::Mat out_image;
    if (out_src) {
      auto g = out_src->Read();
      if (g.ok()) {
        out_image = g->image->clone();
        ++out_frames;
      } else if (g.status().code() != StatusCode::kEndOfStream) {
        return g.status().WithContext(output);
      }
    }
    bar.Update(i + 1);
    SMILE_ASSIGN_OR_RETURN(auto an, analyzer.Process(image, f->pts_us / 1e6));
    cin.Add(an.found ? &an.face : nullptr);
    const TrackedFace* out_face = nullptr;
    TrackResult out_tracks;
    if (out_tracker && !out_image.empty()) {
      out_tracks = out_tracker->Update(out_image, f->pts_us / 1e6);
      out_face = out_tracks.main_face();
      cout_.Add(out_face);
    }
    index.push_back(static_cast<double>(i));
    double fi = NAN, fo = NAN, wi = NAN, wo = NAN, e = NAN, pe = NAN, sio = NAN, yi = NAN, yo = NAN;
    if (an.found) {
      cv::Mat region = HeadRegion(an.FrameLabels(image.size()));
      cv::dilate(region, region, cv::getStructuringElement(cv::MORPH_ELLIPSE, {9, 9}));
      // Flicker and warping error on a box around the head (flow on the whole frame is wasted time).
      cv::Rect roi = cv::boundingRect(region);
      const int pad = std::max(8, roi.width / 8);
      roi = cv::Rect(roi.x - pad, roi.y - pad, roi.width + 2 * pad, roi.height + 2 * pad) &
            cv::Rect(0, 0, image.cols, image.rows);
      if (prev_face && !prev_in.empty() && roi.area() > 64) {
        cv::Mat r = region(roi);
        fi = RegionFlicker(prev_in(roi), image(roi), r);
        cv::Mat back = DenseFlow(image(roi), prev_in(roi)), fwd = DenseFlow(prev_in(roi), image(roi));
        wi = WarpingErrorFromFlow(back, fwd, prev_in(roi), image(roi), r);
        if (!out_image.empty() && !prev_out.empty()) {
          fo = RegionFlicker(prev_out(roi), out_image(roi), r);
          wo = WarpingErrorFromFlow(back, fwd, prev_out(roi), out_image(roi), r);
        }
      }
      cv::Mat gray;
      cv::cvtColor(image, gray, cv::COLOR_BGR2GRAY);
      Landmarks l_in = landmarker.Fit(gray, an.face.box);
      HeadPose p_in = EstimateHeadPose(l_in, image.size());
      if (p_in.ok) yi = p_in.yaw;
      id_in.Add(ComputeDescriptor(image, an.face.landmarks));
      std::vector<float> e_in;
      if (embedder) {
        if (auto e = embedder->Embed(image, l_in); e.ok()) {
          e_in = *e;
          d_in_id.push_back(FaceEmbedder::Distance(e_in, id_ref));
        }
      }
      if (!out_image.empty()) {
        cv::Mat ogray;
        cv::cvtColor(out_image, ogray, cv::COLOR_BGR2GRAY);
        Landmarks l_out = landmarker.Fit(ogray, out_face ? out_face->box : an.face.box);
        e = LandmarkError(l_in, l_out);
        HeadPose p_out = EstimateHeadPose(l_out, image.size());
        if (p_out.ok) yo = p_out.yaw;
        if (p_in.ok && p_out.ok) pe = ComparePoses(p_in, p_out).mean();
        FaceDescriptor d_out = ComputeDescriptor(out_image, l_out);
        sio = DescriptorSimilarity(id_in.all.back(), d_out);
        id_out.Add(d_out);
        if (embedder && !e_in.empty()) {
          if (auto e = embedder->Embed(out_image, l_out); e.ok()) {
            d_out_id.push_back(FaceEmbedder::Distance(*e, id_ref));
            d_out_in.push_back(FaceEmbedder::Distance(*e, e_in));
          }
        }
      }
      if (o.sheet_rows > 0 && n_target > 0 && static_cast<int>(sheet.size()) < o.sheet_rows &&
          i >= (n_target - 1) * (2 * static_cast<int64_t>(sheet.size()) + 1) / (2 * o.sheet_rows)) {
        std::vector<cv::Mat> cells = {Thumb(image, roi, 200, "input " + std::to_string(i))};
        if (!out_image.empty()) {
          cells.push_back(Thumb(out_image, roi, 200, "output"));
          cv::Mat diff;
          cv::absdiff(image, out_image, diff);
          cells.push_back(Thumb(diff * 3, roi, 200, "|input - output| x3"));
        }
        cv::Mat row;
        cv::hconcat(cells, row);
        sheet.push_back(row);
      }
    }
    flick_in.push_back(fi), flick_out.push_back(fo), warp_in.push_back(wi), warp_out.push_back(wo);
    nme.push_back(e), pose_err.push_back(pe), id_in_out.push_back(sio), yaw_in.push_back(yi), yaw_out.push_back(yo);
    prev_in = image;
    prev_out = out_image;
    prev_face = an.found;
  }
  bar.Finish();
  if (StopRequested()) return Cancelled("eval video interrupted");
  if (in_frames == 0) return NotFound("'" + input + "' has no frame");

  EvalRecord r;
  r.kind = "video";
  r.title = std::filesystem::path(input).filename().string() +
            (output.empty() ? "" : " -> " + std::filesystem::path(output).filename().string());
  r.info.set("input", input);
  if (!output.empty()) r.info.set("output", output);
  r.AddMetric("frames", "input frames", static_cast<double>(in_frames));
  if (out_src) r.AddMetric("output_frames", "output frames (read in step with the input)", static_cast<double>(out_frames));
  r.AddMetric("face_rate", "input: frames with the main face", cin.frames ? double(cin.found) / cin.frames : NAN, "", true);
  r.AddMetric("detected_rate", "input: frames confirmed by the detector", cin.frames ? double(cin.detected) / cin.frames : NAN);
  r.AddMetric("id_changes", "input: main face id changes", static_cast<double>(cin.id_changes));
  r.AddMetric("longest_gap", "input: longest run without a face", static_cast<double>(cin.longest_gap), "frames");
  r.AddMetric("flicker_input", "input: flicker in the head region", SeriesMean(flick_in), "0-255", true);
  r.AddMetric("warp_input", "input: warping error in the head region", SeriesMean(warp_in), "MSE x1e3");
  r.AddMetric("identity_consecutive_input", "input: identity similarity, consecutive frames", SeriesMean(id_in.consecutive));
  r.AddMetric("identity_mean_input", "input: identity similarity to the clip mean", id_in.ToMean());
  if (out_src) {
    r.AddMetric("face_rate_output", "output: frames with a face", cout_.frames ? double(cout_.found) / cout_.frames : NAN);
    r.AddMetric("id_changes_output", "output: main face id changes", static_cast<double>(cout_.id_changes));
    r.AddMetric("flicker_output", "output: flicker in the head region", SeriesMean(flick_out), "0-255", true);
    r.AddMetric("flicker_added", "output - input flicker", SeriesMean(flick_out) - SeriesMean(flick_in), "0-255", true);
    r.AddMetric("warp_output", "output: warping error along the input's flow", SeriesMean(warp_out), "MSE x1e3", true);
    r.AddMetric("landmark_nme", "landmark error output vs input (/ inter-ocular)", SeriesMean(nme), "", true);
    r.AddMetric("pose_error", "head pose error output vs input (mean of yaw/pitch/roll)", SeriesMean(pose_err), "deg", true);
    r.AddMetric("identity_consecutive_output", "output: identity similarity, consecutive frames", SeriesMean(id_out.consecutive));
    r.AddMetric("identity_mean_output", "output: identity similarity to the clip mean", id_out.ToMean());
    r.AddMetric("identity_input_output", "identity similarity output vs input", SeriesMean(id_in_out));
  }
  if (embedder) {
    r.AddMetric("id_dist_input_identity", "face descriptor distance input -> identity (1 - cos)", SeriesMean(d_in_id), "",
                true);
    if (out_src) {
      int closer = 0;
      for (size_t k = 0; k < d_out_id.size(); ++k) closer += d_out_id[k] < d_out_in[k];
      r.AddMetric("id_dist_output_identity", "face descriptor distance output -> identity", SeriesMean(d_out_id), "",
                  true);
      r.AddMetric("id_dist_output_input", "face descriptor distance output -> input (driver)", SeriesMean(d_out_in), "",
                  true);
      r.AddMetric("id_closer_share", "frames whose output is closer to the identity than to the input",
                  d_out_id.empty() ? NAN : static_cast<double>(closer) / d_out_id.size(), "", true);
    }
    r.notes.push_back("identity distances: FaceRes descriptors (engine/face_embedding.h) (1 - cosine; 0 = same face), reference = mean "
                      "embedding of the --identity media's faces");
  }
  // Warping errors are tiny on a 0..1 scale: report them x1000.
  for (auto& m : r.metrics)
    if (m.unit == "MSE x1e3") m.value *= 1000;
  for (auto* v : {&warp_in, &warp_out})
    for (auto& x : *v) x *= 1000;
  LinePlot flick{"flicker per frame (head region, mean |frame t - frame t-1|)", "frame", "0-255",
                 {{"input", index, flick_in}}};
  LinePlot warp{"warping error per frame (head region, along the input's flow)", "frame", "MSE x1e3",
                {{"input", index, warp_in}}};
  if (out_src) {
    flick.lines.push_back({"output", index, flick_out});
    warp.lines.push_back({"output", index, warp_out});
  }
  r.series.push_back(flick);
  r.series.push_back(warp);
  if (out_src) {
    r.series.push_back({"landmark error per frame (output vs input)", "frame", "NME", {{"NME", index, nme}}});
    r.series.push_back({"head yaw", "frame", "deg", {{"input", index, yaw_in}, {"output", index, yaw_out}}});
  }
  if (!sheet.empty()) {
    cv::Mat s;
    cv::vconcat(sheet, s);
    r.images.push_back(MakeEvalImage(out_src ? "input | output | difference" : "input frames", s));
  }
  if (out_src && out_frames != in_frames)
    r.notes.push_back("the output has " + std::to_string(out_frames) + " frame(s) where the input has " +
                      std::to_string(in_frames));
  r.notes.push_back("identity similarity uses the LBP face descriptor (engine/face_descriptor.h), not a "
                    "face-recognition network: 1 = identical, it separates people only roughly");
  return r;
}

}  // namespace smile::engine
