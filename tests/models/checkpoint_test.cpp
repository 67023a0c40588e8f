#include "models/checkpoint.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "models/synthesis.h"

namespace smile::models {
namespace {

std::string TempPath(const std::string& name) {
  return testing::TempDir() + "/smile_ckpt_" + std::to_string(::getpid()) + "_" + name;
}

std::string ReadAll(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteAll(const std::string& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
}

ModelConfig Tiny() { return ModelConfig::Preset("tiny").value(); }

bool SameWeights(torch::nn::Module& a, torch::nn::Module& b) {
  auto pa = a.named_parameters(), pb = b.named_parameters();
  if (pa.size() != pb.size()) return false;
  for (const auto& p : pa)
    if (!torch::equal(p.value(), pb[p.key()])) return false;
  return true;
}

TEST(Checkpoint, RoundTripWeightsEmaOptimiserAndHeader) {
  auto cfg = Tiny();
  cfg.extra["note"] = "unit test";
  torch::manual_seed(5);
  SynthesisNetwork net(cfg), ema(cfg);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(1e-3));
  // one step so that the optimiser has state
  auto loss = net->mapping->forward(torch::randn({2, cfg.num_classes * cfg.synth_style_dim})).pow(2).mean();
  loss.backward();
  opt.step();
  CheckpointExtras ex;
  ex.labels = {"background", "skin"};
  ex.attributes = {"Male", "Female"};
  ex.metadata["iteration"] = "42";
  ex.ema = ema.get();
  ex.optimizer = &opt;
  const auto path = TempPath("roundtrip.ckpt");
  ASSERT_TRUE(SaveCheckpoint(path, kKindSynth, cfg, *net, ex).ok());

  auto hdr = ReadCheckpointHeader(path);
  ASSERT_TRUE(hdr.ok()) << hdr.status().ToString();
  EXPECT_EQ(hdr->kind, "synth");
  EXPECT_EQ(hdr->format_version, kCheckpointFormatVersion);
  EXPECT_TRUE(hdr->config == cfg);
  EXPECT_EQ(hdr->config.extra.at("note"), "unit test");
  EXPECT_EQ(hdr->labels, ex.labels);
  EXPECT_EQ(hdr->attributes, ex.attributes);
  EXPECT_EQ(hdr->metadata.at("iteration"), "42");

  auto ck = LoadCheckpoint(path, kKindSynth);
  ASSERT_TRUE(ck.ok()) << ck.status().ToString();
  EXPECT_TRUE(ck->has_ema());
  EXPECT_TRUE(ck->has_optimizer());
  torch::manual_seed(99);
  SynthesisNetwork fresh(ck->header().config), fresh_ema(ck->header().config);
  EXPECT_FALSE(SameWeights(*fresh, *net));
  ASSERT_TRUE(ck->LoadInto(*fresh).ok());
  EXPECT_TRUE(SameWeights(*fresh, *net));
  ASSERT_TRUE(ck->LoadEmaInto(*fresh_ema).ok());
  EXPECT_TRUE(SameWeights(*fresh_ema, *ema));
  torch::optim::Adam opt2(fresh->parameters(), torch::optim::AdamOptions(1e-3));
  ASSERT_TRUE(ck->LoadOptimizerInto(opt2).ok());
  // the restored optimiser continues exactly like the original
  auto step = [&](SynthesisNetwork& n, torch::optim::Adam& o) {
    o.zero_grad();
    n->mapping->forward(torch::ones({1, cfg.num_classes * cfg.synth_style_dim})).pow(2).mean().backward();
    o.step();
  };
  step(net, opt);
  step(fresh, opt2);
  EXPECT_TRUE(SameWeights(*fresh, *net));
  // buffers (blur kernels) round-trip too, and same forward
  auto mask = OneHotMask(torch::zeros({1, 32, 32}, torch::kLong), cfg.num_classes);
  auto style = torch::randn({1, cfg.num_classes, cfg.synth_style_dim});
  auto noise = net->generator->MakeNoise(0);
  EXPECT_TRUE(torch::equal(net->generator->forward(mask, style, noise), fresh->generator->forward(mask, style, noise)));
  std::remove(path.c_str());
}

TEST(Checkpoint, NamedBlobsRoundTripAndReservedNamesAreRefused) {
  auto cfg = Tiny();
  torch::manual_seed(5);
  SynthesisNetwork net(cfg);
  CheckpointExtras ex;
  ex.blobs["optimizer.d"] = std::string("\0binary\xff", 8);
  ex.blobs["rng"] = "state";
  const auto path = TempPath("blobs.ckpt");
  ASSERT_TRUE(SaveCheckpoint(path, kKindSynth, cfg, *net, ex).ok());
  auto ck = LoadCheckpoint(path, kKindSynth);
  ASSERT_TRUE(ck.ok()) << ck.status().ToString();
  ASSERT_NE(ck->blob("optimizer.d"), nullptr);
  EXPECT_EQ(*ck->blob("optimizer.d"), ex.blobs["optimizer.d"]);
  EXPECT_EQ(*ck->blob("rng"), "state");
  EXPECT_EQ(ck->blob("missing"), nullptr);
  EXPECT_FALSE(ck->has_optimizer());
  CheckpointExtras bad;
  bad.blobs["ema"] = "x";
  EXPECT_FALSE(SaveCheckpoint(path, kKindSynth, cfg, *net, bad).ok());
  std::remove(path.c_str());
}

TEST(Checkpoint, SaveIsAtomicAndOverwrites) {
  auto cfg = Tiny();
  SynthesisMapping m(cfg);
  const auto path = TempPath("atomic.ckpt");
  WriteAll(path, "old content");
  ASSERT_TRUE(SaveCheckpoint(path, "synth_mapping", cfg, *m).ok());
  EXPECT_TRUE(LoadCheckpoint(path, "synth_mapping").ok());
  EXPECT_FALSE(std::ifstream(path + ".tmp-" + std::to_string(::getpid())).good());
  auto bad = SaveCheckpoint("/nonexistent-dir/x.ckpt", "synth", cfg, *m);
  EXPECT_EQ(bad.code(), StatusCode::kIoError);
  std::remove(path.c_str());
}

class BadCheckpoint : public testing::Test {
 protected:
  void SetUp() override {
    cfg_ = Tiny();
    net_ = SynthesisNetwork(cfg_);
    path_ = TempPath("bad.ckpt");
    ASSERT_TRUE(SaveCheckpoint(path_, kKindSynth, cfg_, *net_).ok());
    bytes_ = ReadAll(path_);
  }
  void TearDown() override { std::remove(path_.c_str()); }
  ModelConfig cfg_;
  SynthesisNetwork net_{nullptr};
  std::string path_, bytes_;
};

TEST_F(BadCheckpoint, MissingFile) {
  auto r = LoadCheckpoint(path_ + ".nope", kKindSynth);
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

TEST_F(BadCheckpoint, Truncated) {
  for (size_t keep : {bytes_.size() - 1, bytes_.size() / 2, size_t{30}, size_t{10}}) {
    WriteAll(path_, bytes_.substr(0, keep));
    auto r = LoadCheckpoint(path_, kKindSynth);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kCorrupt);
    EXPECT_NE(r.status().message().find("truncated"), std::string::npos) << r.status().message();
  }
}

TEST_F(BadCheckpoint, NotACheckpoint) {
  WriteAll(path_, "PK\x03\x04 this is a zip file, not a checkpoint");
  auto r = LoadCheckpoint(path_, kKindSynth);
  EXPECT_EQ(r.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(r.status().message().find("not a smile checkpoint"), std::string::npos);
}

TEST_F(BadCheckpoint, FlippedByteFailsChecksum) {
  auto b = bytes_;
  b[b.size() / 2] ^= 0x40;
  WriteAll(path_, b);
  auto r = LoadCheckpoint(path_, kKindSynth);
  EXPECT_EQ(r.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(r.status().message().find("checksum"), std::string::npos) << r.status().message();
}

TEST_F(BadCheckpoint, WrongKind) {
  SynthesisMapping m(cfg_);
  ASSERT_TRUE(SaveCheckpoint(path_, kKindManip, cfg_, *m).ok());
  auto r = LoadCheckpoint(path_, kKindSynth);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("is a manip checkpoint, expected synth"), std::string::npos)
      << r.status().message();
  EXPECT_TRUE(LoadCheckpoint(path_, "").ok());  // any kind
}

TEST_F(BadCheckpoint, FutureVersion) {
  auto b = bytes_;
  const uint32_t v = kCheckpointFormatVersion + 1;
  std::memcpy(&b[8], &v, 4);
  WriteAll(path_, b);
  auto r = LoadCheckpoint(path_, kKindSynth);
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(r.status().message().find("newer smile"), std::string::npos);
  EXPECT_NE(r.status().message().find("upgrade"), std::string::npos);
}

TEST_F(BadCheckpoint, MismatchedShapesNameTheParameter) {
  auto other = cfg_;
  other.synth_style_dim = 8;  // every style-dependent layer changes shape
  SynthesisNetwork net(other);
  auto ck = LoadCheckpoint(path_, kKindSynth);
  ASSERT_TRUE(ck.ok());
  auto s = ck->LoadInto(*net);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("has shape ["), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("] in the checkpoint but ["), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("parameter '"), std::string::npos) << s.message();
}

TEST_F(BadCheckpoint, MissingAndUnexpectedParameters) {
  auto ck = LoadCheckpoint(path_, kKindSynth);
  ASSERT_TRUE(ck.ok());
  SynthesisGenerator g(cfg_);  // a sub-network: names differ (no "generator." prefix)
  auto s = ck->LoadInto(*g);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("has no parameter"), std::string::npos) << s.message();
  // a network with fewer parameters than the checkpoint: the checkpoint has extras
  auto small = cfg_;
  small.synth_mapping_layers = 1;
  SynthesisNetwork fewer(small);
  auto s2 = ck->LoadInto(*fewer);
  ASSERT_FALSE(s2.ok());
  EXPECT_NE(s2.message().find("that the network lacks"), std::string::npos) << s2.message();
  EXPECT_EQ(ck->LoadEmaInto(*net_).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace smile::models
