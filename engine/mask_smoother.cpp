#include "engine/mask_smoother.h"

#include <opencv2/imgproc.hpp>

namespace smile::engine {

bool IsLandmarkClass(int c) {
  switch (c) {
    case kNose: case kEyeG: case kLEye: case kREye: case kLBrow: case kRBrow: case kMouth: case kULip: case kLLip:
      return true;
    default:
      return false;
  }
}

void MaskSmoother::Reset() {
  state_.clear();
  labels_.release();
  track_id_ = -1;
}

ParseResult MaskSmoother::Update(const ParseResult& cur, int track_id, const cv::Matx23d* prev_to_cur) {
  std::vector<cv::Mat> probs = cur.probs.empty() ? OneHot(cur.labels) : cur.probs;
  const cv::Size size = cur.labels.size();
  if (track_id != track_id_ || state_.size() != probs.size() || state_.empty() || state_[0].size() != size) {
    track_id_ = track_id;
    state_.clear();
    for (auto& p : probs) state_.push_back(p.clone());
    labels_ = cur.labels.clone();
    ParseResult r = cur;
    r.probs = state_;
    return r;
  }
  if (prev_to_cur && o_.compensate_background) {
    const cv::Matx23d& m = *prev_to_cur;
    const double motion = std::abs(m(0, 2)) + std::abs(m(1, 2)) + size.width * (std::abs(m(0, 0) - 1) + std::abs(m(0, 1)));
    if (motion > 0.25) {  // moved by more than a quarter pixel
      cv::Mat bg_state, bg_labels;
      cv::warpAffine(state_[kBackground], bg_state, cv::Mat(m), size, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
      state_[kBackground] = bg_state;
    }
  }
  cv::Mat sum = cv::Mat::zeros(size, CV_32F);
  for (size_t c = 0; c < probs.size(); ++c) {
    const double a = IsLandmarkClass(static_cast<int>(c)) ? o_.alpha_parts : o_.alpha_evidence;
    cv::addWeighted(probs[c], a, state_[c], 1 - a, 0, state_[c]);
    sum += state_[c];
  }
  sum = cv::max(sum, 1e-12);
  for (auto& s : state_) cv::divide(s, sum, s);
  // Argmax with hysteresis against the previous labels.
  cv::Mat labels(size, CV_8U);
  const int n = static_cast<int>(state_.size());
  std::vector<const float*> rows(n);
  for (int y = 0; y < size.height; ++y) {
    for (int c = 0; c < n; ++c) rows[c] = state_[c].ptr<float>(y);
    const uint8_t* prev = labels_.ptr<uint8_t>(y);
    uint8_t* out = labels.ptr<uint8_t>(y);
    for (int x = 0; x < size.width; ++x) {
      int best = 0;
      float bv = -1;
      for (int c = 0; c < n; ++c)
        if (rows[c][x] > bv) bv = rows[c][x], best = c;
      const int p = prev[x];
      // Landmark classes switch at once (they are not smoothed); others need the margin.
      const bool keep = best != p && !IsLandmarkClass(best) && !IsLandmarkClass(p) &&
                        rows[best][x] < rows[p][x] + o_.hysteresis;
      out[x] = static_cast<uint8_t>(keep ? p : best);
    }
  }
  labels_ = labels;
  ParseResult r;
  r.labels = labels.clone();
  r.probs = state_;
  r.has_eyeglasses = cur.has_eyeglasses;
  for (auto& p : r.probs) p = p.clone();
  return r;
}

}  // namespace smile::engine
