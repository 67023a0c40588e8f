#include "training/synth_trainer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>

#include <unistd.h>

#include <ATen/autocast_mode.h>

// scripts/device/gpu_check.sh builds this file where only LibTorch exists (no OpenCV): the media
// test needs OpenCV, the GPU tests do not.
#if __has_include(<opencv2/imgcodecs.hpp>)
#define SMILE_TEST_HAS_OPENCV 1
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/image_metrics.h"
#include "models/image_tensor.h"
#endif

namespace smile::training {
namespace {

namespace fs = std::filesystem;

models::ModelConfig Tiny() { return *models::ModelConfig::Preset("tiny"); }

SynthBatch RandomBatch(const models::ModelConfig& c, int n) {
  auto labels = torch::randint(0, c.num_classes, {n, c.image_size, c.image_size}, torch::kLong);
  return {torch::rand({n, 3, c.image_size, c.image_size}) * 2 - 1, models::OneHotMask(labels, c.num_classes), {}, {},
          {}};
}

TEST(SynthTrainer, StepRunsAllLossesAndUpdatesEma) {
  auto cfg = Tiny();
  SynthTrainOptions o;
  o.r1_every = 2;
  o.pl_every = 2;
  SynthTrainer t(cfg, o, torch::kCPU);
  auto before = t.ema()->generator->parameters()[0].clone();
  auto batch = RandomBatch(cfg, 4);
  auto l0 = t.Step(batch);  // random step with R1 and path length
  EXPECT_TRUE(l0.count("r1") && l0.count("path") && l0.count("d") && l0.count("g_adv"));
  EXPECT_FALSE(l0.count("g_feat")) << "feature matching runs on reference steps only";
  auto l1 = t.Step(batch);  // reference step
  EXPECT_TRUE(l1.count("g_feat"));
  EXPECT_EQ(t.iteration(), 2);
  for (const auto& [k, v] : l1) EXPECT_TRUE(std::isfinite(v)) << k;
  EXPECT_FALSE(torch::equal(before, t.ema()->generator->parameters()[0])) << "EMA must move";
}

TEST(SynthTrainer, SameSeedSameWeights) {
  auto cfg = Tiny();
  SynthTrainOptions o;
  o.seed = 3;
  torch::manual_seed(1);
  auto batch = RandomBatch(cfg, 2);
  SynthTrainer a(cfg, o, torch::kCPU);
  torch::manual_seed(5);
  a.Step(batch);
  SynthTrainer b(cfg, o, torch::kCPU);
  torch::manual_seed(5);
  b.Step(batch);
  auto pa = a.network()->parameters(), pb = b.network()->parameters();
  for (size_t i = 0; i < pa.size(); ++i) ASSERT_TRUE(torch::allclose(pa[i], pb[i])) << i;
}

// Reconstruction-only options and a learnable batch (a smooth image per class instead of noise)
// for the runs below, which compare variants from the same start.
SynthTrainOptions ReconOnly() {
  SynthTrainOptions o;
  o.adversarial = false;
  o.reference_every_step = true;
  o.seed = 11;
  return o;
}

SynthBatch SmoothTargetBatch(const models::ModelConfig& cfg) {
  torch::manual_seed(2);
  auto batch = RandomBatch(cfg, 4);
  batch.images = torch::tanh(torch::einsum("nchw,ck->nkhw", {batch.masks, torch::randn({cfg.num_classes, 3})}));
  return batch;
}

// The reconstruction term (g_l1) at the first and the 40th step; `check` runs after each step.
struct ReconCurve {
  double first = 0, last = 0;
};
ReconCurve RunRecon(const models::ModelConfig& cfg, const SynthBatch& batch, const SynthTrainOptions& o,
                    const std::function<void(SynthTrainer&)>& check = nullptr) {
  SynthTrainer t(cfg, o, torch::kCPU);
  torch::manual_seed(7);
  ReconCurve c;
  for (int it = 0; it < 40; ++it) {
    c.last = t.Step(batch).at("g_l1");
    if (it == 0) c.first = c.last;
    if (check) check(t);
  }
  return c;
}

// Mixed precision (bf16 autocast) against the plain fp32 path: the same reconstruction steps
// from the same start learn the same way (first loss equal to bf16 rounding, the loss after 40
// steps close), weights and optimiser stay fp32, and autocast is off again after each step.
TEST(SynthTrainer, MixedPrecisionReconstructionTracksFp32) {
  auto cfg = Tiny();
  auto batch = SmoothTargetBatch(cfg);
  auto o = ReconOnly();
  auto fp32 = RunRecon(cfg, batch, o);
  o.bf16 = true;
  auto bf16 = RunRecon(cfg, batch, o, [](SynthTrainer& t) {
    EXPECT_FALSE(at::autocast::is_cpu_enabled()) << "autocast must be off outside the step";
    for (const auto& p : t.network()->parameters()) {
      EXPECT_EQ(p.scalar_type(), torch::kFloat);
      EXPECT_TRUE(torch::isfinite(p).all().item<bool>());
    }
  });
  std::printf("recon L1 fp32 %.6f -> %.6f, bf16 %.6f -> %.6f\n", fp32.first, fp32.last, bf16.first, bf16.last);
  EXPECT_NE(bf16.first, fp32.first) << "bf16 arithmetic must actually run";
  EXPECT_NEAR(bf16.first, fp32.first, 0.02 * fp32.first) << "the same first step, up to bf16 rounding";
  EXPECT_LT(fp32.last, 0.8 * fp32.first) << "fp32 must learn";
  EXPECT_LT(bf16.last, 0.8 * bf16.first) << "bf16 must learn";
  EXPECT_NEAR(bf16.last, fp32.last, 0.1 * fp32.last);
}

// recon_l2: the reconstruction term is the (weighted) mean squared error. The first step sees
// the same render either way, so Jensen bounds it by the L1 figure squared; it also learns.
TEST(SynthTrainer, SquaredReconstructionTermIsTheMeanSquaredError) {
  auto cfg = Tiny();
  auto batch = SmoothTargetBatch(cfg);
  batch.l1_weights = 1 + 3 * batch.masks.narrow(1, 1, 1);  // some pixels weigh 4x
  auto o = ReconOnly();
  auto l1 = RunRecon(cfg, batch, o);
  o.recon_l2 = true;
  auto l2 = RunRecon(cfg, batch, o);
  std::printf("recon first step L1 %.6f, L2 %.6f; L2 after 40 steps %.6f\n", l1.first, l2.first, l2.last);
  EXPECT_GT(std::abs(l2.first - l1.first), 1e-3) << "the flag must change the term";
  EXPECT_GE(l2.first, l1.first * l1.first * (1 - 1e-4)) << "weighted mean of squares >= squared weighted mean";
  EXPECT_LT(l2.last, 0.7 * l2.first) << "the squared term must learn";
}

TEST(SynthTrainer, MixedPrecisionAdversarialStepsRun) {
  auto cfg = Tiny();
  SynthTrainOptions o;
  o.r1_every = 2;
  o.pl_every = 2;
  o.lambda_l1 = 10;
  o.bf16 = true;
  SynthTrainer t(cfg, o, torch::kCPU);
  auto batch = RandomBatch(cfg, 4);
  auto l0 = t.Step(batch);  // random step with R1 and path length (double backward through bf16)
  auto l1 = t.Step(batch);  // reference step with feature matching and L1
  EXPECT_TRUE(l0.count("r1") && l0.count("path") && l1.count("g_feat") && l1.count("g_l1"));
  for (const auto& losses : {l0, l1})
    for (const auto& [k, v] : losses) EXPECT_TRUE(std::isfinite(v)) << k;
  for (const auto& p : t.network()->parameters()) ASSERT_TRUE(torch::isfinite(p).all().item<bool>());
  EXPECT_FALSE(at::autocast::is_cpu_enabled());
}

#ifdef SMILE_TEST_HAS_OPENCV
// Issue "Training": a tiny config overfits a handful of real images (PSNR > 25 dB).
TEST(SynthTrainerMedia, TinyConfigOverfitsRealFaces) {
  const fs::path dir = fs::path(SMILE_MEDIA_DIR) / "celebamask";
  if (!fs::exists(dir / "0.jpg")) GTEST_SKIP() << "shared media not found at " << dir << "; skipping";
  auto cfg = Tiny();
  std::vector<cv::Mat> images, labels;
  std::vector<torch::Tensor> ti, tm;
  for (int i = 0; i < 2; ++i) {
    cv::Mat img = cv::imread((dir / (std::to_string(i) + ".jpg")).string());
    cv::Mat lab = cv::imread((dir / (std::to_string(i) + ".png")).string(), cv::IMREAD_GRAYSCALE);
    ASSERT_FALSE(img.empty() || lab.empty());
    cv::resize(img, img, cv::Size(cfg.image_size, cfg.image_size), 0, 0, cv::INTER_AREA);
    cv::resize(lab, lab, cv::Size(cfg.image_size, cfg.image_size), 0, 0, cv::INTER_NEAREST);
    images.push_back(img);
    labels.push_back(lab);
    ti.push_back(models::ImageToTensor(img));
    tm.push_back(models::LabelsToOneHot(lab, cfg.num_classes));
  }
  SynthTrainOptions o;
  o.lambda_l1 = 10;
  o.reference_every_step = true;
  o.pl_weight = 0;
  o.ema_beta = 0.9;
  o.lr = 0.004;
  SynthTrainer t(cfg, o, torch::kCPU);
  SynthBatch batch{torch::cat(ti), torch::cat(tm), {}, {}, {}};
  double first_l1 = 0, last_l1 = 0;
  for (int it = 0; it < 400; ++it) {
    auto l = t.Step(batch);
    if (it == 0) first_l1 = l["g_l1"];
    last_l1 = l["g_l1"];
  }
  EXPECT_LT(last_l1, first_l1 * 0.5);
  auto out = t.Reconstruct(batch.images, batch.masks);
  for (int i = 0; i < 2; ++i) {
    double psnr = Psnr(models::TensorToImage(out[i]), images[i]);
    EXPECT_GT(psnr, 25.0) << "image " << i;
    std::printf("training image %d: reconstruction PSNR %.2f dB (L1 %.3f -> %.3f)\n", i, psnr, first_l1, last_l1);
  }
}

#endif  // SMILE_TEST_HAS_OPENCV

// ---- CUDA (skipped without a GPU) ----
#define SKIP_WITHOUT_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA GPU here (this LibTorch build or machine has none)"

SynthTrainOptions ReconOptions() {
  SynthTrainOptions o;
  o.adversarial = false;
  o.reference_every_step = true;
  o.lambda_l1 = 10;
  o.seed = 4;
  return o;
}

double MaxParamDiff(models::SynthesisNetwork& a, models::SynthesisNetwork& b) {
  auto pa = a->parameters(), pb = b->parameters();
  double m = 0;
  for (size_t i = 0; i < pa.size(); ++i) m = std::max(m, (pa[i].cpu() - pb[i].cpu()).abs().max().item<double>());
  return m;
}

// The same reconstruction steps learn the same way on the GPU as on the CPU (same start; the
// noise draws differ per device).
TEST(SynthTrainerGpu, ReconstructionLearnsOnCudaLikeOnCpu) {
  SKIP_WITHOUT_CUDA();
  auto cfg = Tiny();
  torch::manual_seed(1);
  auto batch = RandomBatch(cfg, 4);
  std::vector<double> first, last;
  for (torch::Device device : {torch::Device(torch::kCPU), torch::Device(torch::kCUDA)}) {
    SynthTrainer t(cfg, ReconOptions(), device);
    double l0 = 0, l = 0;
    for (int it = 0; it < 40; ++it) {
      l = t.Step(batch)["g_l1"];
      if (it == 0) l0 = l;
    }
    EXPECT_EQ(t.network()->parameters()[0].device().type(), device.type());
    first.push_back(l0);
    last.push_back(l);
  }
  std::printf("L1 first step cpu %.5f cuda %.5f; after 40 steps cpu %.5f cuda %.5f\n", first[0], first[1], last[0],
              last[1]);
  EXPECT_NEAR(first[1], first[0], 1e-3 * first[0]) << "the first step sees the same weights and no noise yet";
  EXPECT_LT(last[1], 0.9 * first[1]) << "random images: the L1 falls slowly, but it falls";
  EXPECT_NEAR(last[1], last[0], 0.1 * last[0]);
}

// Every loss of the adversarial recipe (R1's double backward, path length) runs on the GPU.
TEST(SynthTrainerGpu, AdversarialStepsRunOnCuda) {
  SKIP_WITHOUT_CUDA();
  auto cfg = Tiny();
  SynthTrainOptions o;
  o.r1_every = 2;
  o.pl_every = 2;
  o.lambda_l1 = 1;
  SynthTrainer t(cfg, o, torch::kCUDA);
  auto batch = RandomBatch(cfg, 4);
  for (int it = 0; it < 4; ++it) {
    auto l = t.Step(batch);
    for (const auto& [k, v] : l) EXPECT_TRUE(std::isfinite(v)) << k << " at step " << it;
    if (it == 0) {
      EXPECT_TRUE(l.count("r1") && l.count("path"));
    }
  }
  auto out = t.Reconstruct(batch.images, batch.masks);
  EXPECT_TRUE(out.is_cuda());
  EXPECT_TRUE(torch::isfinite(out).all().item<bool>());
}

// A state saved on the GPU resumes on the CPU (optimiser moments move with it) and back, and a
// GPU run resumed on the GPU continues as if it had not stopped (the CUDA RNG is restored).
TEST(SynthTrainerGpu, StateMovesBetweenCudaAndCpu) {
  SKIP_WITHOUT_CUDA();
  at::globalContext().setDeterministicCuDNN(true);
  auto cfg = Tiny();
  torch::manual_seed(1);
  auto batch = RandomBatch(cfg, 2);
  const auto dir = fs::temp_directory_path() / ("smile_synth_gpu_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "state.smile").string();

  SynthTrainer straight(cfg, ReconOptions(), torch::kCUDA);
  for (int it = 0; it < 3; ++it) straight.Step(batch);

  SynthTrainer first(cfg, ReconOptions(), torch::kCUDA);
  for (int it = 0; it < 2; ++it) first.Step(batch);
  ASSERT_TRUE(first.SaveState(path).ok());

  SynthTrainer on_cpu(cfg, ReconOptions(), torch::kCPU);
  ASSERT_TRUE(on_cpu.LoadState(path).ok());
  EXPECT_EQ(MaxParamDiff(on_cpu.network(), first.network()), 0.0) << "weights are copied bit for bit";
  auto l = on_cpu.Step(batch);
  EXPECT_TRUE(std::isfinite(l["g_l1"]));
  ASSERT_TRUE(on_cpu.SaveState(path + ".cpu").ok());
  SynthTrainer back(cfg, ReconOptions(), torch::kCUDA);
  ASSERT_TRUE(back.LoadState(path + ".cpu").ok());
  EXPECT_TRUE(std::isfinite(back.Step(batch)["g_l1"]));

  SynthTrainer resumed(cfg, ReconOptions(), torch::kCUDA);
  ASSERT_TRUE(resumed.LoadState(path).ok());
  resumed.Step(batch);
  const double diff = MaxParamDiff(resumed.network(), straight.network());
  std::printf("resumed on CUDA vs straight run: max weight difference %.3g\n", diff);
  EXPECT_LT(diff, 1e-4);
  for (const auto& f : {path, path + ".cpu"}) std::remove(f.c_str());
  ::rmdir(dir.c_str());
}

}  // namespace
}  // namespace smile::training
