#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "engine/face_detector.h"
#include "engine/face_parser.h"

namespace smile::engine {
namespace {

using Poly = std::vector<cv::Point>;

Poly ToPoly(const Landmarks& p, std::initializer_list<int> idx) {
  Poly out;
  for (int i : idx) out.emplace_back(cvRound(p[i].x * 4), cvRound(p[i].y * 4));  // 2 fractional bits
  return out;
}
Poly Range(const Landmarks& p, int from, int to) {
  Poly out;
  for (int i = from; i <= to; ++i) out.emplace_back(cvRound(p[i].x * 4), cvRound(p[i].y * 4));
  return out;
}
void Fill(cv::Mat& m, const Poly& poly, double v = 1.0) {
  std::vector<Poly> v1{poly};
  cv::fillPoly(m, v1, cv::Scalar(v), cv::LINE_AA, 2);
}
void Line(cv::Mat& m, const Poly& poly, double thickness, double v = 1.0) {
  cv::polylines(m, std::vector<Poly>{poly}, false, cv::Scalar(v), std::max(1, cvRound(thickness)), cv::LINE_AA, 2);
}
cv::Point P4(cv::Point2f p) { return cv::Point(cvRound(p.x * 4), cvRound(p.y * 4)); }

cv::Mat Blur(const cv::Mat& m, double sigma) {
  if (sigma < 0.3) return m.clone();
  cv::Mat out;
  cv::GaussianBlur(m, out, cv::Size(), sigma, sigma, cv::BORDER_REPLICATE);
  return out;
}

// Geometry of a face in some image's pixels.
struct Geo {
  Landmarks p;
  float iod, brow_y, chin_y, face_h, face_w, cx, top_y, side_y;
  explicit Geo(const Landmarks& pts) : p(pts) {
    iod = static_cast<float>(InterOcular(p));
    brow_y = 0;
    for (int i = 17; i <= 26; ++i) brow_y += p[i].y / 10.f;
    chin_y = p[8].y;
    face_h = std::max(4.f, chin_y - brow_y);
    face_w = std::max(4.f, p[16].x - p[0].x);
    cx = 0.5f * (p[0].x + p[16].x);
    top_y = brow_y - 0.55f * face_h;
    side_y = 0.5f * (p[0].y + p[16].y);
  }
  // Jaw plus a forehead arc up to the (estimated) hairline.
  Poly FaceOval() const {
    Poly poly = Range(p, 0, 16);
    const float r0 = side_y;
    for (int k = 1; k < 24; ++k) {
      const double t = M_PI * k / 24.0;  // from the image-right side (p16) over the top to p0
      const float x = cx + 0.5f * face_w * static_cast<float>(std::cos(t));
      const float y = r0 - (r0 - top_y) * static_cast<float>(std::sin(t));
      poly.push_back(P4(cv::Point2f(x, y)));
    }
    return poly;
  }
};

// Lab colour histograms (L 8 bins, a/b 16 bins each).
constexpr int kBinsL = 8, kBinsA = 16;
constexpr int kBins = kBinsL * kBinsA * kBinsA;

cv::Mat BinIndex(const cv::Mat& lab) {
  cv::Mat idx(lab.size(), CV_32S);
  for (int y = 0; y < lab.rows; ++y) {
    const cv::Vec3b* s = lab.ptr<cv::Vec3b>(y);
    int* d = idx.ptr<int>(y);
    for (int x = 0; x < lab.cols; ++x)
      d[x] = (s[x][0] * kBinsL / 256) * kBinsA * kBinsA + (s[x][1] * kBinsA / 256) * kBinsA + s[x][2] * kBinsA / 256;
  }
  return idx;
}

// Weighted histogram, smoothed over neighbouring bins, normalised, with a floor.
std::vector<float> Histogram(const cv::Mat& idx, const cv::Mat& weight) {
  std::vector<float> h(kBins, 0.f);
  double total = 0;
  for (int y = 0; y < idx.rows; ++y) {
    const int* i = idx.ptr<int>(y);
    const float* w = weight.ptr<float>(y);
    for (int x = 0; x < idx.cols; ++x) {
      h[i[x]] += w[x];
      total += w[x];
    }
  }
  // Smooth along a and b (1-2-1) to generalise across neighbouring colours.
  std::vector<float> s(kBins, 0.f);
  for (int l = 0; l < kBinsL; ++l)
    for (int a = 0; a < kBinsA; ++a)
      for (int b = 0; b < kBinsA; ++b) {
        float acc = 0, wsum = 0;
        for (int dl = -1; dl <= 1; ++dl)
          for (int da = -1; da <= 1; ++da)
            for (int db = -1; db <= 1; ++db) {
              const int L = l + dl, A = a + da, B = b + db;
              if (L < 0 || L >= kBinsL || A < 0 || A >= kBinsA || B < 0 || B >= kBinsA) continue;
              const float w = (dl ? 1.f : 2.f) * (da ? 1.f : 2.f) * (db ? 1.f : 2.f);
              acc += w * h[(L * kBinsA + A) * kBinsA + B];
              wsum += w;
            }
        s[(l * kBinsA + a) * kBinsA + b] = acc / wsum;
      }
  double sum = 0;
  for (float v : s) sum += v;
  const float floor = 0.02f / kBins;
  for (float& v : s) v = total > 1e-3 ? static_cast<float>(0.98 * v / sum) + floor : 1.0f / kBins;
  return s;
}

cv::Mat Lookup(const cv::Mat& idx, const std::vector<float>& h) {
  cv::Mat out(idx.size(), CV_32F);
  for (int y = 0; y < idx.rows; ++y) {
    const int* i = idx.ptr<int>(y);
    float* o = out.ptr<float>(y);
    for (int x = 0; x < idx.cols; ++x) o[x] = h[i[x]] * kBins;  // relative to uniform
  }
  return out;
}

void Normalize(std::vector<cv::Mat>& planes) {
  cv::Mat sum;
  for (const auto& p : planes)
    if (!p.empty()) sum = sum.empty() ? p.clone() : sum + p;
  if (sum.empty()) return;
  sum = cv::max(sum, 1e-12);
  for (auto& p : planes)
    if (!p.empty()) cv::divide(p, sum, p);
}

}  // namespace

cv::Mat ArgmaxLabels(const std::vector<cv::Mat>& probs) {
  CV_Assert(!probs.empty());
  cv::Size size;
  for (const auto& p : probs)
    if (!p.empty()) size = p.size();
  cv::Mat labels(size, CV_8U, cv::Scalar(0)), best(size, CV_32F, cv::Scalar(-1));
  for (int c = 0; c < static_cast<int>(probs.size()); ++c) {
    if (probs[c].empty()) continue;
    for (int y = 0; y < size.height; ++y) {
      const float* p = probs[c].ptr<float>(y);
      float* b = best.ptr<float>(y);
      uint8_t* l = labels.ptr<uint8_t>(y);
      for (int x = 0; x < size.width; ++x)
        if (p[x] > b[x]) b[x] = p[x], l[x] = static_cast<uint8_t>(c);
    }
  }
  return labels;
}

std::vector<cv::Mat> OneHot(const cv::Mat& labels) {
  std::vector<cv::Mat> out(kNumLabels);
  for (int c = 0; c < kNumLabels; ++c) {
    cv::Mat m = labels == c;
    m.convertTo(out[c], CV_32F, 1.0 / 255);
  }
  return out;
}

std::vector<cv::Mat> GeometricParser::PartMasks(cv::Size size, const Landmarks& p) {
  std::vector<cv::Mat> m(kNumLabels);
  for (int c : {kNose, kLEye, kREye, kLBrow, kRBrow, kMouth, kULip, kLLip}) m[c] = cv::Mat::zeros(size, CV_32F);
  const Geo g(p);
  const double iod = std::max(2.0f, g.iod);
  // Eyes: the eye polygons, slightly enlarged (annotations include the lid margin).
  auto eye = [&](int a, cv::Mat& dst) {
    const cv::Point2f c = Mean(p, a, a + 5);
    Landmarks e(p.begin() + a, p.begin() + a + 6);
    for (auto& q : e) q = c + (q - c) * 1.05f;
    Fill(dst, ToPoly(e, {0, 1, 2, 3, 4, 5}));
  };
  eye(36, m[kREye]);
  eye(42, m[kLEye]);
  // Brows: dlib's points trace the brow's upper-middle; draw a thick stroke set slightly lower.
  auto brow = [&](int a, cv::Mat& dst) {
    Landmarks b(p.begin() + a, p.begin() + a + 5);
    for (auto& q : b) q.y += static_cast<float>(0.04 * iod);
    Line(dst, ToPoly(b, {0, 1, 2, 3, 4}), 0.13 * iod);
  };
  brow(17, m[kRBrow]);
  brow(22, m[kLBrow]);
  // Nose: bridge from between the eyes to the wings and the tip.
  {
    const cv::Point2f up = p[27] + (p[27] - p[28]) * 0.3f;
    const cv::Point2f w0 = p[31] + (p[31] - p[33]) * 0.35f, w1 = p[35] + (p[35] - p[33]) * 0.35f;
    const cv::Point2f tip = p[33] + (p[33] - p[30]) * 0.15f;
    const float bw = static_cast<float>(0.12 * iod);
    Landmarks n = {up + cv::Point2f(-bw, 0), up + cv::Point2f(bw, 0), p[30] + cv::Point2f(bw * 1.6f, 0), w1, tip, w0,
                   p[30] + cv::Point2f(-bw * 1.6f, 0)};
    Fill(m[kNose], ToPoly(n, {0, 1, 2, 3, 4, 5, 6}));
  }
  // Lips and mouth interior.
  Fill(m[kULip], ToPoly(p, {48, 49, 50, 51, 52, 53, 54, 64, 63, 62, 61, 60}));
  Fill(m[kLLip], ToPoly(p, {54, 55, 56, 57, 58, 59, 48, 60, 67, 66, 65, 64}));
  if (MouthOpenness(p) > 0.06) Fill(m[kMouth], ToPoly(p, {60, 61, 62, 63, 64, 65, 66, 67}));
  // The mouth interior wins over the lips where they overlap (open mouth).
  m[kULip] -= m[kMouth];
  m[kLLip] -= m[kMouth];
  for (auto& x : m)
    if (!x.empty()) x = cv::max(x, 0.0);
  return m;
}

double GeometricParser::EyeglassesScore(const cv::Mat& gray_in, const Landmarks& p) {
  cv::Mat gray = ToGray(gray_in), gx, gy, mag;
  cv::Sobel(gray, gx, CV_32F, 1, 0);
  cv::Sobel(gray, gy, CV_32F, 0, 1);
  cv::magnitude(gx, gy, mag);
  const float iod = static_cast<float>(std::max(2.0, InterOcular(p)));
  auto mean_in = [&](const cv::Rect2f& r, const cv::Mat& src) {
    cv::Rect ri = cv::Rect(r) & cv::Rect(0, 0, src.cols, src.rows);
    return ri.area() > 0 ? cv::mean(src(ri))[0] : 0.0;
  };
  // A frame crosses the nose bridge between the inner eye corners, and its lower rims run
  // under the eyes; both give horizontal edges where a bare face is smooth. Compared with
  // the edge energy of the cheeks.
  const float x0 = p[39].x + 0.1f * iod, x1 = p[42].x - 0.1f * iod;
  const float yb = 0.5f * (p[39].y + p[42].y) - 0.1f * iod;
  const cv::Rect2f bridge(x0, yb - 0.15f * iod, std::max(1.f, x1 - x0), 0.3f * iod);
  const float rim_y = std::max(p[40].y, p[47].y) + 0.2f * iod;
  const cv::Rect2f rim_r(p[36].x, rim_y, std::max(1.f, p[39].x - p[36].x), 0.25f * iod);
  const cv::Rect2f rim_l(p[42].x, rim_y, std::max(1.f, p[45].x - p[42].x), 0.25f * iod);
  const cv::Rect2f cheek_r(p[36].x, p[30].y, std::max(1.f, p[31].x - p[36].x - 0.1f * iod), 0.2f * iod);
  const cv::Rect2f cheek_l(p[35].x + 0.1f * iod, p[30].y, std::max(1.f, p[45].x - p[35].x - 0.1f * iod), 0.2f * iod);
  const cv::Mat agy = cv::abs(gy);
  const double b = mean_in(bridge, agy), r = 0.5 * (mean_in(rim_r, agy) + mean_in(rim_l, agy));
  const double c = std::max(4.0, 0.5 * (mean_in(cheek_r, mag) + mean_in(cheek_l, mag)));
  return std::min(b, r) / c;  // both must show a frame
}

Result<ParseResult> GeometricParser::Parse(const cv::Mat& aligned_in, const Landmarks& pts) {
  if (aligned_in.empty()) return InvalidArgument("GeometricParser: empty image");
  if (pts.size() != 68) return InvalidArgument("GeometricParser: needs 68 landmarks, got " + std::to_string(pts.size()));
  const cv::Mat aligned = ToBgr(aligned_in);
  const cv::Size full = aligned.size();
  const int W = std::min(o_.work_size, std::min(full.width, full.height));
  const double s = double(W) / full.width;
  const cv::Size ws(W, cvRound(full.height * s));
  Landmarks wp(pts.size());
  for (size_t i = 0; i < pts.size(); ++i) wp[i] = pts[i] * static_cast<float>(s);
  const Geo g(wp);

  cv::Mat small, lab;
  cv::resize(aligned, small, ws, 0, 0, cv::INTER_AREA);
  cv::cvtColor(small, lab, cv::COLOR_BGR2Lab);
  const cv::Mat idx = BinIndex(lab);
  const double soft = std::max(0.8, 0.04 * g.face_h);

  // ---- Region shapes at work resolution.
  cv::Mat face = cv::Mat::zeros(ws, CV_32F);
  Fill(face, g.FaceOval());
  cv::Mat head = cv::Mat::zeros(ws, CV_32F);
  cv::ellipse(head, cv::Point2f(g.cx, g.brow_y - 0.1f * g.face_h), cv::Size2f(0.68f * g.face_w, 0.85f * g.face_h), 0,
              0, 360, cv::Scalar(1), -1, cv::LINE_AA);
  head = cv::max(head, face);
  cv::Mat neck = cv::Mat::zeros(ws, CV_32F);
  {
    const float nb = g.chin_y + 0.8f * g.face_h;
    const float nl = wp[4].x + 0.08f * g.face_w, nr = wp[12].x - 0.08f * g.face_w;
    Landmarks n = {wp[4], wp[6], wp[8], wp[10], wp[12], cv::Point2f(nr, nb), cv::Point2f(nl, nb)};
    Fill(neck, ToPoly(n, {0, 1, 2, 3, 4, 5, 6}));
    neck = cv::max(neck - face, 0.0);
  }
  cv::Mat cloth(ws, CV_32F);
  for (int y = 0; y < ws.height; ++y) {
    const float t = std::clamp((y - (g.chin_y + 0.15f * g.face_h)) / (0.3f * g.face_h), 0.f, 1.f);
    cloth.row(y).setTo(t);
  }
  cv::Mat ear_r = cv::Mat::zeros(ws, CV_32F), ear_l = cv::Mat::zeros(ws, CV_32F);
  {
    const float ew = 0.2f * g.face_w;
    const float y0 = std::min(wp[0].y, wp[16].y) - 0.12f * g.face_h, y1 = 0.5f * (wp[2].y + wp[14].y) + 0.05f * g.face_h;
    Landmarks r = {cv::Point2f(wp[0].x - ew, y0), cv::Point2f(wp[0].x + 0.02f * g.face_w, y0), wp[1], wp[2],
                   cv::Point2f(wp[2].x - 0.5f * ew, y1)};
    Landmarks l = {cv::Point2f(wp[16].x + ew, y0), cv::Point2f(wp[16].x - 0.02f * g.face_w, y0), wp[15], wp[14],
                   cv::Point2f(wp[14].x + 0.5f * ew, y1)};
    Fill(ear_r, ToPoly(r, {0, 1, 2, 3, 4}));
    Fill(ear_l, ToPoly(l, {0, 1, 2, 3, 4}));
  }
  const cv::Mat faceb = Blur(face, soft), headb = Blur(head, 2 * soft), neckb = Blur(neck, 2 * soft);
  const cv::Mat earb = Blur(ear_r + ear_l, soft);
  cv::Mat upper(ws, CV_32F);  // 1 above the eyes, 0 below the nose
  for (int y = 0; y < ws.height; ++y)
    upper.row(y).setTo(std::clamp((wp[33].y - y) / std::max(1.f, wp[33].y - wp[27].y), 0.f, 1.f));

  // ---- Spatial priors of the image-evidence classes.
  enum { B, S, H, N, C, E, K };  // background, skin, hair, neck, cloth, ear
  std::vector<cv::Mat> prior(K);
  prior[S] = 0.02 + 0.9 * faceb - 0.5 * earb;
  cv::Mat below(ws, CV_32F);  // 0 above the mouth, 1 below the chin
  for (int y = 0; y < ws.height; ++y)
    below.row(y).setTo(std::clamp((y - wp[57].y) / std::max(1.f, g.chin_y + 0.2f * g.face_h - wp[57].y), 0.f, 1.f));
  prior[H] = 0.03 + 0.55 * headb.mul(1 - faceb).mul(1 - 0.85 * below) + 0.25 * faceb.mul(upper);
  prior[B] = 0.04 + 0.7 * (1 - headb).mul(1 - neckb).mul(1 - 0.7 * cloth);
  prior[N] = 0.01 + 0.6 * neckb.mul(1 - 0.5 * cloth);
  prior[C] = 0.01 + 0.7 * cloth.mul(1 - 0.6 * neckb).mul(1 - 0.5 * headb);
  prior[E] = 0.005 + 0.45 * earb;
  if (o_.person) {  // a person segmentation: background outside it, person classes inside
    auto person = o_.person->PersonProbability(aligned);
    if (person.ok() && !person->empty()) {
      cv::Mat pm;
      cv::resize(*person, pm, ws, 0, 0, cv::INTER_AREA);
      const double w = o_.person_weight;
      prior[B] = prior[B].mul(1 - w * pm);
      for (int k : {S, H, N, C, E}) prior[k] = prior[k].mul(1 - w * (1 - pm));
    }
  }
  for (auto& p : prior) p = cv::max(p, 0.001);

  // ---- Colour models seeded from confident regions.
  std::vector<cv::Mat> seed(K);
  const cv::Mat parts_small = [&] {
    cv::Mat m = cv::Mat::zeros(ws, CV_32F);
    for (const auto& pm : PartMasks(ws, wp))
      if (!pm.empty()) m += pm;
    cv::dilate(m, m, cv::Mat(), cv::Point(-1, -1), std::max(1, cvRound(0.02 * g.face_h)));
    return cv::Mat(cv::min(m, 1.0));
  }();
  {
    cv::Mat cheeks = cv::Mat::zeros(ws, CV_32F);
    Fill(cheeks, ToPoly(wp, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 35, 42, 39}));
    cv::erode(cheeks, cheeks, cv::Mat(), cv::Point(-1, -1), std::max(1, cvRound(0.04 * g.face_h)));
    seed[S] = cheeks.mul(1 - parts_small);
    cv::Mat hair_seed = head.mul(1 - Blur(face, 2 * soft));
    for (int y = cvRound(std::max(0.f, g.side_y)); y < ws.height; ++y) hair_seed.row(y).setTo(0);
    seed[H] = cv::max(hair_seed - 0.5, 0.0) * 2;
    cv::Mat border = cv::Mat::zeros(ws, CV_32F);
    const int bw = std::max(2, W / 16);
    const int yb = std::clamp(cvRound(g.chin_y), 0, ws.height);
    border(cv::Rect(0, 0, ws.width, bw)).setTo(1);
    border(cv::Rect(0, 0, bw, yb)).setTo(1);
    border(cv::Rect(ws.width - bw, 0, bw, yb)).setTo(1);
    seed[B] = border.mul(1 - head);
    cv::Mat ns = cv::Mat::zeros(ws, CV_32F);
    const cv::Rect nr(cv::Point(cvRound(wp[6].x), cvRound(g.chin_y + 0.08f * g.face_h)),
                      cv::Point(cvRound(wp[10].x), cvRound(g.chin_y + 0.3f * g.face_h)));
    ns(nr & cv::Rect(0, 0, ws.width, ws.height)).setTo(1);
    seed[N] = ns;
    seed[C] = cv::max(cloth - 0.5, 0.0).mul(1 - neckb) * 2;
    seed[E] = seed[S];
  }
  std::vector<std::vector<float>> hist(K);
  for (int k = 0; k < K; ++k) hist[k] = Histogram(idx, seed[k]);
  // Ears and neck are skin; mix the skin colours in.
  auto mix = [](const std::vector<float>& a, const std::vector<float>& b, float wa) {
    std::vector<float> o(a.size());
    for (size_t i = 0; i < a.size(); ++i) o[i] = wa * a[i] + (1 - wa) * b[i];
    return o;
  };
  hist[E] = hist[S];
  hist[N] = mix(hist[N], hist[S], 0.5f);

  std::vector<cv::Mat> post(K);
  for (int it = 0; it <= o_.em_iterations; ++it) {
    for (int k = 0; k < K; ++k) post[k] = prior[k].mul(Lookup(idx, hist[k]));
    Normalize(post);
    for (auto& p : post) p = Blur(p, 0.8);
    Normalize(post);
    if (it == o_.em_iterations) break;
    // Re-estimate colours from the confident posteriors, anchored to the seeds.
    for (int k : {B, H, C}) {
      cv::Mat w = cv::max(post[k] - 0.6, 0.0) * 2.5;
      hist[k] = mix(Histogram(idx, w), Histogram(idx, seed[k]), 0.5f);
    }
  }

  // ---- Full-resolution probabilities: image classes (upsampled) + landmark parts on top.
  ParseResult r;
  r.probs.assign(kNumLabels, cv::Mat());
  const int map_to[K] = {kBackground, kSkin, kHair, kNeck, kCloth, -1};
  for (int k = 0; k < K; ++k) {
    cv::Mat up;
    cv::resize(post[k], up, full, 0, 0, cv::INTER_LINEAR);
    if (k == E) {
      // Split ear mass by side of the face.
      cv::Mat rs, ls;
      cv::resize(Blur(ear_r, soft), rs, full);
      cv::resize(Blur(ear_l, soft), ls, full);
      cv::Mat tot = cv::max(rs + ls, 1e-6);
      r.probs[kREar] = up.mul(rs / tot);
      r.probs[kLEar] = up.mul(ls / tot);
    } else {
      r.probs[map_to[k]] = up;
    }
  }
  std::vector<cv::Mat> parts = PartMasks(full, pts);
  if (o_.parts) {  // e.g. FaceMesh contours in place of the 68-point polygons
    auto better = o_.parts->PartMasks(aligned, pts, &r.mesh);
    if (better.ok() && better->size() == parts.size())
      for (size_t c = 0; c < parts.size(); ++c)
        if (!(*better)[c].empty() && (*better)[c].size() == full) parts[c] = (*better)[c];
  }
  const double part_soft = std::max(0.5, 0.004 * full.width);
  cv::Mat part_sum = cv::Mat::zeros(full, CV_32F);
  for (int c = 0; c < kNumLabels; ++c) {
    if (parts[c].empty()) continue;
    parts[c] = Blur(parts[c], part_soft);
    part_sum += parts[c];
  }
  cv::Mat scale_rest = 1 - cv::min(part_sum, 1.0);
  // Parts only replace face pixels (skin/hair inside the face); weigh them by the face-ness.
  cv::Mat face_full;
  cv::resize(faceb, face_full, full);
  for (int c = 0; c < kNumLabels; ++c) {
    if (r.probs[c].empty()) r.probs[c] = parts[c];  // stays empty (all zero) for classes never drawn
    else if (parts[c].empty()) r.probs[c] = r.probs[c].mul(scale_rest);
    else r.probs[c] = r.probs[c].mul(scale_rest) + parts[c];
  }

  // ---- Eyeglasses: drawn when the bridge shows a frame.
  if (o_.detect_eyeglasses) {
    const double score = EyeglassesScore(aligned, pts);
    if (score > o_.eyeglasses_threshold) {
      r.has_eyeglasses = true;
      cv::Mat gl = cv::Mat::zeros(full, CV_32F);
      const double iod = InterOcular(pts);
      for (int a : {36, 42}) {
        const cv::Point2f c = Mean(pts, a, a + 5);
        cv::ellipse(gl, c, cv::Size2f(static_cast<float>(0.42 * iod), static_cast<float>(0.28 * iod)), 0, 0, 360,
                    cv::Scalar(1), -1, cv::LINE_AA);
      }
      cv::line(gl, RightEyeCenter(pts), LeftEyeCenter(pts), cv::Scalar(1), std::max(1, cvRound(0.08 * iod)));
      gl = Blur(gl, part_soft);
      // Eyes stay on top of the glasses (as in CelebAMask-HQ).
      cv::Mat keep = 1 - cv::min(gl, 1.0);
      for (int c = 0; c < kNumLabels; ++c)
        if (c != kLEye && c != kREye && !r.probs[c].empty()) r.probs[c] = r.probs[c].mul(keep);
      r.probs[kEyeG] = gl.mul(1 - cv::min(parts[kLEye] + parts[kREye], 1.0));
    }
  }
  Normalize(r.probs);
  r.labels = ArgmaxLabels(r.probs);
  return r;
}

}  // namespace smile::engine
