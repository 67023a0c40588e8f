#include "engine/metrics.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace smile::engine {

void ConfusionMatrix::Add(const cv::Mat& truth, const cv::Mat& pred) {
  CV_Assert(truth.size() == pred.size() && truth.type() == CV_8U && pred.type() == CV_8U);
  for (int y = 0; y < truth.rows; ++y) {
    const uint8_t* t = truth.ptr<uint8_t>(y);
    const uint8_t* p = pred.ptr<uint8_t>(y);
    for (int x = 0; x < truth.cols; ++x)
      if (t[x] < kNumLabels && p[x] < kNumLabels) ++m_[t[x]][p[x]];
  }
}

int64_t ConfusionMatrix::TruthCount(int c) const {
  int64_t s = 0;
  for (int j = 0; j < kNumLabels; ++j) s += m_[c][j];
  return s;
}

double ConfusionMatrix::IoU(int c) const {
  int64_t truth = TruthCount(c), pred = 0;
  for (int i = 0; i < kNumLabels; ++i) pred += m_[i][c];
  const int64_t inter = m_[c][c], uni = truth + pred - inter;
  return uni > 0 ? double(inter) / uni : -1.0;
}

double ConfusionMatrix::MeanIoUTruthClasses() const {
  double s = 0;
  int n = 0;
  for (int c = 0; c < kNumLabels; ++c)
    if (TruthCount(c) > 0) s += IoU(c), ++n;
  return n ? s / n : 0.0;
}

double ConfusionMatrix::MeanIoUAnyClasses() const {
  double s = 0;
  int n = 0;
  for (int c = 0; c < kNumLabels; ++c) {
    const double v = IoU(c);
    if (v >= 0) s += v, ++n;
  }
  return n ? s / n : 0.0;
}

double ConfusionMatrix::PixelAccuracy() const {
  int64_t ok = 0, all = 0;
  for (int i = 0; i < kNumLabels; ++i)
    for (int j = 0; j < kNumLabels; ++j) all += m_[i][j], ok += i == j ? m_[i][j] : 0;
  return all ? double(ok) / all : 0.0;
}

std::string ConfusionMatrix::Report() const {
  std::string out = "class        IoU   truth_px    pred_px\n";
  char buf[128];
  for (int c = 0; c < kNumLabels; ++c) {
    int64_t pred = 0;
    for (int i = 0; i < kNumLabels; ++i) pred += m_[i][c];
    const double v = IoU(c);
    if (v < 0) continue;
    std::snprintf(buf, sizeof(buf), "%-10s %5.3f %10lld %10lld\n", LabelName(c), v,
                  static_cast<long long>(TruthCount(c)), static_cast<long long>(pred));
    out += buf;
  }
  std::snprintf(buf, sizeof(buf), "mean IoU (truth classes) %.3f, (any class) %.3f, pixel accuracy %.3f\n",
                MeanIoUTruthClasses(), MeanIoUAnyClasses(), PixelAccuracy());
  return out + buf;
}

double LabelFlicker(const cv::Mat& a, const cv::Mat& b, const cv::Mat& region) {
  CV_Assert(a.size() == b.size() && a.type() == CV_8U && b.type() == CV_8U);
  int64_t n = 0, changed = 0;
  for (int y = 0; y < a.rows; ++y) {
    const uint8_t* pa = a.ptr<uint8_t>(y);
    const uint8_t* pb = b.ptr<uint8_t>(y);
    const uint8_t* pr = region.empty() ? nullptr : region.ptr<uint8_t>(y);
    for (int x = 0; x < a.cols; ++x) {
      const bool in = pr ? pr[x] != 0 : (pa[x] != kBackground || pb[x] != kBackground);
      if (!in) continue;
      ++n;
      changed += pa[x] != pb[x];
    }
  }
  return n ? double(changed) / n : 0.0;
}

int EstimateLag(const std::vector<double>& ref, const std::vector<double>& del, int max_lag) {
  int best = 0;
  double best_err = std::numeric_limits<double>::max();
  const int n = static_cast<int>(std::min(ref.size(), del.size()));
  for (int lag = 0; lag <= max_lag && lag < n; ++lag) {
    double err = 0;
    int cnt = 0;
    for (int i = lag; i < n; ++i) err += std::fabs(del[i] - ref[i - lag]), ++cnt;
    if (cnt && err / cnt < best_err - 1e-12) best_err = err / cnt, best = lag;
  }
  return best;
}

int64_t CountLabels(const cv::Mat& labels, std::initializer_list<int> which) {
  int64_t n = 0;
  for (int c : which) n += cv::countNonZero(labels == c);
  return n;
}

}  // namespace smile::engine
