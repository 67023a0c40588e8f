#include "training/augment.h"

#include <algorithm>
#include <cstdio>

#include <opencv2/imgproc.hpp>

#include "training/labels.h"
#include "training/rng.h"

namespace smile::training {

std::string AugmentParams::ToString() const {
  char buf[160];
  std::snprintf(buf, sizeof(buf), "flip=%d scale=%.4f rot=%.3f tx=%.4f ty=%.4f", flip ? 1 : 0, scale, rotation_deg,
                tx, ty);
  return buf;
}

AugmentParams DrawAugmentParams(const AugmentOptions& o, uint64_t seed) {
  AugmentParams p;
  if (!o.enabled) return p;
  Rng rng(seed);
  p.flip = rng.Uniform() < o.flip_probability;
  if (o.max_scale > 0) p.scale = rng.Uniform(1.0 - o.max_scale, 1.0 + o.max_scale);
  if (o.max_rotation_deg > 0) p.rotation_deg = rng.Uniform(-o.max_rotation_deg, o.max_rotation_deg);
  if (o.max_translation > 0) {
    p.tx = rng.Uniform(-o.max_translation, o.max_translation);
    p.ty = rng.Uniform(-o.max_translation, o.max_translation);
  }
  return p;
}

cv::Mat FlipLabels(const cv::Mat& labels) {
  CV_Assert(labels.type() == CV_8UC1);
  cv::Mat lut(1, 256, CV_8UC1);
  for (int i = 0; i < 256; ++i) lut.at<uint8_t>(i) = MirrorLabel(static_cast<uint8_t>(i));
  cv::Mat flipped, out;
  cv::flip(labels, flipped, 1);
  cv::LUT(flipped, lut, out);
  return out;
}

cv::Mat FlipImage(const cv::Mat& image) {
  cv::Mat out;
  cv::flip(image, out, 1);
  return out;
}

namespace {
cv::Rect CentreSquare(const cv::Size& s) {
  int side = std::min(s.width, s.height);
  return cv::Rect((s.width - side) / 2, (s.height - side) / 2, side, side);
}
}  // namespace

void ApplyAugment(const cv::Mat& image, const cv::Mat& labels, const AugmentParams& p, int size, cv::Mat* out_image,
                  cv::Mat* out_labels) {
  cv::Mat img = image(CentreSquare(image.size()));
  cv::Mat lab = labels(CentreSquare(labels.size()));
  cv::Mat ri, rl;
  cv::resize(img, ri, cv::Size(size, size), 0, 0, img.cols > size ? cv::INTER_AREA : cv::INTER_LINEAR);
  cv::resize(lab, rl, cv::Size(size, size), 0, 0, cv::INTER_NEAREST);
  if (p.flip) {
    ri = FlipImage(ri);
    rl = FlipLabels(rl);
  }
  if (p.HasAffine()) {
    cv::Point2f centre(size * 0.5f - 0.5f, size * 0.5f - 0.5f);
    cv::Mat m = cv::getRotationMatrix2D(centre, p.rotation_deg, p.scale);
    m.at<double>(0, 2) += p.tx * size;
    m.at<double>(1, 2) += p.ty * size;
    cv::Mat wi, wl;
    cv::warpAffine(ri, wi, m, ri.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    cv::warpAffine(rl, wl, m, rl.size(), cv::INTER_NEAREST, cv::BORDER_REPLICATE);
    ri = wi;
    rl = wl;
  }
  *out_image = ri;
  *out_labels = rl;
}

}  // namespace smile::training
