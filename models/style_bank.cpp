#include "models/style_bank.h"

#include <sstream>

#include "core/face_labels.h"

namespace smile::models {
namespace {

// Class groups chosen independently: expression parts first, then everything else.
std::vector<std::vector<int64_t>> ClassGroups(int64_t num_classes) {
  std::vector<int64_t> eyes = {kLBrow, kRBrow, kLEye, kREye, kEyeG};
  std::vector<int64_t> mouth = {kMouth, kULip, kLLip};
  std::vector<int64_t> rest;
  for (int64_t c = 0; c < num_classes; ++c)
    if (std::find(eyes.begin(), eyes.end(), c) == eyes.end() && std::find(mouth.begin(), mouth.end(), c) == mouth.end())
      rest.push_back(c);
  std::vector<std::vector<int64_t>> groups;
  for (auto* g : {&eyes, &mouth}) {
    std::vector<int64_t> in_range;
    for (int64_t c : *g)
      if (c < num_classes) in_range.push_back(c);
    if (!in_range.empty()) groups.push_back(in_range);
  }
  groups.push_back(rest);
  return groups;
}

}  // namespace

torch::Tensor StyleBankKeys(const torch::Tensor& onehot) {
  return torch::adaptive_avg_pool2d(onehot.to(torch::kFloat), {kStyleBankKeySize, kStyleBankKeySize});
}

torch::Tensor StyleBank::Select(const torch::Tensor& onehot) const {
  torch::NoGradGuard no_grad;
  const int64_t c = styles.size(1);
  auto query = StyleBankKeys(onehot.to(styles.device()))[0];  // (C,h,w)
  auto out = torch::empty({1, c, styles.size(2)}, styles.options());
  const int64_t n = std::min<int64_t>(std::max(1, neighbours), styles.size(0));
  for (const auto& group : ClassGroups(c)) {
    auto idx = torch::tensor(group, torch::kLong);
    auto q = query.index_select(0, idx).reshape({1, -1});
    auto k = keys.index_select(1, idx).reshape({keys.size(0), -1});
    auto d = (k - q).pow(2).sum(1);  // (K)
    auto [dist, nearest] = d.topk(n, 0, /*largest=*/false);
    // Inverse-distance weights; the floor keeps an exact match from taking all the weight of
    // near-ties (and avoids 1/0).
    auto w = 1.0 / (dist + 1e-3 + 0.05 * dist.mean());
    w = w / w.sum();
    auto chosen = styles.index_select(0, nearest).index_select(1, idx);  // (n,G,D)
    out[0].index_copy_(0, idx, (chosen * w.view({n, 1, 1})).sum(0));
  }
  return out;
}

std::string SerializeStyleBank(const StyleBank& bank) {
  std::ostringstream os;
  std::vector<torch::Tensor> parts = {bank.styles.contiguous(), bank.keys.contiguous(),
                                      torch::tensor({static_cast<int64_t>(bank.neighbours)})};
  torch::save(parts, os);
  return os.str();
}

Result<StyleBank> ParseStyleBank(const std::string& bytes, int64_t num_classes, int64_t style_dim) {
  std::vector<torch::Tensor> parts;
  try {
    std::istringstream is(bytes);
    torch::load(parts, is);
  } catch (const std::exception& e) {
    return Corrupt(std::string("style bank section does not parse: ") + e.what());
  }
  if (parts.size() != 3 || parts[0].dim() != 3 || parts[1].dim() != 4 || parts[0].size(0) != parts[1].size(0) ||
      parts[0].size(1) != num_classes || parts[0].size(2) != style_dim || parts[1].size(1) != num_classes ||
      parts[1].size(2) != kStyleBankKeySize || parts[1].size(3) != kStyleBankKeySize || parts[2].numel() != 1)
    return Corrupt("style bank section has the wrong shapes for this model");
  if (!torch::isfinite(parts[0]).all().item<bool>() || !torch::isfinite(parts[1]).all().item<bool>())
    return Corrupt("style bank holds NaN or Inf values");
  StyleBank bank;
  bank.styles = parts[0].to(torch::kFloat);
  bank.keys = parts[1].to(torch::kFloat);
  bank.neighbours = static_cast<int>(std::clamp<int64_t>(parts[2].item<int64_t>(), 1, 64));
  return bank;
}

}  // namespace smile::models
