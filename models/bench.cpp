#include "models/bench.h"

#include <algorithm>
#include <map>
#include <memory>

#include <cstdio>

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "models/bench_collector.h"
#include "models/config.h"
#include "models/manip.h"
#include "models/parser_net.h"
#include "models/runtime.h"
#include "models/synthesis.h"
#include "models/synthesis_fast.h"

namespace smile::models {

std::vector<std::string> BenchNetworkNames() {
  return {"generator",       "generator_fast",      "generator_fast_cl", "generator_bf16",
          "style_encoder",   "mapping",             "discriminator",     "manip_generator",
          "manip_style_encoder", "manip_mapping",   "manip_discriminator", "parser"};
}

namespace {

Result<torch::Tensor> ResizeBenchLabels(const ModelBenchOptions& o, int64_t s, int num_classes) {
  if (o.mask_width <= 0 || o.mask_height <= 0 ||
      o.mask_labels.size() != static_cast<size_t>(o.mask_width) * static_cast<size_t>(o.mask_height))
    return InvalidArgument("label map '" + o.mask_name + "': " + std::to_string(o.mask_labels.size()) +
                           " labels do not fill " + std::to_string(o.mask_width) + "x" + std::to_string(o.mask_height));
  const int mx = *std::max_element(o.mask_labels.begin(), o.mask_labels.end());
  if (mx >= num_classes)
    return InvalidArgument("label map '" + o.mask_name + "' has class " + std::to_string(mx) +
                           "; expected indices below " + std::to_string(num_classes));
  auto m = torch::from_blob(const_cast<uint8_t*>(o.mask_labels.data()), {1, 1, o.mask_height, o.mask_width}, torch::kUInt8)
               .to(torch::kFloat32);
  m = torch::nn::functional::interpolate(
      m, torch::nn::functional::InterpolateFuncOptions().size(std::vector<int64_t>{s, s}).mode(torch::kNearest));
  return m[0].to(torch::kLong).contiguous();
}

// Share of pixels whose 5x5 window mixes classes (or lies in the 2-pixel frame).
double BoundaryShare(const torch::Tensor& labels) {
  auto lab = labels.to(torch::kFloat32).unsqueeze(1);
  auto mx = torch::max_pool2d(lab, {5, 5}, {1, 1}, {2, 2});
  auto mn = -torch::max_pool2d(-lab, {5, 5}, {1, 1}, {2, 2});
  auto mixed = (mx != mn)[0][0];
  const int64_t s = mixed.size(0);
  mixed.narrow(0, 0, 2).fill_(true);
  mixed.narrow(0, s - 2, 2).fill_(true);
  mixed.narrow(1, 0, 2).fill_(true);
  mixed.narrow(1, s - 2, 2).fill_(true);
  return mixed.to(torch::kFloat32).mean().item<double>();
}

torch::Tensor BenchLabels(int64_t s) {
  auto y = torch::arange(s, torch::kLong).view({s, 1}).expand({s, s});
  auto x = torch::arange(s, torch::kLong).view({1, s}).expand({s, s});
  // a face-like layout: background, skin disc, hair band, a few small parts
  auto labels = torch::zeros({s, s}, torch::kLong);
  auto r2 = (x - s / 2).pow(2) + (y - s / 2).pow(2);
  labels.masked_fill_(r2 < (s * s) / 9, 1);
  labels.masked_fill_((y < s / 4) & (r2 < (s * s) / 5), 13);
  labels.masked_fill_(((y - s / 2).abs() < s / 40) & (((x - s / 2).abs() - s / 8).abs() < s / 20), 4);
  labels.masked_fill_(((y - 2 * s / 3).abs() < s / 50) & ((x - s / 2).abs() < s / 10), 11);
  return labels.unsqueeze(0);
}

struct Case {
  std::string network;
  int image_size = 0;
  int64_t params = 0;
  double max_abs_diff = -1;
  double boundary_share = -1;
  std::function<void()> run;
};

}  // namespace

Result<std::vector<ModelBenchRow>> BenchSynthesisModels(const ModelBenchOptions& o,
                                                        const std::function<void(const ModelBenchRow&)>& on_row) {
  InitTorchRuntime(o.threads);
  SMILE_ASSIGN_OR_RETURN(DeviceChoice device_choice, ChooseDevice(o.device));
  const torch::Device device(device_choice.name);
  const bool cuda = device_choice.cuda;
  const auto known = BenchNetworkNames();
  for (const auto& n : o.networks)
    if (std::find(known.begin(), known.end(), n) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return InvalidArgument("unknown network '" + n + "'; choose from " + list);
    }
  std::vector<ModelConfig> configs;
  for (const auto& name : o.configs) {
    SMILE_ASSIGN_OR_RETURN(ModelConfig cfg, ModelConfig::Preset(name));
    configs.push_back(cfg);
  }
  auto wants = [&](const std::string& n) {
    return std::find(o.networks.begin(), o.networks.end(), n) != o.networks.end();
  };
  std::vector<ModelBenchRow> rows;
  torch::NoGradGuard ng;
  for (const auto& cfg : configs) {
    torch::manual_seed(0);
    std::vector<Case> cases;
    const int s = cfg.image_size;
    auto labels_at = [&](int64_t size) -> Result<torch::Tensor> {
      if (o.mask_labels.empty()) return BenchLabels(size);
      return ResizeBenchLabels(o, size, cfg.num_classes);
    };
    SMILE_ASSIGN_OR_RETURN(auto labels, labels_at(s));
    auto mask = OneHotMask(labels, cfg.num_classes).to(device);
    const double boundary = BoundaryShare(labels);
    SynthesisMapping mapping(cfg);
    mapping->eval();
    mapping->to(device);
    auto style = mapping->Sample(1, device);
    SynthesisGenerator g{nullptr};
    std::vector<torch::Tensor> noise;
    torch::Tensor plain;
    if (wants("generator") || wants("generator_fast") || wants("generator_fast_cl") || wants("generator_bf16")) {
      g = SynthesisGenerator(cfg);
      g->eval();
      g->to(device);
      noise = g->MakeNoise(0);
      for (auto& n : noise) n = n.to(device);
      plain = g->forward(mask, style, noise);
      const int64_t params = CountParameters(*g);
      if (wants("generator")) cases.push_back({"generator", s, params, -1, -1, [&] { (void)g->forward(mask, style, noise); }});
      for (const char* variant : {"generator_fast", "generator_fast_cl", "generator_bf16"}) {
        if (!wants(variant)) continue;
        const std::string v = variant;
        auto fast = std::make_shared<FastSynthesisGenerator>(
            g, /*channels_last=*/v != "generator_fast", v == "generator_bf16" ? torch::kBFloat16 : torch::kFloat32);
        fast->SetStyle(style);
        const double diff = (fast->Forward(mask, noise) - plain).abs().max().item<double>();
        cases.push_back({v, s, params, diff, boundary, [fast, &mask, &noise] { (void)fast->Forward(mask, noise); }});
      }
    }
    auto rgb = (torch::rand({1, 3, s, s}) * 2 - 1).to(device);
    SynthesisStyleEncoder enc{nullptr};
    if (wants("style_encoder")) {
      enc = SynthesisStyleEncoder(cfg);
      enc->eval();
      enc->to(device);
      cases.push_back({"style_encoder", s, CountParameters(*enc), -1, -1, [&] { (void)enc->forward(rgb, mask); }});
    }
    if (wants("mapping"))
      cases.push_back({"mapping", s, CountParameters(*mapping), -1, -1, [&] { (void)mapping->Sample(1, device); }});
    SynthesisDiscriminator d{nullptr};
    if (wants("discriminator")) {
      d = SynthesisDiscriminator(cfg);
      d->eval();
      d->to(device);
      cases.push_back({"discriminator", s, CountParameters(*d), -1, -1, [&] { (void)d->forward(rgb); }});
    }
    // Manipulation stage (mask -> mask at manip_size).
    const int ms = cfg.manip_size;
    SMILE_ASSIGN_OR_RETURN(auto mlabels, labels_at(ms));
    auto mmask = OneHotMask(mlabels, cfg.num_classes).to(device);
    auto choices = torch::zeros({1, 6}, torch::TensorOptions().dtype(torch::kLong).device(device));
    ManipMapping mmap{nullptr};
    torch::Tensor mstyle;
    if (wants("manip_generator") || wants("manip_mapping")) {
      mmap = ManipMapping(cfg);
      mmap->eval();
      mmap->to(device);
      mstyle = mmap->Style(torch::randn({1, cfg.manip_latent_dim}, torch::TensorOptions().device(device)), choices);
    }
    ManipGenerator mg{nullptr};
    if (wants("manip_generator")) {
      mg = ManipGenerator(cfg);
      mg->eval();
      mg->to(device);
      cases.push_back({"manip_generator", ms, CountParameters(*mg), -1, -1, [&] { (void)mg->forward(mmask, mstyle); }});
    }
    ManipStyleEncoder mse{nullptr};
    if (wants("manip_style_encoder")) {
      mse = ManipStyleEncoder(cfg);
      mse->eval();
      mse->to(device);
      cases.push_back({"manip_style_encoder", ms, CountParameters(*mse), -1, -1, [&] { (void)mse->Style(mmask, choices); }});
    }
    if (wants("manip_mapping")) {
      auto z = torch::randn({1, cfg.manip_latent_dim}, torch::TensorOptions().device(device));
      cases.push_back({"manip_mapping", ms, CountParameters(*mmap), -1, -1, [&, z] { (void)mmap->Style(z, choices); }});
    }
    ManipDiscriminator md{nullptr};
    if (wants("manip_discriminator")) {
      md = ManipDiscriminator(cfg);
      md->eval();
      md->to(device);
      cases.push_back({"manip_discriminator", ms, CountParameters(*md), -1, -1, [&] { (void)md->forward(mmask); }});
    }
    ParserNet parser{nullptr};
    auto prgb = (torch::rand({1, 3, cfg.parser_size, cfg.parser_size}) * 2 - 1).to(device);
    if (wants("parser")) {
      parser = ParserNet(cfg);
      parser->eval();
      parser->to(device);
      cases.push_back({"parser", cfg.parser_size, CountParameters(*parser), -1, -1, [&] { (void)parser->forward(prgb); }});
    }

    // One Google Benchmark per network: warm-up runs first, then `iterations` repetitions of
    // one image each, wall time (the networks use all intra-op threads). On a GPU each run waits
    // for its kernels, so the time is the image's latency.
    benchmark::ClearRegisteredBenchmarks();
    for (auto& c : cases) {
      for (int i = 0; i < o.warmup; ++i) c.run();
      if (cuda) torch::cuda::synchronize();
      benchmark::RegisterBenchmark(c.network.c_str(),
                                   [&c, cuda](benchmark::State& state) {
                                     for (auto _ : state) {
                                       try {
                                         c.run();
                                         if (cuda) torch::cuda::synchronize();
                                       } catch (const std::exception& e) {
                                         state.SkipWithError(e.what());
                                         break;
                                       }
                                     }
                                   })
          ->Iterations(1)
          ->Repetitions(std::max(1, o.iterations))
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
    BenchCollector collector;
    benchmark::RunSpecifiedBenchmarks(&collector);
    benchmark::ClearRegisteredBenchmarks();
    double plain_s = 0;
    for (const auto& c : cases) {
      if (auto e = collector.errors.find(c.network); e != collector.errors.end())
        return Internal("bench " + c.network + " (" + cfg.preset + "): " + e->second);
      auto t = collector.seconds[c.network];
      if (t.empty()) return Internal("bench " + c.network + " (" + cfg.preset + ") reported no run");
      std::sort(t.begin(), t.end());
      ModelBenchRow r;
      r.network = c.network;
      r.config = cfg.preset;
      r.device = device_choice.name;
      r.image_size = c.image_size;
      r.params = c.params;
      r.seconds_per_image = t[t.size() / 2];
      r.min_seconds = t.front();
      r.iterations = static_cast<int>(t.size());
      r.max_abs_diff = c.max_abs_diff;
      r.boundary_share = c.boundary_share;
      if (c.network == "generator") plain_s = r.seconds_per_image;
      if (c.max_abs_diff >= 0 && plain_s > 0) r.speedup = plain_s / r.seconds_per_image;
      if (on_row) on_row(r);
      rows.push_back(r);
    }
  }
  return rows;
}

std::string BenchTableHeader() {
  char buf[160];
  std::snprintf(buf, sizeof(buf), "%-20s %-9s %-7s %5s %12s %10s %10s %8s %s", "network", "config", "device", "size",
                "params", "s/image", "min s", "vs plain", "note");
  return buf;
}

std::string FormatBenchRow(const ModelBenchRow& r) {
  std::string note;
  if (r.max_abs_diff >= 0) {
    char buf[96];
    std::snprintf(buf, sizeof(buf), "max |fast - plain| = %.2e, boundary %.0f%%", r.max_abs_diff, 100 * r.boundary_share);
    note = buf;
  }
  char ratio[32] = "";
  if (r.speedup > 0) std::snprintf(ratio, sizeof(ratio), "%.2fx", r.speedup);
  char line[320];
  std::snprintf(line, sizeof(line), "%-20s %-9s %-7s %5d %12lld %10.4f %10.4f %8s %s", r.network.c_str(),
                r.config.c_str(), r.device.c_str(), r.image_size, static_cast<long long>(r.params), r.seconds_per_image,
                r.min_seconds, ratio, note.c_str());
  return line;
}

}  // namespace smile::models
