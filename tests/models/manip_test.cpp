// Manipulation stage networks: shapes, parameter counts of the paper
// configuration against the official code, determinism, gradient flow.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "models/attributes.h"
#include "models/config.h"
#include "models/manip.h"
#include "models/manip_heatmap.h"
#include "models/runtime.h"

namespace smile::models {
namespace {

ModelConfig Cfg(const std::string& name) {
  auto c = ModelConfig::Preset(name);
  EXPECT_TRUE(c.ok());
  return *c;
}

// One-hot mask (N,C,S,S) from integer labels (N,S,S).
torch::Tensor OneHot(const torch::Tensor& labels, int classes) {
  return torch::nn::functional::one_hot(labels.to(torch::kLong), classes).permute({0, 3, 1, 2}).to(torch::kFloat);
}

// A face-like synthetic label map: background, skin ellipse, hair cap, eyes, mouth.
torch::Tensor SyntheticLabels(int s) {
  torch::Tensor l = torch::zeros({1, s, s}, torch::kLong);
  auto a = l.accessor<int64_t, 3>();
  for (int y = 0; y < s; ++y)
    for (int x = 0; x < s; ++x) {
      double u = (x + 0.5) / s - 0.5, v = (y + 0.5) / s - 0.5;
      if (u * u / 0.12 + v * v / 0.18 < 1) a[0][y][x] = 1;
      if (v < -0.2 && u * u + v * v < 0.2) a[0][y][x] = 13;
      if (std::abs(v + 0.05) < 0.04 && std::abs(std::abs(u) - 0.12) < 0.05) a[0][y][x] = u < 0 ? 4 : 5;
      if (std::abs(v - 0.2) < 0.04 && std::abs(u) < 0.12) a[0][y][x] = 11;
      if (y > 0.85 * s) a[0][y][x] = 18;
    }
  return l;
}

// 2 threads unless SMILE_BENCH_THREADS says otherwise (on a loaded 2-core VM,
// 2 OpenMP threads can stall on each other; 1 thread gives steadier figures).
int BenchThreads() {
  const char* env = std::getenv("SMILE_BENCH_THREADS");
  return env ? std::max(1, std::atoi(env)) : 2;
}

TEST(ManipAttributes, DomainListAndStyleLayout) {
  EXPECT_EQ(kNumDomains, 12);
  EXPECT_EQ(kManipStyleDim, 144);
  int total = 0;
  for (int a = 0; a < kNumAttributes; ++a) {
    EXPECT_EQ(StyleOffset(a), total);
    total += kAttributeStyleDims[a];
  }
  EXPECT_EQ(total, kManipStyleDim);
  EXPECT_EQ(kDomainNames[DomainIndex(0, 0)], "Male");
  EXPECT_EQ(kDomainNames[DomainIndex(0, 1)], "Female");
  EXPECT_EQ(kDomainNames[DomainIndex(5, 1)], "Hat");
  EXPECT_EQ(FindDomain("eyeglasses"), 3);
  EXPECT_EQ(FindDomain("NOT_Bangs"), 6);
  EXPECT_FALSE(FindDomain("Moustache").has_value());
  EXPECT_EQ(FindAttribute("Wearing_Hat"), 5);
  EXPECT_EQ(FindAttribute("much_hair"), 2);
  EXPECT_EQ(DomainStyleDim(1), 64);
  EXPECT_EQ(DomainStyleDim(9), 16);
}

void CheckShapes(const ModelConfig& c, int64_t n) {
  torch::NoGradGuard ng;
  const int s = c.manip_size;
  ManipGenerator g(c);
  ManipMapping f(c);
  ManipStyleEncoder e(c);
  ManipDiscriminator d(c);
  torch::Tensor mask = torch::softmax(torch::randn({n, c.num_classes, s, s}), 1);
  torch::Tensor z = torch::randn({n, c.manip_latent_dim});
  torch::Tensor choices = torch::randint(0, 2, {n, kNumAttributes}, torch::kLong);
  auto heads = f->forward(z);
  ASSERT_EQ(heads.size(), static_cast<size_t>(kNumDomains));
  for (int i = 0; i < kNumDomains; ++i) EXPECT_EQ(heads[i].sizes(), (std::vector<int64_t>{n, DomainStyleDim(i)}));
  torch::Tensor style = AssembleStyle(heads, choices);
  EXPECT_EQ(style.sizes(), (std::vector<int64_t>{n, kManipStyleDim}));
  torch::Tensor hm = torch::rand({n, 2, s, s});
  torch::Tensor out = g->forward(mask, style, c.manip_landmark_skips ? hm : torch::Tensor());
  EXPECT_EQ(out.sizes(), mask.sizes());
  EXPECT_TRUE(torch::isfinite(out).all().item<bool>());
  auto eh = e->forward(mask);
  ASSERT_EQ(eh.size(), static_cast<size_t>(kNumDomains));
  EXPECT_EQ(e->Style(mask, choices).sizes(), (std::vector<int64_t>{n, kManipStyleDim}));
  torch::Tensor logits = d->forward(mask);
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{n, kNumDomains}));
  torch::Tensor sel = SelectDomainLogits(logits, choices);
  EXPECT_EQ(sel.sizes(), (std::vector<int64_t>{n, kNumAttributes}));
  for (int64_t i = 0; i < n; ++i)
    for (int a = 0; a < kNumAttributes; ++a)
      EXPECT_EQ(sel[i][a].item<float>(), logits[i][2 * a + choices[i][a].item<int64_t>()].item<float>());
}

// The batch-friendly modulated conv equals the official per-sample grouped
// convolution with weights w * (1 + affine(s)) and demodulation.
TEST(ManipLayers, ModConvMatchesOfficialGroupedConv) {
  torch::manual_seed(3);
  for (bool demod : {true, false}) {
    ModConv2d conv(5, 7, 144, 3, demod);
    torch::Tensor x = torch::randn({3, 5, 9, 9}), s = torch::randn({3, 144});
    torch::Tensor got = conv->forward(x, s);
    torch::Tensor w1 = conv->affine->forward(s).view({3, 1, 5, 1, 1});
    torch::Tensor w = conv->weight.unsqueeze(0) * (w1 + 1);
    if (demod) w = w * torch::rsqrt(w.pow(2).sum({2, 3, 4}, true) + 1e-8);
    torch::Tensor want = torch::nn::functional::conv2d(x.reshape({1, 15, 9, 9}), w.reshape({21, 5, 3, 3}),
                                                       torch::nn::functional::Conv2dFuncOptions().padding(1).groups(3))
                             .view({3, 7, 9, 9});
    EXPECT_TRUE(torch::allclose(got, want, 1e-4, 1e-4)) << (got - want).abs().max().item<float>();
  }
}

TEST(ManipLayers, HighPassIsZeroOnConstantsAndResBlkHalvesSize) {
  torch::Tensor flat = torch::full({1, 4, 8, 8}, 3.0);
  EXPECT_LT(HighPass(flat).narrow(2, 1, 6).narrow(3, 1, 6).abs().max().item<float>(), 1e-5);
  ManipResBlk blk(4, 8, true, true);
  EXPECT_EQ(blk->forward(torch::randn({2, 4, 8, 8})).sizes(), (std::vector<int64_t>{2, 8, 4, 4}));
}

TEST(ManipNets, TinyShapes) { CheckShapes(Cfg("tiny"), 2); }

TEST(ManipNets, TinyShapesWithLandmarkSkips) {
  auto c = Cfg("tiny");
  c.manip_landmark_skips = true;
  CheckShapes(c, 2);
}

TEST(ManipNets, SmallShapes) { CheckShapes(Cfg("small"), 1); }

TEST(ManipNetsSlow, PaperShapes) {
  InitTorchRuntime(BenchThreads());
  CheckShapes(Cfg("paper"), 1);
  auto c = Cfg("paper");
  c.manip_landmark_skips = false;
  CheckShapes(c, 1);
  CheckShapes(Cfg("paper128"), 2);
}

TEST(ManipNets, AssembleStylePicksTheChosenHeads) {
  std::vector<torch::Tensor> heads;
  for (int d = 0; d < kNumDomains; ++d) heads.push_back(torch::full({2, DomainStyleDim(d)}, float(d)));
  torch::Tensor ch = torch::tensor({0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0}, torch::kLong).view({2, 6});
  torch::Tensor s = AssembleStyle(heads, ch);
  for (int64_t i = 0; i < 2; ++i)
    for (int a = 0; a < kNumAttributes; ++a) {
      float want = float(2 * a + ch[i][a].item<int64_t>());
      EXPECT_TRUE(s[i].narrow(0, StyleOffset(a), kAttributeStyleDims[a]).eq(want).all().item<bool>());
    }
  EXPECT_TRUE(MakeChoices({1, 0, 0, 0, 0, 1}, 3).equal(
      torch::tensor({1, 0, 0, 0, 0, 1}, torch::kLong).view({1, 6}).repeat({3, 1})));
  EXPECT_THROW(AssembleStyle(heads, torch::zeros({2, 5}, torch::kLong)), std::invalid_argument);
}

TEST(ManipNets, PaperParameterCountsMatchOfficialCode) {
  // Targets: official affromero/SMILE code (MOD, SPLIT_STYLE, TRAIN_MASK, 256 px),
  // counted with PyTorch: G 33.86 M with FAN skips, 24.45 M without, E 21.01 M, F 10.40 M.
  auto c = Cfg("paper");
  auto within = [](int64_t got, double want) { return std::abs(got - want) <= 0.01 * want; };
  ManipGenerator g(c);
  const int64_t ng = CountParameters(*g);
  EXPECT_TRUE(within(ng, 33.86e6)) << ng;
  EXPECT_EQ(ng, 33863367);  // derived layer by layer from the official code
  c.manip_landmark_skips = false;
  const int64_t ng2 = CountParameters(*ManipGenerator(c));
  EXPECT_TRUE(within(ng2, 24.45e6)) << ng2;
  EXPECT_EQ(ng2, 24448710);
  const int64_t ne = CountParameters(*ManipStyleEncoder(c));
  EXPECT_TRUE(within(ne, 21.01e6)) << ne;
  EXPECT_EQ(ne, 21008224);
  const int64_t nf = CountParameters(*ManipMapping(c));
  EXPECT_TRUE(within(nf, 10.40e6)) << nf;
  EXPECT_EQ(nf, 10400032);
  // Discriminator = encoder trunk + a 1x1 conv to 12 logits.
  EXPECT_EQ(CountParameters(*ManipDiscriminator(c)), 21008224 - 147744 + 512 * 12 + 12);
}

TEST(ManipNets, DeterministicWithFixedSeedAndFixedEvalNoise) {
  auto c = Cfg("tiny");
  c.manip_landmark_skips = true;
  torch::manual_seed(123);
  ManipGenerator g1(c);
  ManipMapping f1(c);
  torch::manual_seed(123);
  ManipGenerator g2(c);
  ManipMapping f2(c);
  {  // make the noise matter
    torch::NoGradGuard ng;
    for (auto& m : {g1, g2})
      for (auto& p : m->named_parameters())
        if (p.key().find("noise.weight") != std::string::npos) p.value().fill_(0.5);
  }
  torch::Tensor mask = OneHot(SyntheticLabels(c.manip_size), c.num_classes);
  torch::Tensor z = torch::randn({1, c.manip_latent_dim});
  torch::Tensor ch = MakeChoices({1, 0, 1, 0, 1, 0}, 1);
  torch::Tensor hm = torch::rand({1, 2, 64, 64});
  g1->eval();
  g2->eval();
  torch::NoGradGuard ng;
  torch::Tensor a = g1->forward(mask, f1->Style(z, ch), hm);
  torch::Tensor b = g2->forward(mask, f2->Style(z, ch), hm);
  EXPECT_TRUE(a.equal(b));
  EXPECT_TRUE(a.equal(g1->forward(mask, f1->Style(z, ch), hm)));  // eval noise is fixed
  // The landmark heatmap and the style both change the output.
  EXPECT_FALSE(a.equal(g1->forward(mask, f1->Style(z, ch))));
  EXPECT_FALSE(a.equal(g1->forward(mask, f1->Style(z, MakeChoices({0, 1, 0, 1, 0, 1}, 1)), hm)));
  g1->train();
  torch::Tensor t1 = g1->forward(mask, f1->Style(z, ch), hm);
  torch::Tensor t2 = g1->forward(mask, f1->Style(z, ch), hm);
  EXPECT_FALSE(t1.equal(t2));  // training noise is random
}

TEST(ManipNets, CloneIsADeepCopy) {
  auto c = Cfg("tiny");
  c.manip_landmark_skips = true;
  ManipGenerator g(c);
  ManipMapping f(c);
  ManipStyleEncoder e(c);
  ManipDiscriminator d(c);
  auto g2 = std::dynamic_pointer_cast<ManipGeneratorImpl>(g->clone());
  auto f2 = std::dynamic_pointer_cast<ManipMappingImpl>(f->clone());
  auto e2 = std::dynamic_pointer_cast<ManipStyleEncoderImpl>(e->clone());
  auto d2 = std::dynamic_pointer_cast<ManipDiscriminatorImpl>(d->clone());
  ASSERT_TRUE(g2 && f2 && e2 && d2);
  g->eval();
  g2->eval();
  torch::NoGradGuard ng;
  torch::Tensor mask = OneHot(SyntheticLabels(c.manip_size), c.num_classes);
  torch::Tensor z = torch::randn({1, c.manip_latent_dim}), hm = torch::rand({1, 2, 32, 32});
  torch::Tensor ch = MakeChoices({1, 0, 1, 0, 1, 0}, 1);
  torch::Tensor s1 = f->Style(z, ch), s2 = f2->Style(z, ch);
  EXPECT_TRUE(s1.equal(s2));
  torch::Tensor a = g->forward(mask, s1, hm);
  EXPECT_TRUE(a.equal(g2->forward(mask, s2, hm)));
  EXPECT_TRUE(e->Style(mask, ch).equal(e2->Style(mask, ch)));
  EXPECT_TRUE(d->forward(mask).equal(d2->forward(mask)));
  for (auto& p : g2->parameters()) p.add_(0.1);
  EXPECT_TRUE(a.equal(g->forward(mask, s1, hm)));  // the original is untouched
  EXPECT_FALSE(a.equal(g2->forward(mask, s1, hm)));
}

TEST(ManipNets, RejectsBadShapesWithClearErrors) {
  auto c = Cfg("tiny");
  ManipGenerator g(c);
  torch::Tensor style = torch::zeros({1, kManipStyleDim});
  EXPECT_THROW(g->forward(torch::zeros({1, 3, 32, 32}), style), std::invalid_argument);
  EXPECT_THROW(g->forward(torch::zeros({1, 19, 64, 64}), style), std::invalid_argument);
  EXPECT_THROW(g->forward(torch::zeros({1, 19, 32, 32}), torch::zeros({1, 64})), std::invalid_argument);
  auto bad = c;
  bad.manip_size = 48;
  EXPECT_THROW(ManipGenerator{bad}, std::invalid_argument);
}

// A few Adam steps on the tiny config lower the cross-entropy reconstruction
// loss of G, and every network's parameters receive gradients.
double TrainReconstruction(const torch::Tensor& labels, const ModelConfig& c, int steps, double* first) {
  torch::manual_seed(0);
  ManipGenerator g(c);
  ManipMapping f(c);
  std::vector<torch::Tensor> params = g->parameters();
  for (auto& p : f->parameters()) params.push_back(p);
  torch::optim::Adam opt(params, torch::optim::AdamOptions(1e-3).betas({0.0, 0.99}));
  torch::Tensor mask = OneHot(labels, c.num_classes);
  torch::Tensor z = torch::randn({labels.size(0), c.manip_latent_dim});
  torch::Tensor ch = MakeChoices({0, 0, 0, 0, 0, 0}, labels.size(0));
  double last = 0;
  for (int i = 0; i < steps; ++i) {
    opt.zero_grad();
    torch::Tensor loss = torch::nn::functional::cross_entropy(g->forward(mask, f->Style(z, ch)), labels);
    loss.backward();
    if (i == 0) {
      *first = loss.item<double>();
      for (auto& p : g->named_parameters())
        EXPECT_TRUE(p.value().grad().defined() && p.value().grad().abs().sum().item<double>() > 0) << p.key();
    }
    opt.step();
    last = loss.item<double>();
  }
  return last;
}

TEST(ManipTrain, AdamLowersReconstructionLossOnSyntheticMask) {
  auto c = Cfg("tiny");
  double first = 0;
  double last = TrainReconstruction(SyntheticLabels(c.manip_size), c, 25, &first);
  EXPECT_LT(last, 0.6 * first) << "first " << first << " last " << last;
}

TEST(ManipTrain, DiscriminatorAndEncoderReceiveGradients) {
  auto c = Cfg("tiny");
  ManipDiscriminator d(c);
  ManipStyleEncoder e(c);
  torch::Tensor mask = OneHot(SyntheticLabels(c.manip_size), c.num_classes).repeat({2, 1, 1, 1});
  torch::Tensor ch = MakeChoices({1, 1, 0, 0, 1, 1}, 2);
  torch::Tensor loss = torch::softplus(-SelectDomainLogits(d->forward(mask), ch)).mean() +
                       e->Style(mask, ch).abs().mean();
  loss.backward();
  for (auto* m : {static_cast<torch::nn::Module*>(d.get()), static_cast<torch::nn::Module*>(e.get())})
    for (auto& p : m->named_parameters()) {
      // Heads of unchosen domains get no gradient by construction.
      if (p.key().find("unshared") != std::string::npos) continue;
      EXPECT_TRUE(p.value().grad().defined() && p.value().grad().abs().sum().item<double>() > 0) << p.key();
    }
}

TEST(ManipTrainMedia, AdamLowersReconstructionLossOnRealMask) {
  const std::filesystem::path dir = std::filesystem::path(SMILE_MEDIA_DIR) / "celebamask";
  if (!std::filesystem::exists(dir / "0.png")) GTEST_SKIP() << "no real label maps at " << dir;
  auto c = Cfg("tiny");
  cv::Mat m = cv::imread((dir / "0.png").string(), cv::IMREAD_UNCHANGED);
  ASSERT_EQ(m.type(), CV_8UC1);
  cv::resize(m, m, cv::Size(c.manip_size, c.manip_size), 0, 0, cv::INTER_NEAREST);
  torch::Tensor labels =
      torch::from_blob(m.data, {1, m.rows, m.cols}, torch::kUInt8).clone().to(torch::kLong);
  ASSERT_LT(labels.max().item<int64_t>(), 19);
  ASSERT_GE(std::get<0>(torch::_unique(labels)).numel(), 5);
  double first = 0;
  double last = TrainReconstruction(labels, c, 25, &first);
  std::printf("[train] real label map: loss %.3f -> %.3f\n", first, last);
  EXPECT_LT(last, 0.6 * first) << "first " << first << " last " << last;
}

TEST(ManipHeatmap, SplatsTheChosenLandmarkGroups) {
  std::vector<std::array<float, 2>> pts(68, {0.f, 0.f});
  for (int i = 0; i < 68; ++i) pts[i] = {float(4 + (i % 8) * 7), float(4 + (i / 8) * 7)};
  pts[0] = {60.5f, 60.5f};   // jaw point outside the kept chin range: not drawn
  pts[30] = {20.5f, 60.5f};  // nose: in both channels
  pts[50] = {40.5f, 60.5f};  // mouth: channel 0 only
  torch::Tensor h = LandmarkHeatmap68(pts, 64);
  ASSERT_EQ(h.sizes(), (std::vector<int64_t>{1, 2, 64, 64}));
  EXPECT_GE(h.min().item<float>(), 0.f);
  EXPECT_LE(h.max().item<float>(), 1.f);
  EXPECT_NEAR(h[0][0][60][20].item<float>(), 1.f, 1e-3);
  EXPECT_NEAR(h[0][1][60][20].item<float>(), 1.f, 1e-3);
  EXPECT_GT(h[0][0][60][40].item<float>(), 0.9f);
  EXPECT_LT(h[0][1][60][40].item<float>(), 1e-3f);
  EXPECT_LT(h[0][0][60][60].item<float>(), 1e-3f);
  EXPECT_THROW(LandmarkHeatmap68(std::vector<std::array<float, 2>>(5), 64), std::invalid_argument);
}

double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

// Best wall time of `reps` runs; *cpu gets the process CPU seconds of that run
// (on a loaded VM the CPU time shows the work itself, the wall time the wait).
double TimeIt(const std::function<void()>& fn, int reps, double* cpu = nullptr) {
  fn();  // warm-up
  double best = 1e9, best_cpu = 0;  // best of `reps`: the shared VM's load only ever adds time
  for (int i = 0; i < reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    double c0 = ProcessCpuSeconds();
    fn();
    double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (t < best) {
      best = t;
      best_cpu = ProcessCpuSeconds() - c0;
    }
  }
  if (cpu) *cpu = best_cpu;
  return best;
}

// Speed of the manipulation networks (s / image, batch 1, 2 threads, fp32, eval).
TEST(ManipBenchSlow, PaperNetworksAt128And256) {
  InitTorchRuntime(BenchThreads());
  torch::NoGradGuard ng;
  for (int size : {128, 256}) {
    auto c = Cfg("paper");
    c.manip_size = size;
    for (bool skips : {true, false}) {
      c.manip_landmark_skips = skips;
      ManipGenerator g(c);
      g->eval();
      torch::Tensor mask = torch::softmax(torch::randn({1, 19, size, size}), 1);
      torch::Tensor style = torch::randn({1, kManipStyleDim});
      torch::Tensor hm = torch::rand({1, 2, size, size});
      torch::Tensor out;
      double cpu = 0;
      double t = TimeIt([&] { out = g->forward(mask, style, skips ? hm : torch::Tensor()); }, 3, &cpu);
      EXPECT_TRUE(torch::isfinite(out).all().item<bool>());
      std::printf("[bench] manip generator %d px skips=%d: %.4f s/image wall, %.4f s CPU (%.2f M params)\n", size,
                  int(skips), t, cpu, CountParameters(*g) / 1e6);
    }
    ManipStyleEncoder e(c);
    torch::Tensor mask = torch::softmax(torch::randn({1, 19, size, size}), 1);
    double ce = 0, cd = 0;
    double te = TimeIt([&] { e->forward(mask); }, 3, &ce);
    std::printf("[bench] manip style encoder %d px: %.4f s/image wall, %.4f s CPU (%.2f M)\n", size, te, ce,
                CountParameters(*e) / 1e6);
    ManipDiscriminator d(c);
    double td = TimeIt([&] { d->forward(mask); }, 3, &cd);
    std::printf("[bench] manip discriminator %d px: %.4f s/image wall, %.4f s CPU (%.2f M)\n", size, td, cd,
                CountParameters(*d) / 1e6);
    EXPECT_GT(te, 0);
  }
  {  // the real-time preset
    auto c = Cfg("small");
    ManipGenerator g(c);
    ManipStyleEncoder e(c);
    g->eval();
    const int s = c.manip_size;
    torch::Tensor mask = torch::softmax(torch::randn({1, 19, s, s}), 1);
    torch::Tensor style = torch::randn({1, kManipStyleDim}), hm = torch::rand({1, 2, s, s});
    double cg = 0, ce = 0;
    double tg = TimeIt([&] { g->forward(mask, style, hm); }, 3, &cg);
    double te = TimeIt([&] { e->forward(mask); }, 3, &ce);
    std::printf("[bench] small preset %d px: generator %.4f s wall %.4f s CPU (%.2f M), style encoder %.4f s wall "
                "%.4f s CPU (%.2f M), mapping %.2f M, discriminator %.2f M\n",
                s, tg, cg, CountParameters(*g) / 1e6, te, ce, CountParameters(*e) / 1e6,
                CountParameters(*ManipMapping(c)) / 1e6, CountParameters(*ManipDiscriminator(c)) / 1e6);
    EXPECT_GT(tg, 0);
  }
  ManipMapping f(Cfg("paper"));
  torch::Tensor z = torch::randn({1, 16});
  double tf = TimeIt([&] { f->forward(z); }, 20);
  std::printf("[bench] manip mapping: %.5f s/image (%.2f M)\n", tf, CountParameters(*f) / 1e6);
}

}  // namespace
}  // namespace smile::models
