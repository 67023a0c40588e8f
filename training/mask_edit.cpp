#include "training/mask_edit.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "training/attributes.h"
#include "training/labels.h"
#include "training/rng.h"

namespace smile::training {
namespace {

struct Face {
  LabelBox cls[kNumClasses];
  LabelBox face, head;  // face: skin..l_lip; head: face + hair + hat
};

Face Measure(const cv::Mat& m) {
  Face f;
  for (int y = 0; y < m.rows; ++y) {
    const uint8_t* p = m.ptr<uint8_t>(y);
    for (int x = 0; x < m.cols; ++x) {
      uint8_t c = p[x];
      if (c >= kNumClasses) continue;
      f.cls[c].Add(x, y);
      if (c >= kSkin && c <= kLowerLip) f.face.Add(x, y);
      if ((c >= kSkin && c <= kLowerLip) || c == kHair || c == kHat) f.head.Add(x, y);
    }
  }
  return f;
}

// Writes `label` where `shape` is set and the current class is in `over`.
void Paint(cv::Mat* m, const cv::Mat& shape, uint8_t label, std::initializer_list<int> over) {
  bool allowed[256] = {false};
  for (int c : over) allowed[c] = true;
  for (int y = 0; y < m->rows; ++y) {
    uint8_t* p = m->ptr<uint8_t>(y);
    const uint8_t* s = shape.ptr<uint8_t>(y);
    for (int x = 0; x < m->cols; ++x)
      if (s[x] && allowed[p[x]]) p[x] = label;
  }
}

// Replaces `label` by the class of the nearest other pixel (grown in from the border).
void FillFromNeighbours(cv::Mat* m, uint8_t label) {
  for (int iter = 0; iter < 4 * std::max(m->rows, m->cols); ++iter) {
    cv::Mat next = m->clone();
    bool left = false, changed = false;
    for (int y = 0; y < m->rows; ++y) {
      const uint8_t* p = m->ptr<uint8_t>(y);
      uint8_t* q = next.ptr<uint8_t>(y);
      for (int x = 0; x < m->cols; ++x) {
        if (p[x] != label) continue;
        int nb = -1;
        if (x > 0 && p[x - 1] != label) nb = p[x - 1];
        else if (x + 1 < m->cols && p[x + 1] != label) nb = p[x + 1];
        else if (y > 0 && m->at<uint8_t>(y - 1, x) != label) nb = m->at<uint8_t>(y - 1, x);
        else if (y + 1 < m->rows && m->at<uint8_t>(y + 1, x) != label) nb = m->at<uint8_t>(y + 1, x);
        if (nb >= 0) {
          q[x] = static_cast<uint8_t>(nb);
          changed = true;
        } else {
          left = true;
        }
      }
    }
    *m = next;
    if (!left || !changed) break;
  }
  m->setTo(kBackground, *m == label);  // a map made only of `label`
}

bool AddEyeglasses(cv::Mat* m, const Face& f, Rng& rng) {
  LabelBox eyes[2] = {f.cls[kLeftEye], f.cls[kRightEye]};
  if (eyes[0].empty() && eyes[1].empty()) return false;
  const double fw = f.face.w();
  cv::Mat shape = cv::Mat::zeros(m->size(), CV_8UC1);
  // A missing eye is mirrored from the other around the face centre.
  for (int i = 0; i < 2; ++i) {
    if (!eyes[i].empty()) continue;
    const LabelBox& o = eyes[1 - i];
    int dx = static_cast<int>(std::lround(2 * (f.face.cx() - o.cx())));
    eyes[i] = o;
    eyes[i].x0 += dx;
    eyes[i].x1 += dx;
  }
  const double lens_w = std::max(eyes[0].w(), eyes[1].w()) * rng.Uniform(0.85, 1.05) + fw * 0.04;
  const double lens_h = std::max(lens_w * rng.Uniform(0.55, 0.75), std::max(eyes[0].h(), eyes[1].h()) * 1.8);
  const int thick = std::max(1, static_cast<int>(std::lround(fw * rng.Uniform(0.012, 0.02))));
  cv::Point centres[2];
  for (int i = 0; i < 2; ++i) {
    centres[i] = cv::Point(static_cast<int>(std::lround(eyes[i].cx())),
                           static_cast<int>(std::lround(eyes[i].cy() + lens_h * 0.08)));
    cv::ellipse(shape, centres[i], cv::Size(static_cast<int>(lens_w * 0.5), static_cast<int>(lens_h * 0.5)), 0, 0,
                360, cv::Scalar(255), cv::FILLED);
  }
  int left = centres[0].x < centres[1].x ? 0 : 1;
  int right = 1 - left;
  cv::line(shape, cv::Point(static_cast<int>(centres[left].x + lens_w * 0.45), centres[left].y - static_cast<int>(lens_h * 0.15)),
           cv::Point(static_cast<int>(centres[right].x - lens_w * 0.45), centres[right].y - static_cast<int>(lens_h * 0.15)),
           cv::Scalar(255), thick);
  // Temples towards the ears.
  cv::line(shape, cv::Point(static_cast<int>(centres[left].x - lens_w * 0.5), centres[left].y - static_cast<int>(lens_h * 0.2)),
           cv::Point(f.face.x0, centres[left].y - static_cast<int>(lens_h * 0.1)), cv::Scalar(255), thick);
  cv::line(shape, cv::Point(static_cast<int>(centres[right].x + lens_w * 0.5), centres[right].y - static_cast<int>(lens_h * 0.2)),
           cv::Point(f.face.x1, centres[right].y - static_cast<int>(lens_h * 0.1)), cv::Scalar(255), thick);
  // eye_g (3) sits under eyes, brows, lips... in the composition order: cover only lower classes.
  Paint(m, shape, kEyeGlasses, {kBackground, kSkin, kNose});
  return true;
}

bool AddHat(cv::Mat* m, const Face& f, Rng& rng) {
  LabelBox top = Union(f.cls[kLeftBrow], f.cls[kRightBrow]);
  LabelBox eyes = Union(f.cls[kLeftEye], f.cls[kRightEye]);
  if (top.empty() && eyes.empty()) return false;
  const int brow_y = top.empty() ? eyes.y0 - eyes.h() : top.y0;
  const int head_top = f.head.y0;
  const double fw = f.face.w();
  const int bottom = brow_y - static_cast<int>((brow_y - head_top) * rng.Uniform(0.25, 0.4));
  const int crown = std::max(0, head_top - static_cast<int>(fw * rng.Uniform(0.05, 0.15)));
  if (bottom - crown < 3) return false;
  const int cx = static_cast<int>(std::lround(f.face.cx()));
  const int half_w = static_cast<int>(fw * rng.Uniform(0.55, 0.65));
  cv::Mat shape = cv::Mat::zeros(m->size(), CV_8UC1);
  cv::ellipse(shape, cv::Point(cx, bottom), cv::Size(half_w, bottom - crown), 0, 180, 360, cv::Scalar(255), cv::FILLED);
  const int brim = std::max(2, static_cast<int>(fw * 0.04));
  cv::rectangle(shape, cv::Point(cx - half_w - brim, bottom - brim), cv::Point(cx + half_w + brim, bottom), cv::Scalar(255),
                cv::FILLED);
  // The hat (14) covers everything but the face's inner parts drawn after it.
  Paint(m, shape, kHat, {kBackground, kSkin, kNose, kEyeGlasses, kLeftEar, kRightEar, kHair, kCloth, kNeck});
  return true;
}

bool AddEarrings(cv::Mat* m, const Face& f, Rng& rng) {
  const double fw = f.face.w();
  const int r = std::max(2, static_cast<int>(std::lround(fw * rng.Uniform(0.025, 0.04))));
  cv::Mat shape = cv::Mat::zeros(m->size(), CV_8UC1);
  bool any = false;
  for (int c : {kLeftEar, kRightEar}) {
    const LabelBox& ear = f.cls[c];
    if (ear.empty()) continue;
    cv::circle(shape, cv::Point(static_cast<int>(ear.cx()), ear.y1 + r), r, cv::Scalar(255), cv::FILLED);
    any = true;
  }
  if (!any) {
    // No visible ear: hang one at each side of the face, at the height of the nose tip.
    LabelBox nose = f.cls[kNose];
    int y = nose.empty() ? static_cast<int>(f.face.cy()) : nose.y1;
    cv::circle(shape, cv::Point(f.face.x0, y + r), r, cv::Scalar(255), cv::FILLED);
    cv::circle(shape, cv::Point(f.face.x1, y + r), r, cv::Scalar(255), cv::FILLED);
  }
  Paint(m, shape, kEarring, {kBackground, kSkin, kLeftEar, kRightEar, kHair, kNeck, kCloth});
  return true;
}

// Forehead region right above the brows (the band DeriveAttributes looks at, and more).
bool ForeheadBand(const Face& f, int* y0, int* y1, int* x0, int* x1) {
  LabelBox brows = Union(f.cls[kLeftBrow], f.cls[kRightBrow]);
  if (!brows.empty() && brows.w() > 4) {
    int band = std::max(2, (brows.x1 - brows.x0) / 6);
    *y1 = brows.y0;
    *y0 = brows.y0 - 3 * band;
    *x0 = brows.x0 - band;
    *x1 = brows.x1 + band;
    return true;
  }
  LabelBox eyes = Union(f.cls[kLeftEye], f.cls[kRightEye]);
  if (eyes.empty() || eyes.w() <= 4) return false;
  int span = eyes.w();
  *y1 = eyes.y0 - span / 12;
  *y0 = eyes.y0 - span / 3 - span / 4;
  *x0 = eyes.x0;
  *x1 = eyes.x1;
  return true;
}

bool AddBangs(cv::Mat* m, const Face& f, Rng& rng) {
  int y0, y1, x0, x1;
  if (!ForeheadBand(f, &y0, &y1, &x0, &x1)) return false;
  y0 = std::max(0, std::min(y0, f.head.y0));
  cv::Mat shape = cv::Mat::zeros(m->size(), CV_8UC1);
  const double wave = (y1 - y0) * 0.08 + 1;
  const double phase = rng.Uniform(0, 6.28), freq = rng.Uniform(0.15, 0.35);
  for (int x = std::max(0, x0); x <= std::min(m->cols - 1, x1); ++x) {
    int bottom = y1 - static_cast<int>(wave * (1 + std::sin(phase + freq * x)));
    for (int y = std::max(0, y0); y <= std::min(m->rows - 1, bottom); ++y) shape.at<uint8_t>(y, x) = 255;
  }
  Paint(m, shape, kHair, {kSkin});
  return true;
}

bool RemoveBangs(cv::Mat* m, const Face& f) {
  int y0, y1, x0, x1;
  if (!ForeheadBand(f, &y0, &y1, &x0, &x1)) return false;
  cv::Mat shape = cv::Mat::zeros(m->size(), CV_8UC1);
  cv::rectangle(shape, cv::Point(x0, y0), cv::Point(x1, y1 - 1), cv::Scalar(255), cv::FILLED);
  Paint(m, shape, kSkin, {kHair});
  return true;
}

}  // namespace

bool CanEditTowards(int domain) {
  int a = domain / 2;
  return domain >= 0 && domain < kNumDomains &&
         (a == kAttrEyeglasses || a == kAttrBangs || a == kAttrEarrings || a == kAttrHat);
}

bool EditTowardsDomain(cv::Mat* labels, int domain, uint64_t seed) {
  if (!labels || labels->empty() || labels->type() != CV_8UC1 || !CanEditTowards(domain)) return false;
  const int attribute = domain / 2, choice = domain % 2;
  AttributeTargets now = DeriveAttributes(*labels);
  if (!now.known(kAttrEyeglasses)) return false;  // no face to edit
  if (now.value[attribute] == choice) return true;
  Face f = Measure(*labels);
  Rng rng(HashSeed(seed, static_cast<uint64_t>(domain), 0xED17u));
  cv::Mat edited = labels->clone();
  bool ok = false;
  switch (attribute) {
    case kAttrEyeglasses:
      if (choice) ok = AddEyeglasses(&edited, f, rng);
      else ok = (edited.setTo(kSkin, edited == kEyeGlasses), true);  // lenses show the skin below
      break;
    case kAttrHat:
      if (choice) ok = AddHat(&edited, f, rng);
      else ok = (edited.setTo(kHair, edited == kHat), true);  // the hat hid hair
      break;
    case kAttrEarrings:
      if (choice) ok = AddEarrings(&edited, f, rng);
      else ok = (FillFromNeighbours(&edited, kEarring), true);
      break;
    case kAttrBangs:
      ok = choice ? AddBangs(&edited, f, rng) : RemoveBangs(&edited, f);
      break;
    default:
      break;
  }
  if (!ok) return false;
  if (DeriveAttributes(edited).value[attribute] != choice) return false;  // could not reach the domain
  *labels = edited;
  return true;
}

}  // namespace smile::training
