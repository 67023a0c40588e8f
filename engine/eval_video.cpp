#include "engine/eval_video.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <tuple>

#include <opencv2/imgproc.hpp>

#include "capture/source.h"
#include "core/face_labels.h"
#include "core/progress.h"
#include "core/shutdown.h"
#include "engine/eval_metrics.h"
#include "engine/eval_report.h"
#include "engine/face_analyzer.h"
#include "engine/face_descriptor.h"
#include "engine/face_embedding.h"
#include "engine/iris.h"

namespace smile::engine {
namespace {

void AddFace(TrackContinuity& c, const TrackedFace* f) {
  if (f) c.Add(true, f->detected, f->id); else c.Add(false);
}

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

// Gaze of the source (input / driver) and the output, frame by frame, measured by MediaPipe's Iris
// model (engine/iris.h) on each face's 68 landmarks: the mean of both eyes' iris offsets in eye
// widths. The mask cannot carry gaze, so this shows how far the output's eyes follow. Absent
// (no figures, a note) when the iris model has not been fetched.
struct GazeTrack {
  std::unique_ptr<IrisModel> iris;
  std::vector<double> x_src, y_src, x_out, y_out;
  static GazeTrack Create() {
    GazeTrack g;
    if (auto m = IrisModel::Load(); m.ok()) g.iris = std::make_unique<IrisModel>(std::move(m).value());
    return g;
  }
  void Add(const cv::Mat& src, const Landmarks& l_src, const cv::Mat& out, const Landmarks& l_out) {
    if (!iris) return;
    auto measure = [&](const cv::Mat& img, const Landmarks& l, std::vector<double>& x, std::vector<double>& y) {
      cv::Point2f m(NAN, NAN);
      if (l.size() == 68 && !img.empty())
        if (auto e = iris->Fit(img, l); e.ok()) m = GazeOf(*e).Mean();
      x.push_back(m.x), y.push_back(m.y);
    };
    measure(src, l_src, x_src, y_src);
    measure(out, l_out, x_out, y_out);
  }
  // NaN for the frames Add was not called for, so the series stay aligned with the frame index.
  void Pad(size_t frames) {
    for (auto* v : {&x_src, &y_src, &x_out, &y_out}) v->resize(std::max(v->size(), frames), NAN);
  }
  void Report(EvalRecord& r, const std::string& src, bool with_output, const std::vector<double>& index) const {
    if (!iris) {
      r.notes.push_back("gaze: the iris model is missing (scripts/fetch_models.sh), no gaze figures");
      return;
    }
    r.AddMetric("gaze_sd_" + src, src + ": horizontal gaze spread (sd of iris offset / eye width)", SeriesStd(x_src));
    if (!with_output) return;
    r.AddMetric("gaze_sd_output", "output: horizontal gaze spread", SeriesStd(x_out));
    r.AddMetric("gaze_corr_x", "horizontal gaze correlation " + src + " vs output (Pearson)",
                PearsonCorrelation(x_src, x_out), "", true);
    r.AddMetric("gaze_corr_y", "vertical gaze correlation " + src + " vs output (Pearson)",
                PearsonCorrelation(y_src, y_out));
    r.series.push_back({"horizontal gaze (iris offset / eye width, mean of both eyes)", "frame", "eye widths",
                        {{src, index, x_src}, {"output", index, x_out}}});
    r.notes.push_back("gaze: MediaPipe Iris (engine/iris.h) on each face's 68 landmarks; iris centre offset from the "
                      "eye corners' midpoint in eye widths, both eyes averaged");
  }
};

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
      if (i % step != 0) continue;  // decoded only; a fresh detection on each sampled frame
      tracker.Reset();
      auto tracks = tracker.Update(*f->image, f->pts_us / 1e6);
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

// With --identity: the FaceRes embedder and the reference embedding of the identity's media.
Status LoadIdentityReference(const VideoEvalOptions& o, std::unique_ptr<FaceEmbedder>* embedder,
                             std::vector<float>* ref) {
  if (o.identity_refs.empty()) return Status::Ok();
  auto e = FaceEmbedder::Load();
  if (!e.ok()) return e.status().WithContext("identity distance (--identity) needs the FaceRes model");
  *embedder = std::make_unique<FaceEmbedder>(std::move(*e));
  SMILE_ASSIGN_OR_RETURN(*ref, ReferenceEmbedding(o.identity_refs, o.identity_ref_frames, **embedder));
  return Status::Ok();
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
  SMILE_RETURN_IF_ERROR(LoadIdentityReference(o, &embedder, &id_ref));
  std::vector<double> d_out_id, d_out_in, d_in_id;
  GazeTrack gaze = GazeTrack::Create();

  TrackContinuity cin, cout_;
  IdentityTrack id_in, id_out;
  std::vector<double> index, motion, flick_in, flick_out, warp_in, warp_out, nme, pose_err, id_in_out, yaw_in, yaw_out;
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
    AddFace(cin, an.found ? &an.face : nullptr);
    const TrackedFace* out_face = nullptr;
    TrackResult out_tracks;
    if (out_tracker && !out_image.empty()) {
      out_tracks = out_tracker->Update(out_image, f->pts_us / 1e6);
      out_face = out_tracks.main_face();
      AddFace(cout_, out_face);
    }
    index.push_back(static_cast<double>(i));
    double mo = NAN, fi = NAN, fo = NAN, wi = NAN, wo = NAN, e = NAN, pe = NAN, sio = NAN, yi = NAN, yo = NAN;
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
        mo = 100.0 * MeanFlowMagnitude(fwd, r) / roi.width;
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
      Landmarks l_out;
      if (!out_image.empty()) {
        cv::Mat ogray;
        cv::cvtColor(out_image, ogray, cv::COLOR_BGR2GRAY);
        l_out = landmarker.Fit(ogray, out_face ? out_face->box : an.face.box);
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
      gaze.Add(image, l_in, out_image, l_out);
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
    gaze.Pad(index.size());
    motion.push_back(mo), flick_in.push_back(fi), flick_out.push_back(fo), warp_in.push_back(wi), warp_out.push_back(wo);
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
  r.AddMetric("face_rate", "input: frames with the main face", cin.found_rate(), "", true);
  r.AddMetric("detected_rate", "input: frames confirmed by the detector", cin.detected_rate());
  r.AddMetric("id_changes", "input: main face id changes", static_cast<double>(cin.id_changes));
  r.AddMetric("longest_gap", "input: longest run without a face", static_cast<double>(cin.longest_gap), "frames");
  r.AddMetric("track_losses", "input: times the face was lost after being found", static_cast<double>(cin.gaps));
  r.AddMetric("flicker_input", "input: flicker in the head region", SeriesMean(flick_in), "0-255", true);
  r.AddMetric("warp_input", "input: warping error in the head region", SeriesMean(warp_in), "MSE x1e3");
  r.AddMetric("motion_input", "input: head motion per frame (mean flow / head width)", SeriesMean(motion), "%");
  // Issue #7's flicker criterion is about still segments: the head barely moves there, so any
  // change the output adds is render jitter, not motion.
  const std::vector<bool> still = StillFrames(motion, o.still_motion, o.still_run);
  auto still_only = [&](const std::vector<double>& v) {
    std::vector<double> k;
    for (size_t i = 0; i < v.size(); ++i) k.push_back(still[i] ? v[i] : NAN);
    return k;
  };
  const double n_still = static_cast<double>(std::count(still.begin(), still.end(), true));
  r.AddMetric("still_frames", "input: frames in still segments (motion <= " + FormatMetric(o.still_motion, 2) +
              " % for >= " + std::to_string(o.still_run) + " frames)", n_still, "frames");
  if (n_still > 0)
    r.AddMetric("flicker_input_still", "input: flicker in the head region, still segments",
                SeriesMean(still_only(flick_in)), "0-255");
  r.AddMetric("identity_consecutive_input", "input: identity similarity, consecutive frames", SeriesMean(id_in.consecutive));
  r.AddMetric("identity_mean_input", "input: identity similarity to the clip mean", id_in.ToMean());
  if (out_src) {
    r.AddMetric("face_rate_output", "output: frames with a face", cout_.found_rate());
    r.AddMetric("longest_gap_output", "output: longest run without a face", static_cast<double>(cout_.longest_gap), "frames");
    r.AddMetric("id_changes_output", "output: main face id changes", static_cast<double>(cout_.id_changes));
    r.AddMetric("flicker_output", "output: flicker in the head region", SeriesMean(flick_out), "0-255", true);
    r.AddMetric("flicker_added", "output - input flicker", SeriesMean(flick_out) - SeriesMean(flick_in), "0-255", true);
    if (n_still > 0) {
      r.AddMetric("flicker_output_still", "output: flicker in the head region, still segments",
                  SeriesMean(still_only(flick_out)), "0-255");
      r.AddMetric("flicker_added_still", "output - input flicker, still segments",
                  SeriesMean(still_only(flick_out)) - SeriesMean(still_only(flick_in)), "0-255", true);
    }
    r.AddMetric("warp_output", "output: warping error along the input's flow", SeriesMean(warp_out), "MSE x1e3", true);
    r.AddMetric("landmark_nme", "landmark error output vs input (/ inter-ocular)", SeriesMean(nme), "", true);
    r.AddMetric("pose_error", "head pose error output vs input (mean of yaw/pitch/roll)", SeriesMean(pose_err), "deg", true);
    r.AddMetric("identity_consecutive_output", "output: identity similarity, consecutive frames", SeriesMean(id_out.consecutive));
    r.AddMetric("identity_mean_output", "output: identity similarity to the clip mean", id_out.ToMean());
    r.AddMetric("identity_input_output", "identity similarity output vs input", SeriesMean(id_in_out));
  }
  gaze.Report(r, "input", out_src != nullptr, index);
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
  r.series.push_back({"input head motion per frame (still segments: <= " + FormatMetric(o.still_motion, 2) + ")", "frame",
                      "% of head width", {{"motion", index, motion}}});
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

namespace {

// The face region from 68 landmarks: their convex hull grown by 15 % of the inter-ocular
// distance and upwards by half of it (forehead), CV_8U 0/255.
cv::Mat LandmarkRegion(cv::Size size, const Landmarks& pts) {
  cv::Mat region = cv::Mat::zeros(size, CV_8U);
  if (pts.size() != 68) return region;
  const double iod = InterOcular(pts);
  std::vector<cv::Point> poly;
  for (const auto& p : pts) poly.emplace_back(cvRound(p.x), cvRound(p.y));
  const cv::Point2f up = (Mean(pts, 17, 26) - Mean(pts, 6, 10)) * 0.5f;
  for (int i = 17; i <= 26; ++i) poly.emplace_back(cvRound(pts[i].x + up.x), cvRound(pts[i].y + up.y));
  std::vector<cv::Point> hull;
  cv::convexHull(poly, hull);
  cv::fillConvexPoly(region, hull, cv::Scalar(255));
  const int grow = std::max(1, static_cast<int>(0.15 * iod));
  cv::dilate(region, region, cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * grow + 1, 2 * grow + 1}));
  return region;
}

cv::Rect PadRect(const cv::Rect& r, double frac, cv::Size size) {
  const int pad = std::max(8, static_cast<int>(r.width * frac));
  return cv::Rect(r.x - pad, r.y - pad, r.width + 2 * pad, r.height + 2 * pad) & cv::Rect(0, 0, size.width, size.height);
}

// Flicker and warping error (x1000) of consecutive frames of one clip in `region`, along the
// clip's own flow, on a box around the region.
std::pair<double, double> TemporalErrors(const cv::Mat& prev, const cv::Mat& cur, const cv::Mat& region) {
  cv::Rect roi = PadRect(cv::boundingRect(region), 0.125, cur.size());
  if (roi.area() <= 64) return {NAN, NAN};
  cv::Mat r = region(roi);
  const double f = RegionFlicker(prev(roi), cur(roi), r);
  cv::Mat back = DenseFlow(cur(roi), prev(roi)), fwd = DenseFlow(prev(roi), cur(roi));
  const double w = WarpingErrorFromFlow(back, fwd, prev(roi), cur(roi), r);
  return {f, w >= 0 ? w * 1000 : NAN};
}

}  // namespace

Result<EvalRecord> EvaluateReenactment(const std::string& driver, const std::string& output, const VideoEvalOptions& o) {
  SMILE_ASSIGN_OR_RETURN(auto d_src, capture::OpenSource(driver));
  SMILE_ASSIGN_OR_RETURN(auto o_src, capture::OpenSource(output));
  SMILE_ASSIGN_OR_RETURN(auto d_tracker, FaceTracker::Create());
  SMILE_ASSIGN_OR_RETURN(auto o_tracker, FaceTracker::Create());
  std::unique_ptr<FaceEmbedder> embedder;
  std::vector<float> id_ref;
  SMILE_RETURN_IF_ERROR(LoadIdentityReference(o, &embedder, &id_ref));
  const int64_t total = d_src->info().frame_count;
  const int64_t n_target = o.max_frames > 0 ? (total > 0 ? std::min(total, o.max_frames) : o.max_frames) : total;

  TrackContinuity c_drv, c_out;
  IdentityTrack id_out;
  GazeTrack gaze = GazeTrack::Create();
  std::vector<double> index, expr_err, expr_still, mouth_d, mouth_o, eye_d, eye_o, angle_d, angle_o, angle_err,
      scale_d, scale_o, flick_d, flick_o, warp_d, warp_o, d_out_id, d_out_drv;
  Landmarks ref_d, ref_o;
  cv::Mat prev_d, prev_o;
  Landmarks prev_ld, prev_lo;
  std::vector<cv::Mat> sheet;
  int64_t frames = 0, out_frames = 0;
  ProgressBar bar("eval reenact", n_target > 0 ? n_target : 0, "frames");
  for (int64_t i = 0; !StopRequested() && (o.max_frames < 0 || i < o.max_frames); ++i) {
    auto f = d_src->Read();
    if (f.status().code() == StatusCode::kEndOfStream) break;
    if (!f.ok()) return f.status().WithContext(driver);
    auto g = o_src->Read();
    if (g.status().code() == StatusCode::kEndOfStream) break;
    if (!g.ok()) return g.status().WithContext(output);
    ++frames, ++out_frames;
    bar.Update(i + 1);
    const cv::Mat dimg = f->image->clone(), oimg = g->image->clone();
    const double t = f->pts_us / 1e6;
    auto dt = d_tracker.Update(dimg, t);
    auto ot = o_tracker.Update(oimg, t);
    const TrackedFace* df = dt.main_face();
    const TrackedFace* of = ot.main_face();
    AddFace(c_drv, df);
    AddFace(c_out, of);
    index.push_back(static_cast<double>(i));
    double ee = NAN, es = NAN, md = NAN, mo = NAN, ed = NAN, eo = NAN, ad = NAN, ao = NAN, ae = NAN, sd = NAN,
           so = NAN, fd = NAN, fo = NAN, wd = NAN, wo = NAN;
    const Landmarks ld = df ? df->raw_landmarks : Landmarks(), lo = of ? of->raw_landmarks : Landmarks();
    if (ld.size() == 68) md = MouthOpenness(ld), ed = EyeOpenness(ld);
    if (lo.size() == 68) mo = MouthOpenness(lo), eo = EyeOpenness(lo);
    gaze.Add(dimg, ld, oimg, lo);
    if (ld.size() == 68 && lo.size() == 68) {
      if (ref_d.empty()) ref_d = ld, ref_o = lo;
      const auto md_motion = ExpressionMotion(ref_d, ld), mo_motion = ExpressionMotion(ref_o, lo);
      ee = ExpressionTransferError(md_motion, mo_motion);
      es = ExpressionMagnitude(md_motion);
      const RigidMotion rd = RigidMotionBetween(ref_d, ld), ro = RigidMotionBetween(ref_o, lo);
      if (rd.ok) ad = rd.angle, sd = rd.scale;
      if (ro.ok) ao = ro.angle, so = ro.scale;
      if (rd.ok && ro.ok) ae = std::fabs(rd.angle - ro.angle);
    }
    if (ld.size() == 68 && prev_ld.size() == 68 && !prev_d.empty())
      std::tie(fd, wd) = TemporalErrors(prev_d, dimg, LandmarkRegion(dimg.size(), ld));
    if (lo.size() == 68) {
      if (prev_lo.size() == 68 && !prev_o.empty() && prev_o.size() == oimg.size())
        std::tie(fo, wo) = TemporalErrors(prev_o, oimg, LandmarkRegion(oimg.size(), lo));
      id_out.Add(ComputeDescriptor(oimg, lo));
      if (embedder) {
        auto eo_emb = embedder->Embed(oimg, lo);
        if (eo_emb.ok()) {
          d_out_id.push_back(FaceEmbedder::Distance(*eo_emb, id_ref));
          if (ld.size() == 68)
            if (auto ed_emb = embedder->Embed(dimg, ld); ed_emb.ok())
              d_out_drv.push_back(FaceEmbedder::Distance(*eo_emb, *ed_emb));
        }
      }
    }
    if (o.sheet_rows > 0 && n_target > 0 && static_cast<int>(sheet.size()) < o.sheet_rows && ld.size() == 68 &&
        lo.size() == 68 && i >= (n_target - 1) * (2 * static_cast<int64_t>(sheet.size()) + 1) / (2 * o.sheet_rows)) {
      char cap[96];
      std::snprintf(cap, sizeof(cap), "output  expr err %.3f", ee);
      cv::Rect rd = PadRect(cv::boundingRect(LandmarkRegion(dimg.size(), ld)), 0.15, dimg.size());
      cv::Rect ro = PadRect(cv::boundingRect(LandmarkRegion(oimg.size(), lo)), 0.15, oimg.size());
      cv::Mat row;
      cv::hconcat(std::vector<cv::Mat>{Thumb(dimg, rd, 200, "driver " + std::to_string(i)), Thumb(oimg, ro, 200, cap)},
                  row);
      sheet.push_back(row);
    }
    expr_err.push_back(ee), expr_still.push_back(es), mouth_d.push_back(md), mouth_o.push_back(mo);
    eye_d.push_back(ed), eye_o.push_back(eo), angle_d.push_back(ad), angle_o.push_back(ao), angle_err.push_back(ae);
    scale_d.push_back(sd), scale_o.push_back(so), flick_d.push_back(fd), flick_o.push_back(fo);
    warp_d.push_back(wd), warp_o.push_back(wo);
    prev_d = dimg, prev_o = oimg, prev_ld = ld, prev_lo = lo;
  }
  bar.Finish();
  if (StopRequested()) return Cancelled("eval reenact interrupted");
  if (frames == 0) return NotFound("'" + driver + "' or '" + output + "' has no frame");

  EvalRecord r;
  r.kind = "reenact";
  r.title = std::filesystem::path(driver).filename().string() + " drives " +
            std::filesystem::path(output).filename().string();
  r.info.set("driver", driver);
  r.info.set("output", output);
  r.info.set("driver size", std::to_string(d_src->info().width) + "x" + std::to_string(d_src->info().height));
  r.info.set("output size", std::to_string(o_src->info().width) + "x" + std::to_string(o_src->info().height));
  r.AddMetric("frames", "frames (driver and output read in step)", static_cast<double>(frames));
  r.AddMetric("face_rate_driver", "driver: frames with a face", c_drv.found_rate());
  r.AddMetric("face_rate_output", "output: frames with a face", c_out.found_rate(), "", true);
  r.AddMetric("track_losses_output", "output: times the face was lost", static_cast<double>(c_out.gaps));
  r.AddMetric("id_changes_output", "output: main face id changes", static_cast<double>(c_out.id_changes));
  r.AddMetric("expr_error", "expression landmark error driver vs output (/ inter-ocular)", SeriesMean(expr_err), "",
              true);
  r.AddMetric("expr_still", "the same for an output that never moves (baseline)", SeriesMean(expr_still), "", true);
  r.AddMetric("mouth_corr", "mouth openness correlation driver vs output (Pearson)", PearsonCorrelation(mouth_d, mouth_o),
              "", true);
  r.AddMetric("eye_corr", "eye openness correlation driver vs output (Pearson)", PearsonCorrelation(eye_d, eye_o));
  r.AddMetric("angle_error", "in-plane head angle error vs driver (since the first frame)", SeriesMean(angle_err), "deg");
  r.AddMetric("angle_corr", "in-plane head angle correlation driver vs output", PearsonCorrelation(angle_d, angle_o));
  r.AddMetric("scale_corr", "head scale correlation driver vs output", PearsonCorrelation(scale_d, scale_o));
  gaze.Report(r, "driver", true, index);
  r.AddMetric("flicker_driver", "driver: flicker in the face region", SeriesMean(flick_d), "0-255");
  r.AddMetric("flicker_output", "output: flicker in the face region", SeriesMean(flick_o), "0-255", true);
  r.AddMetric("warp_driver", "driver: warping error along its own flow", SeriesMean(warp_d), "MSE x1e3");
  r.AddMetric("warp_output", "output: warping error along its own flow", SeriesMean(warp_o), "MSE x1e3", true);
  r.AddMetric("identity_consecutive_output", "output: identity similarity, consecutive frames",
              SeriesMean(id_out.consecutive));
  r.AddMetric("identity_mean_output", "output: identity similarity to the clip mean", id_out.ToMean());
  if (embedder) {
    r.AddMetric("id_dist_output_identity", "face descriptor distance output -> identity", SeriesMean(d_out_id), "",
                true);
    r.AddMetric("id_dist_output_driver", "face descriptor distance output -> driver", SeriesMean(d_out_drv), "", true);
    r.notes.push_back("identity distances: FaceRes descriptors (1 - cosine; 0 = same face), reference = mean "
                      "embedding of the --identity media's faces");
  }
  r.series.push_back({"expression landmark error per frame (/ inter-ocular)", "frame", "NME",
                      {{"output vs driver", index, expr_err}, {"still output (baseline)", index, expr_still}}});
  r.series.push_back({"mouth openness (inner-lip gap / mouth width)", "frame", "ratio",
                      {{"driver", index, mouth_d}, {"output", index, mouth_o}}});
  r.series.push_back({"eye openness (eye aspect ratio)", "frame", "ratio", {{"driver", index, eye_d}, {"output", index, eye_o}}});
  r.series.push_back({"in-plane head angle since the first frame", "frame", "deg",
                      {{"driver", index, angle_d}, {"output", index, angle_o}}});
  r.series.push_back({"flicker per frame (face region, mean |frame t - frame t-1|)", "frame", "0-255",
                      {{"driver", index, flick_d}, {"output", index, flick_o}}});
  r.series.push_back({"warping error per frame (face region, own flow)", "frame", "MSE x1e3",
                      {{"driver", index, warp_d}, {"output", index, warp_o}}});
  if (!sheet.empty()) {
    cv::Mat s;
    cv::vconcat(sheet, s);
    r.images.push_back(MakeEvalImage("driver | output (same frame)", s));
  }
  if (ref_d.empty()) r.notes.push_back("no frame had a face in both the driver and the output: no expression figures");
  r.notes.push_back("expression motion: each face's landmark motion since the first frame with both faces, rigid head "
                    "motion (eye corners + nose similarity) removed, in the face's own upright axes and inter-ocular "
                    "units; yaw / pitch are not transferred by the reenactor and not compared");
  r.notes.push_back("identity similarity uses the LBP face descriptor (engine/face_descriptor.h): 1 = identical");
  return r;
}

}  // namespace smile::engine
