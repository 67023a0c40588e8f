#include "models/bench.h"

#include <algorithm>
#include <chrono>

#include <torch/torch.h>

#include "models/config.h"
#include "models/runtime.h"
#include "models/synthesis.h"
#include "models/synthesis_fast.h"

namespace smile::models {

std::vector<std::string> BenchNetworkNames() {
  return {"generator", "generator_fast", "generator_fast_cl", "generator_bf16", "style_encoder", "mapping",
          "discriminator"};
}

namespace {

template <typename Fn>
void Time(const ModelBenchOptions& o, Fn&& fn, ModelBenchRow* row) {
  for (int i = 0; i < o.warmup; ++i) fn();
  std::vector<double> t;
  for (int i = 0; i < std::max(1, o.iterations); ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  row->seconds_per_image = t[t.size() / 2];
  row->min_seconds = t.front();
  row->iterations = static_cast<int>(t.size());
}

torch::Tensor BenchMask(const ModelConfig& cfg) {
  const int64_t s = cfg.image_size;
  auto y = torch::arange(s, torch::kLong).view({s, 1}).expand({s, s});
  auto x = torch::arange(s, torch::kLong).view({1, s}).expand({s, s});
  // a face-like layout: background, skin disc, hair band, a few small parts
  auto labels = torch::zeros({s, s}, torch::kLong);
  auto r2 = (x - s / 2).pow(2) + (y - s / 2).pow(2);
  labels.masked_fill_(r2 < (s * s) / 9, 1);
  labels.masked_fill_((y < s / 4) & (r2 < (s * s) / 5), 13);
  labels.masked_fill_((y - s / 2).abs() < s / 40 & ((x - s / 2).abs() - s / 8).abs() < s / 20, 4);
  labels.masked_fill_((y - 2 * s / 3).abs() < s / 50 & (x - s / 2).abs() < s / 10, 11);
  return OneHotMask(labels.unsqueeze(0), cfg.num_classes);
}

}  // namespace

Result<std::vector<ModelBenchRow>> BenchSynthesisModels(const ModelBenchOptions& o,
                                                        const std::function<void(const ModelBenchRow&)>& on_row) {
  InitTorchRuntime(o.threads);
  const auto known = BenchNetworkNames();
  for (const auto& n : o.networks)
    if (std::find(known.begin(), known.end(), n) == known.end())
      return InvalidArgument("unknown network '" + n + "'; choose from generator, generator_fast, generator_fast_cl, "
                             "generator_bf16, "
                             "style_encoder, mapping, discriminator");
  auto wants = [&](const std::string& n) {
    return std::find(o.networks.begin(), o.networks.end(), n) != o.networks.end();
  };
  std::vector<ModelBenchRow> rows;
  torch::NoGradGuard ng;
  for (const auto& name : o.configs) {
    SMILE_ASSIGN_OR_RETURN(ModelConfig cfg, ModelConfig::Preset(name));
    torch::manual_seed(0);
    auto emit = [&](ModelBenchRow r) {
      r.config = name;
      r.image_size = cfg.image_size;
      if (on_row) on_row(r);
      rows.push_back(r);
    };
    auto mask = BenchMask(cfg);
    SynthesisMapping mapping(cfg);
    mapping->eval();
    auto style = mapping->Sample(1);
    if (wants("generator") || wants("generator_fast") || wants("generator_fast_cl") || wants("generator_bf16")) {
      SynthesisGenerator g(cfg);
      g->eval();
      auto noise = g->MakeNoise(0);
      torch::Tensor plain;
      if (wants("generator")) {
        ModelBenchRow r;
        r.network = "generator";
        r.params = CountParameters(*g);
        Time(o, [&] { plain = g->forward(mask, style, noise); }, &r);
        emit(r);
      }
      for (const char* variant : {"generator_fast", "generator_fast_cl", "generator_bf16"}) {
        if (!wants(variant)) continue;
        ModelBenchRow r;
        r.network = variant;
        r.params = CountParameters(*g);
        FastSynthesisGenerator fast(g, /*channels_last=*/r.network == "generator_fast_cl",
                                    r.network == "generator_bf16" ? torch::kBFloat16 : torch::kFloat32);
        fast.SetStyle(style);
        torch::Tensor out;
        Time(o, [&] { out = fast.Forward(mask, noise); }, &r);
        if (!plain.defined()) plain = g->forward(mask, style, noise);
        r.max_abs_diff = (out - plain).abs().max().item<double>();
        emit(r);
      }
    }
    if (wants("style_encoder")) {
      SynthesisStyleEncoder e(cfg);
      auto rgb = torch::rand({1, 3, cfg.image_size, cfg.image_size}) * 2 - 1;
      ModelBenchRow r;
      r.network = "style_encoder";
      r.params = CountParameters(*e);
      Time(o, [&] { (void)e->forward(rgb, mask); }, &r);
      emit(r);
    }
    if (wants("mapping")) {
      ModelBenchRow r;
      r.network = "mapping";
      r.params = CountParameters(*mapping);
      Time(o, [&] { (void)mapping->Sample(1); }, &r);
      emit(r);
    }
    if (wants("discriminator")) {
      SynthesisDiscriminator d(cfg);
      auto rgb = torch::rand({1, 3, cfg.image_size, cfg.image_size}) * 2 - 1;
      ModelBenchRow r;
      r.network = "discriminator";
      r.params = CountParameters(*d);
      Time(o, [&] { (void)d->forward(rgb); }, &r);
      emit(r);
    }
  }
  return rows;
}

}  // namespace smile::models
