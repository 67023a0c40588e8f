#include "training/seg_metrics.h"

namespace smile::training {

double MeanIoUPresent(const torch::Tensor& pred, const torch::Tensor& truth, int num_classes) {
  TORCH_CHECK(pred.sizes() == truth.sizes(), "MeanIoUPresent: shapes differ");
  auto p = pred.to(torch::kCPU).to(torch::kLong).reshape({-1});
  auto t = truth.to(torch::kCPU).to(torch::kLong).reshape({-1});
  auto pc = torch::bincount(p, {}, num_classes), tc = torch::bincount(t, {}, num_classes);
  auto inter = torch::bincount(t.masked_select(p == t), {}, num_classes);
  double sum = 0;
  int present = 0;
  for (int c = 0; c < num_classes; ++c) {
    int64_t tn = tc[c].item<int64_t>();
    if (tn == 0) continue;
    int64_t i = inter[c].item<int64_t>(), u = tn + pc[c].item<int64_t>() - i;
    sum += static_cast<double>(i) / static_cast<double>(u);
    ++present;
  }
  return present ? sum / present : 0.0;
}

}  // namespace smile::training
