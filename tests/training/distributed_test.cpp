// training/distributed: the c10d / Gloo process group, the local launcher, and data-parallel
// `smile train --nproc 2` end to end (through the smile binary, on the shared media):
//   - 2 processes x batch 2 end with the same parser weights (and BatchNorm statistics) as
//     1 process x batch 4 split into 2 micro-batches (what the 2 processes compute: each
//     BatchNorm / Dice sees its own 2 samples), within 2e-5;
//   - a distributed run stopped and resumed equals an uninterrupted one exactly;
//   - the synthesis stage runs on 2 processes (replica check passes) with rank 0 writing.
#include "training/distributed.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "models/checkpoint.h"
#include "models/parser_net.h"
#include "test_util.h"

namespace smile::training {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

TEST(Distributed, BadMastersAreRefusedClearly) {
  DistributedOptions o;
  o.world = 2;
  o.rank = 0;
  o.master = "";
  EXPECT_FALSE(Distributed::Connect(o).ok());
  o.master = "localhost";  // no port
  auto r = Distributed::Connect(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("HOST:PORT"), std::string::npos) << r.status().message();
  o.master = "localhost:99999";
  EXPECT_FALSE(Distributed::Connect(o).ok());
  o.rank = 2;
  o.master = "file:///tmp/x";
  EXPECT_FALSE(Distributed::Connect(o).ok());
}

TEST(Distributed, SingleProcessGroupIsANoOp) {
  TempDir t;
  DistributedOptions o;
  o.master = "file://" + t.str() + "/store";
  auto d = Distributed::Connect(o);
  ASSERT_TRUE(d.ok()) << d.status().message();
  auto x = torch::tensor({1.0f, 2.0f});
  ASSERT_TRUE((*d)->AllReduceMean({x}).ok());
  ASSERT_TRUE((*d)->Broadcast({x}).ok());
  ASSERT_TRUE((*d)->Barrier().ok());
  EXPECT_TRUE(torch::equal(x, torch::tensor({1.0f, 2.0f})));
  auto fp = Fingerprint({x, torch::tensor({3.0})});
  EXPECT_DOUBLE_EQ(fp.first, 6.0);
  EXPECT_DOUBLE_EQ(fp.second, 14.0);
}

TEST(Distributed, LauncherReportsTheFailureAndStopsTheOthers) {
  // Rank 0 sleeps, rank 1 fails at once: the launcher returns 3 without waiting 30 s.
  const auto t0 = std::chrono::steady_clock::now();
  auto r = RunLocalWorkers({"/bin/sh", "-c", "if [ \"$0\" = 1 ]; then exit 3; fi; sleep 30"}, 2,
                           [](int rank) { return std::vector<std::string>{std::to_string(rank)}; }, 2);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 3);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10.0);
  auto ok = RunLocalWorkers({"/bin/sh", "-c", "exit 0"}, 3, [](int) { return std::vector<std::string>{}; });
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 0);
}

// ---------------------------------------------------------------- through the binary
struct CmdResult {
  int code = -1;
  std::string out;
};

CmdResult Smile(const std::vector<std::string>& args) {
  std::string cmd = SMILE_BIN;
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " 2>&1";
  CmdResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// images/ + labels/: the two real CelebAMask-HQ pairs and blurred copies (4 samples).
std::string MakeData(const TempDir& t) {
  const std::string root = t.str() + "/data";
  fs::create_directories(root + "/images");
  fs::create_directories(root + "/labels");
  for (int i = 0; i < 2; ++i) {
    cv::Mat img = cv::imread(testing::CelebAMaskDir() + "/" + std::to_string(i) + ".jpg");
    cv::Mat lab = cv::imread(testing::CelebAMaskDir() + "/" + std::to_string(i) + ".png", cv::IMREAD_GRAYSCALE);
    cv::resize(img, img, cv::Size(128, 128), 0, 0, cv::INTER_AREA);
    cv::resize(lab, lab, cv::Size(128, 128), 0, 0, cv::INTER_NEAREST);
    cv::imwrite(root + "/images/f" + std::to_string(i) + ".jpg", img);
    cv::imwrite(root + "/labels/f" + std::to_string(i) + ".png", lab);
    cv::GaussianBlur(img, img, cv::Size(3, 3), 0);
    cv::imwrite(root + "/images/g" + std::to_string(i) + ".jpg", img);
    cv::imwrite(root + "/labels/g" + std::to_string(i) + ".png", lab);
  }
  return root;
}

std::vector<std::string> Args(const std::string& stage, const std::string& data, const std::string& out, int iters,
                              int batch) {
  return {"--quiet", "train", stage, "--data", data, "--out", out, "--config", "tiny", "--iters",
          std::to_string(iters), "--batch", std::to_string(batch), "--checkpoint-every", "2", "--sample-every", "0",
          "--device", "cpu", "--seed", "5", "--workers", "1"};
}

std::vector<std::string> With(std::vector<std::string> a, const std::vector<std::string>& more) {
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

// Largest absolute difference over every weight and buffer of two parser checkpoints.
double ParserDifference(const std::string& a, const std::string& b) {
  auto ca = models::LoadCheckpoint(a, models::kKindParser);
  auto cb = models::LoadCheckpoint(b, models::kKindParser);
  EXPECT_TRUE(ca.ok() && cb.ok());
  if (!ca.ok() || !cb.ok()) return 1e9;
  models::ParserNet na(ca->header().config), nb(cb->header().config);
  EXPECT_TRUE(ca->LoadInto(*na).ok());
  EXPECT_TRUE(cb->LoadInto(*nb).ok());
  double worst = 0;
  auto pb = nb->named_parameters(true);
  for (const auto& p : na->named_parameters(true))
    worst = std::max(worst, (p.value() - pb[p.key()]).abs().max().item<double>());
  auto bb = nb->named_buffers(true);
  for (const auto& p : na->named_buffers(true))
    if (p.value().is_floating_point())
      worst = std::max(worst, (p.value() - bb[p.key()]).abs().max().item<double>());
  return worst;
}

TEST(DistributedMedia, TwoProcessesMatchOneProcessWithTheirShardsAndResumeExactly) {
  if (!testing::HaveCelebAMask()) GTEST_SKIP() << "shared media not found at " << testing::CelebAMaskDir();
  ASSERT_TRUE(fs::exists(SMILE_BIN)) << "build the smile target first";
  TempDir t;
  const std::string data = MakeData(t);
  // 2 processes x batch 2, 3 iterations.
  CmdResult two = Smile(With(Args("parser", data, t.str() + "/two", 3, 2), {"--nproc", "2"}));
  ASSERT_EQ(two.code, 0) << two.out;
  EXPECT_NE(two.out.find("2 processes x batch 2 = global batch 4"), std::string::npos) << two.out;
  EXPECT_NE(two.out.find("iterations 0 -> 3"), std::string::npos) << two.out;
  // Only rank 0 wrote (one log of 3 lines); the rendezvous file is gone.
  std::ifstream log(t.str() + "/two/losses.jsonl");
  int lines = 0;
  for (std::string l; std::getline(log, l);) ++lines;
  EXPECT_EQ(lines, 3);
  for (const auto& e : fs::directory_iterator(t.str() + "/two"))
    EXPECT_EQ(e.path().filename().string().rfind(".dist-store", 0), std::string::npos) << e.path();
  // 1 process x batch 4 in 2 micro-batches: the same computation.
  CmdResult one = Smile(With(Args("parser", data, t.str() + "/one", 3, 4), {"--micro-batches", "2"}));
  ASSERT_EQ(one.code, 0) << one.out;
  const double diff = ParserDifference(t.str() + "/two/parser.ckpt", t.str() + "/one/parser.ckpt");
  std::printf("[ info ] parser, 3 iterations: |2 procs x 2 - 1 proc x 4 (2 micro-batches)| max = %.3g\n", diff);
  EXPECT_LT(diff, 2e-5);
  // For the record: a plain batch of 4 (BatchNorm and Dice over all 4) is a different computation.
  CmdResult plain = Smile(Args("parser", data, t.str() + "/plain", 3, 4));
  ASSERT_EQ(plain.code, 0) << plain.out;
  std::printf("[ info ] parser, 3 iterations: |2 procs x 2 - 1 proc x 4 (one batch)| max = %.3g\n",
              ParserDifference(t.str() + "/two/parser.ckpt", t.str() + "/plain/parser.ckpt"));

  // Distributed resume: 2 then 2 more iterations == 4 at once (continuing the 3-iteration run
  // would need the same total; start fresh runs).
  CmdResult a = Smile(With(Args("parser", data, t.str() + "/a", 4, 2), {"--nproc", "2"}));
  ASSERT_EQ(a.code, 0) << a.out;
  CmdResult b1 = Smile(With(Args("parser", data, t.str() + "/b", 2, 2), {"--nproc", "2"}));
  ASSERT_EQ(b1.code, 0) << b1.out;
  CmdResult b2 = Smile(With(Args("parser", data, t.str() + "/b", 4, 2), {"--nproc", "2", "--resume"}));
  ASSERT_EQ(b2.code, 0) << b2.out;
  EXPECT_NE(b2.out.find("iterations 2 -> 4"), std::string::npos) << b2.out;
  EXPECT_EQ(ParserDifference(t.str() + "/a/parser.ckpt", t.str() + "/b/parser.ckpt"), 0.0);
}

TEST(DistributedMedia, SynthesisTrainsOnTwoProcesses) {
  if (!testing::HaveCelebAMask()) GTEST_SKIP() << "shared media not found at " << testing::CelebAMaskDir();
  ASSERT_TRUE(fs::exists(SMILE_BIN)) << "build the smile target first";
  TempDir t;
  const std::string data = MakeData(t);
  // Noise, random styles and the path-length draws differ per rank (reseeded per iteration
  // and rank), so no single-process equality exists; the replicas must stay identical (the
  // run checks their fingerprints at the end and fails otherwise) and rank 0 writes.
  CmdResult r = Smile(With(Args("synth", data, t.str() + "/s", 2, 1), {"--nproc", "2"}));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("iterations 0 -> 2"), std::string::npos) << r.out;
  for (const char* f : {"state.ckpt", "synth.ckpt", "losses.jsonl", "report.txt"})
    EXPECT_TRUE(fs::exists(t.str() + "/s/" + std::string(f))) << f;
  std::ifstream rep(t.str() + "/s/report.txt");
  std::string report((std::istreambuf_iterator<char>(rep)), std::istreambuf_iterator<char>());
  EXPECT_NE(report.find("data-parallel: 2 processes"), std::string::npos) << report;
  // Bad combinations are refused before anything starts.
  CmdResult bad = Smile(With(Args("synth", data, t.str() + "/s2", 2, 1), {"--nproc", "2", "--world", "2"}));
  EXPECT_EQ(bad.code, 2) << bad.out;
  CmdResult micro = Smile(With(Args("synth", data, t.str() + "/s3", 2, 2), {"--micro-batches", "2"}));
  EXPECT_EQ(micro.code, 2) << micro.out;
}

}  // namespace
}  // namespace smile::training
