#include "engine/facemesh.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "engine/face_detector.h"
#include "models/tfjs_graph.h"

namespace smile::engine {

namespace mesh {
// MediaPipe face-mesh topology (canonical_face_model); 33/133 = the subject's right eye corners
// (image left on a frontal face), 263/362 the left eye.
// dlib 36-41: the subject's right eye from its outer corner, clockwise in the image (upper lid
// first); 42-47 the left eye from its inner corner; 48-59 outer lips from the subject's right
// corner along the upper lip; 60-67 inner lips likewise.
const int kDlib68[68] = {
    -1, -1,  -1,  -1,  -1,  -1,  -1,  -1,  -1,  -1,  -1,  -1,  -1,  -1,  -1,  -1,  -1,   // 0-16 jaw
    -1, -1,  -1,  -1,  -1,  -1,  -1,  -1,  -1,  -1,                                      // 17-26 brows
    -1, -1,  -1,  -1,  -1,  -1,  -1,  -1,  -1,                                           // 27-35 nose
    33, 160, 158, 133, 153, 144,                                                         // 36-41
    362, 385, 387, 263, 373, 380,                                                        // 42-47
    61, 40,  37,  0,   267, 270, 291, 321, 314, 17,  84,  91,                            // 48-59
    78, 81,  13,  311, 308, 402, 14,  178};                                              // 60-67

const std::vector<int> kLipsOuter = {61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291,
                                     409, 270, 269, 267, 0, 37, 39, 40, 185};
const std::vector<int> kLipsInner = {78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308,
                                     415, 310, 311, 312, 13, 82, 81, 80, 191};
const std::vector<int> kUpperLipOuter = {61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291};
const std::vector<int> kUpperLipInner = {78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308};
const std::vector<int> kLowerLipOuter = {61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291};
const std::vector<int> kLowerLipInner = {78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308};
const std::vector<int> kRightEye = {33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246};
const std::vector<int> kLeftEye = {263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466};
const std::vector<int> kRightBrow = {70, 63, 105, 66, 107, 55, 65, 52, 53, 46};
const std::vector<int> kLeftBrow = {300, 293, 334, 296, 336, 285, 295, 282, 283, 276};
const std::vector<int> kFaceOval = {10,  338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288,
                                    397, 365, 379, 378, 400, 377, 152, 148, 176, 149, 150, 136,
                                    172, 58,  132, 93,  234, 127, 162, 21,  54,  103, 67,  109};
}  // namespace mesh

struct FaceMesh::Impl {
  models::TfjsGraph graph;
  std::string out_mesh, out_flag;
};

Result<FaceMesh> FaceMesh::Load(const FaceMeshOptions& o) {
  auto impl = std::make_shared<Impl>();
  SMILE_ASSIGN_OR_RETURN(impl->graph, models::TfjsGraph::LoadFetched("facemesh", o.models_dir, o.device));
  // Outputs: Identity_2 = mesh [1, 1404], Identity_1 = face flag [1, 1] (sigmoid applied).
  impl->out_mesh = "Identity_2";
  impl->out_flag = "Identity_1";
  FaceMesh m;
  m.impl_ = std::move(impl);
  m.o_ = o;
  return m;
}

Result<FaceMeshResult> FaceMesh::FitCrop(const cv::Mat& image, cv::Point2f center, float side, float roll_deg) const {
  if (image.empty()) return InvalidArgument("FaceMesh: empty image");
  if (side < 4) return InvalidArgument("FaceMesh: face crop too small");
  constexpr int kSize = 192;
  cv::Matx23d m = cv::getRotationMatrix2D(center, roll_deg, kSize / side);
  m(0, 2) += kSize / 2.0 - center.x;
  m(1, 2) += kSize / 2.0 - center.y;
  cv::Mat crop, rgb, f;
  cv::warpAffine(ToBgr(image), crop, m, cv::Size(kSize, kSize), cv::INTER_LINEAR, cv::BORDER_CONSTANT);
  cv::cvtColor(crop, rgb, cv::COLOR_BGR2RGB);
  rgb.convertTo(f, CV_32FC3, 1.0 / 255);
  const torch::Tensor x = torch::from_blob(f.data, {1, kSize, kSize, 3}, torch::kFloat).clone();
  SMILE_ASSIGN_OR_RETURN(std::vector<torch::Tensor> out,
                         impl_->graph.Run({{impl_->graph.input_names()[0], x}}, {impl_->out_mesh, impl_->out_flag}));
  const torch::Tensor pts = out[0].to(torch::kCPU).reshape({468, 3}).contiguous();
  cv::Matx23d inv;
  cv::invertAffineTransform(m, inv);
  FaceMeshResult r;
  r.score = out[1].to(torch::kCPU).item<float>();
  const float* p = pts.data_ptr<float>();
  const float zs = side / kSize;
  r.pts.reserve(468);
  for (int i = 0; i < 468; ++i) {
    const double u = p[3 * i], v = p[3 * i + 1];
    r.pts.emplace_back(static_cast<float>(inv(0, 0) * u + inv(0, 1) * v + inv(0, 2)),
                       static_cast<float>(inv(1, 0) * u + inv(1, 1) * v + inv(1, 2)), p[3 * i + 2] * zs);
  }
  return r;
}

Landmarks MeshRefined68(const Landmarks& pts68, const FaceMeshResult& m) {
  Landmarks out = pts68;
  if (pts68.size() != 68 || m.pts.size() != 468) return out;
  for (int i = 0; i < 68; ++i)
    if (mesh::kDlib68[i] >= 0) out[i] = cv::Point2f(m.pts[mesh::kDlib68[i]].x, m.pts[mesh::kDlib68[i]].y);
  return out;
}

Result<FaceMeshResult> FaceMesh::Fit(const cv::Mat& image, const Landmarks& p) const {
  if (p.size() != 68) return InvalidArgument("FaceMesh: needs 68 landmarks, got " + std::to_string(p.size()));
  const cv::Point2f re = RightEyeCenter(p), le = LeftEyeCenter(p);
  float roll = static_cast<float>(std::atan2(le.y - re.y, le.x - re.x) * 180 / M_PI);
  // The face box in the face's own (roll-free) frame: jaw, brows, chin.
  const double c = std::cos(-roll * M_PI / 180), s = std::sin(-roll * M_PI / 180);
  float x0 = 1e9f, x1 = -1e9f, y0 = 1e9f, y1 = -1e9f;
  for (const auto& q : p) {
    const float u = static_cast<float>(c * q.x - s * q.y), v = static_cast<float>(s * q.x + c * q.y);
    x0 = std::min(x0, u), x1 = std::max(x1, u), y0 = std::min(y0, v), y1 = std::max(y1, v);
  }
  const float cu = 0.5f * (x0 + x1), cv_ = 0.5f * (y0 + y1);
  cv::Point2f center(static_cast<float>(c * cu + s * cv_), static_cast<float>(-s * cu + c * cv_));
  float side = static_cast<float>(std::max(x1 - x0, y1 - y0) * o_.crop_scale);
  SMILE_ASSIGN_OR_RETURN(FaceMeshResult r, FitCrop(image, center, side, roll));
  for (int pass = 1; pass < o_.passes; ++pass) {
    // MediaPipe's ROI from landmarks: eye line for the roll, mesh bounding box x 1.5.
    const cv::Point3f a = r.pts[33], b = r.pts[263];
    roll = static_cast<float>(std::atan2(b.y - a.y, b.x - a.x) * 180 / M_PI);
    const double c2 = std::cos(-roll * M_PI / 180), s2 = std::sin(-roll * M_PI / 180);
    x0 = y0 = 1e9f, x1 = y1 = -1e9f;
    for (const auto& q : r.pts) {
      const float u = static_cast<float>(c2 * q.x - s2 * q.y), v = static_cast<float>(s2 * q.x + c2 * q.y);
      x0 = std::min(x0, u), x1 = std::max(x1, u), y0 = std::min(y0, v), y1 = std::max(y1, v);
    }
    const float mu = 0.5f * (x0 + x1), mv = 0.5f * (y0 + y1);
    center = cv::Point2f(static_cast<float>(c2 * mu + s2 * mv), static_cast<float>(-s2 * mu + c2 * mv));
    side = static_cast<float>(std::max(x1 - x0, y1 - y0) * o_.crop_scale);
    SMILE_ASSIGN_OR_RETURN(r, FitCrop(image, center, side, roll));
  }
  return r;
}

namespace {
using Poly = std::vector<cv::Point>;
Poly MeshPoly(const FaceMeshResult& m, const std::vector<int>& idx, bool reverse = false) {
  Poly out;
  for (int i : idx) out.emplace_back(cvRound(m.pts[i].x * 4), cvRound(m.pts[i].y * 4));  // 2 fractional bits
  if (reverse) std::reverse(out.begin(), out.end());
  return out;
}
// Tuned on the 2 CelebAMask-HQ maps (see tests/engine/facemesh_test.cpp): eyes at the lid contour,
// brows grown a little (annotations are fuller), a mouth counts as open above a 0.1 gap/width.
constexpr double kEyeScale = 1.0, kBrowGrow = 0.04, kOpenMouth = 0.1;
void FillPoly(cv::Mat& dst, const Poly& p) {
  cv::fillPoly(dst, std::vector<Poly>{p}, cv::Scalar(1), cv::LINE_AA, 2);
}
Poly Concat(Poly a, const Poly& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
}  // namespace

std::vector<cv::Mat> FaceMeshParts::MasksFromMesh(cv::Size size, const FaceMeshResult& m) {
  std::vector<cv::Mat> out(kNumLabels);
  for (int c : {kLEye, kREye, kLBrow, kRBrow, kMouth, kULip, kLLip}) out[c] = cv::Mat::zeros(size, CV_32F);
  auto pt = [&](int i) { return cv::Point2f(m.pts[i].x, m.pts[i].y); };
  const double iod = cv::norm(pt(33) + pt(133) - pt(263) - pt(362)) / 2;
  // Eyes: the lid contours, slightly enlarged (CelebAMask-HQ includes the lid margin).
  auto eye = [&](const std::vector<int>& idx, cv::Mat& dst) {
    cv::Point2f c(0, 0);
    for (int i : idx) c += pt(i) / static_cast<float>(idx.size());
    Poly p;
    for (int i : idx) {
      const cv::Point2f q = c + (pt(i) - c) * static_cast<float>(kEyeScale);
      p.emplace_back(cvRound(q.x * 4), cvRound(q.y * 4));
    }
    FillPoly(dst, p);
  };
  eye(mesh::kRightEye, out[kREye]);
  eye(mesh::kLeftEye, out[kLEye]);
  // Brows: the mesh outlines the brow; annotations are a little fuller.
  for (auto [idx, c] : {std::pair{&mesh::kRightBrow, kRBrow}, std::pair{&mesh::kLeftBrow, kLBrow}}) {
    FillPoly(out[c], MeshPoly(m, *idx));
    const Poly p = MeshPoly(m, *idx);
    cv::polylines(out[c], std::vector<Poly>{p}, true, cv::Scalar(1), std::max(1, cvRound(kBrowGrow * iod)), cv::LINE_AA, 2);
  }
  // Lips and the mouth opening: inner gap / mouth width decides open or closed.
  const double gap = cv::norm(pt(13) - pt(14)), width = std::max(1.0, cv::norm(pt(61) - pt(291)));
  if (gap / width > kOpenMouth) {
    FillPoly(out[kULip], Concat(MeshPoly(m, mesh::kUpperLipOuter), MeshPoly(m, mesh::kUpperLipInner, true)));
    FillPoly(out[kLLip], Concat(MeshPoly(m, mesh::kLowerLipOuter), MeshPoly(m, mesh::kLowerLipInner, true)));
    FillPoly(out[kMouth], MeshPoly(m, mesh::kLipsInner));
    out[kULip] = cv::max(out[kULip] - out[kMouth], 0.0);
    out[kLLip] = cv::max(out[kLLip] - out[kMouth], 0.0);
  } else {  // closed: the lips meet on the middle of the inner contours
    Poly mid;
    for (size_t k = 0; k < mesh::kUpperLipInner.size(); ++k) {
      const cv::Point2f q = 0.5f * (pt(mesh::kUpperLipInner[k]) + pt(mesh::kLowerLipInner[k]));
      mid.emplace_back(cvRound(q.x * 4), cvRound(q.y * 4));
    }
    Poly rmid(mid.rbegin(), mid.rend());
    FillPoly(out[kULip], Concat(MeshPoly(m, mesh::kUpperLipOuter), rmid));
    FillPoly(out[kLLip], Concat(MeshPoly(m, mesh::kLowerLipOuter), rmid));
    out[kLLip] = cv::max(out[kLLip] - out[kULip], 0.0);
  }
  return out;
}

Result<std::vector<cv::Mat>> FaceMeshParts::PartMasks(const cv::Mat& aligned, const Landmarks& pts,
                                                      FittedMesh* fitted) const {
  auto fit = mesh_.Fit(aligned, pts);
  if (fitted) {
    fitted->fitted = true;
    if (fit.ok()) {
      fitted->pts = fit->pts;
      fitted->score = fit->score;
    }
  }
  SMILE_ASSIGN_OR_RETURN(FaceMeshResult m, std::move(fit));
  if (m.score < o_.min_score)
    return NotFound("FaceMesh: face score " + std::to_string(m.score) + " below " + std::to_string(o_.min_score));
  std::vector<cv::Mat> out = MasksFromMesh(aligned.size(), m);
  // Blend with the 68-point masks (each model's errors are partly independent).
  const std::vector<cv::Mat> dlib = GeometricParser::PartMasks(aligned.size(), pts);
  const double w = o_.mesh_weight;
  for (size_t c = 0; c < out.size(); ++c) {
    if (out[c].empty()) continue;
    if ((c == kLBrow || c == kRBrow) && !o_.mesh_brows) {
      out[c] = cv::Mat();  // keep the 68-point brows
      continue;
    }
    out[c] = dlib[c].empty() ? w * out[c] : w * out[c] + (1 - w) * dlib[c];
  }
  return out;
}

}  // namespace smile::engine
