// Face parser network: shapes, Predict, loss, determinism, training.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "models/config.h"
#include "models/manip_layers.h"
#include "models/parser_net.h"
#include "models/runtime.h"

namespace smile::models {
namespace {

ModelConfig Cfg(const std::string& name) {
  auto c = ModelConfig::Preset(name);
  EXPECT_TRUE(c.ok());
  return *c;
}

TEST(ParserNet, ShapesForEveryPreset) {
  torch::NoGradGuard ng;
  for (const auto& name : {"tiny", "small", "paper128", "paper"}) {
    auto c = Cfg(name);
    ParserNet net(c);
    net->eval();
    const int s = c.parser_size;
    torch::Tensor logits = net->forward(torch::rand({1, 3, s, s}) * 2 - 1);
    EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{1, 19, s, s})) << name;
    EXPECT_TRUE(torch::isfinite(logits).all().item<bool>()) << name;
  }
}

TEST(ParserNet, PredictReturnsLabelsAndProbabilitiesAtParserSize) {
  auto c = Cfg("tiny");
  ParserNet net(c);
  net->train();
  torch::Tensor rgb = torch::rand({2, 3, 48, 80}) * 2 - 1;  // resized to 32x32 inside
  ParserPrediction p = net->Predict(rgb);
  EXPECT_TRUE(net->is_training());  // mode restored
  EXPECT_EQ(p.labels.sizes(), (std::vector<int64_t>{2, 32, 32}));
  EXPECT_EQ(p.labels.scalar_type(), torch::kUInt8);
  EXPECT_EQ(p.probs.sizes(), (std::vector<int64_t>{2, 19, 32, 32}));
  EXPECT_TRUE(torch::allclose(p.probs.sum(1), torch::ones({2, 32, 32}), 1e-4, 1e-4));
  EXPECT_TRUE(p.labels.to(torch::kLong).equal(p.probs.argmax(1)));
  EXPECT_FALSE(p.probs.requires_grad());
  EXPECT_THROW(net->forward(torch::rand({1, 3, 30, 30})), std::invalid_argument);
}

TEST(ParserNet, DeterministicWithFixedSeed) {
  auto c = Cfg("tiny");
  torch::manual_seed(5);
  ParserNet a(c);
  torch::manual_seed(5);
  ParserNet b(c);
  torch::Tensor x = torch::rand({1, 3, 32, 32});
  EXPECT_TRUE(a->Predict(x).probs.equal(b->Predict(x).probs));
}

TEST(ParserNet, CloneIsADeepCopy) {
  ParserNet a(Cfg("tiny"));
  auto b = std::dynamic_pointer_cast<ParserNetImpl>(a->clone());
  ASSERT_TRUE(b);
  torch::Tensor x = torch::rand({1, 3, 32, 32});
  torch::Tensor pa = a->Predict(x).probs;
  EXPECT_TRUE(pa.equal(b->Predict(x).probs));
  {
    torch::NoGradGuard ng;
    for (auto& p : b->parameters()) p.add_(0.1);
  }
  EXPECT_TRUE(pa.equal(a->Predict(x).probs));
  EXPECT_FALSE(pa.equal(b->Predict(x).probs));
}

TEST(ParserNet, LossIsSmallForPerfectLogitsAndLargeForWrongOnes) {
  torch::Tensor labels = torch::randint(0, 19, {2, 16, 16}, torch::kLong);
  torch::Tensor onehot = torch::nn::functional::one_hot(labels, 19).permute({0, 3, 1, 2}).to(torch::kFloat);
  torch::Tensor good = ParserLoss(onehot * 30, labels);
  torch::Tensor bad = ParserLoss(onehot.roll(1, 1) * 30, labels);
  EXPECT_LT(good.item<float>(), 1e-3);
  EXPECT_GT(bad.item<float>(), 10.0);
  EXPECT_NEAR(ParserLoss(onehot * 30, labels.to(torch::kUInt8), 0.0).item<float>(), 0.0, 1e-3);
}

double Train(ParserNet& net, const torch::Tensor& rgb, const torch::Tensor& labels, int steps, double* first) {
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(1e-2));
  net->train();
  double last = 0;
  for (int i = 0; i < steps; ++i) {
    opt.zero_grad();
    torch::Tensor loss = ParserLoss(net->forward(rgb), labels);
    loss.backward();
    if (i == 0) {
      *first = loss.item<double>();
      for (auto& p : net->named_parameters())
        EXPECT_TRUE(p.value().grad().defined() && p.value().grad().abs().sum().item<double>() > 0) << p.key();
    }
    opt.step();
    last = loss.item<double>();
    if (getenv("SMILE_TRACE")) std::printf("step %d loss %.4f\n", i, last);
  }
  return last;
}

TEST(ParserTrain, AdamLowersLossOnSyntheticImage) {
  torch::manual_seed(0);
  auto c = Cfg("tiny");
  ParserNet net(c);
  // Labels: 4 quadrant classes + a disc; colour encodes the class with noise.
  torch::Tensor labels = torch::zeros({1, 32, 32}, torch::kLong);
  labels.narrow(1, 16, 16).fill_(1);
  labels.narrow(2, 16, 16).add_(2);
  torch::Tensor palette = torch::rand({19, 3}) * 2 - 1;
  torch::Tensor rgb = palette.index_select(0, labels.view(-1)).view({1, 32, 32, 3}).permute({0, 3, 1, 2});
  rgb = (rgb + 0.1 * torch::randn_like(rgb)).contiguous();
  double first = 0, last = Train(net, rgb, labels, 30, &first);
  EXPECT_LT(last, 0.5 * first) << "first " << first << " last " << last;
}

TEST(ParserTrainMedia, AdamLowersLossOnRealLabelMap) {
  const std::filesystem::path dir = std::filesystem::path(SMILE_MEDIA_DIR) / "celebamask";
  if (!std::filesystem::exists(dir / "0.png") || !std::filesystem::exists(dir / "0.jpg"))
    GTEST_SKIP() << "no real CelebAMask-HQ pairs at " << dir;
  torch::manual_seed(0);
  auto c = Cfg("tiny");
  c.parser_size = 64;
  const int s = c.parser_size;
  cv::Mat lab = cv::imread((dir / "0.png").string(), cv::IMREAD_UNCHANGED);
  cv::Mat img = cv::imread((dir / "0.jpg").string(), cv::IMREAD_COLOR);
  ASSERT_EQ(lab.type(), CV_8UC1);
  ASSERT_FALSE(img.empty());
  cv::resize(lab, lab, cv::Size(s, s), 0, 0, cv::INTER_NEAREST);
  cv::resize(img, img, cv::Size(s, s), 0, 0, cv::INTER_AREA);
  cv::cvtColor(img, img, cv::COLOR_BGR2RGB);
  torch::Tensor labels = torch::from_blob(lab.data, {1, s, s}, torch::kUInt8).clone();
  torch::Tensor rgb = torch::from_blob(img.data, {1, s, s, 3}, torch::kUInt8)
                          .permute({0, 3, 1, 2})
                          .to(torch::kFloat)
                          .div(127.5)
                          .sub(1.0)
                          .contiguous();
  ASSERT_LT(labels.max().item<int>(), 19);
  ParserNet net(c);
  double first = 0, last = Train(net, rgb, labels, 40, &first);
  std::printf("[train] real label map: loss %.3f -> %.3f\n", first, last);
  EXPECT_LT(last, 0.5 * first) << "first " << first << " last " << last;
  // After fitting, the parser reproduces most of the label map.
  ParserPrediction p = net->Predict(rgb);
  double acc = p.labels.eq(labels).to(torch::kFloat).mean().item<double>();
  EXPECT_GT(acc, 0.7) << "pixel accuracy " << acc;
}

TEST(ParserBenchSlow, SecondsPerImageAt128And256) {
  const char* env = std::getenv("SMILE_BENCH_THREADS");  // default 2
  InitTorchRuntime(env ? std::max(1, std::atoi(env)) : 2);
  torch::NoGradGuard ng;
  for (int width : {16, 32})
    for (int size : {128, 256}) {
      auto c = Cfg("paper");
      c.parser_size = size;
      c.parser_base_width = width;
      ParserNet net(c);
      net->eval();
      torch::Tensor x = torch::rand({1, 3, size, size}) * 2 - 1;
      ParserPrediction p = net->Predict(x);  // warm-up
      double t = 1e9;  // best of 5: the shared VM's load only ever adds time
      for (int i = 0; i < 5; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        p = net->Predict(x);
        t = std::min(t, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
      EXPECT_EQ(p.labels.size(1), size);
      std::printf("[bench] parser w=%d %d px: %.4f s/image (%.3f M params)\n", width, size, t,
                  CountParameters(*net) / 1e6);
    }
}

}  // namespace
}  // namespace smile::models
