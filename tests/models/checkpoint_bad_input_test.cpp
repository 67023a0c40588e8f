// Checkpoints that are damaged, of the wrong kind or config, from a newer smile
// or holding NaN weights: each fails with a Status that says what is wrong and
// what to do. CheckpointFuzzSlow mutates valid files (re-sealing size and
// checksum so the mutations reach the inner records) for a bounded time.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include "models/checkpoint.h"
#include "models/config.h"
#include "models/torch_pch.h"

namespace smile::models {
namespace {

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "/smile_ckbad_" + std::to_string(::getpid()) + "_" + name;
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

// A small two-layer network (like every smile network: named parameters + buffers).
struct NetImpl : torch::nn::Module {
  explicit NetImpl(int in = 4, int out = 3) {
    fc1 = register_module("fc1", torch::nn::Linear(in, 8));
    fc2 = register_module("fc2", torch::nn::Linear(8, out));
    register_buffer("scale", torch::ones({out}));
  }
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(Net);

std::string SaveNet(const std::string& name, Net net, const std::string& kind = kKindSynth) {
  const std::string p = TempPath(name);
  Status s = SaveCheckpoint(p, kind, Tiny(), *net);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return p;
}

uint64_t Fnv1a64(const char* data, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(data[i])) * 1099511628211ull;
  return h;
}
// Rewrites the total size and checksum so a mutated body passes the envelope checks.
void Reseal(std::string& b) {
  if (b.size() < 20 + 16) return;
  uint64_t total = b.size();
  std::memcpy(&b[12], &total, 8);
  const size_t body = b.size() - 16;
  uint64_t sum = Fnv1a64(b.data(), body);
  std::memcpy(&b[body], &sum, 8);
}

TEST(CheckpointBadInput, TruncatedAtAnyPointIsCorrupt) {
  const std::string p = SaveNet("trunc.ckpt", Net());
  const std::string full = ReadAll(p);
  for (size_t cut : {size_t(0), size_t(5), size_t(19), full.size() / 3, full.size() / 2, full.size() - 1}) {
    WriteAll(p, full.substr(0, cut));
    auto r = LoadCheckpoint(p, kKindSynth);
    ASSERT_FALSE(r.ok()) << "cut at " << cut;
    EXPECT_EQ(r.status().code(), StatusCode::kCorrupt) << r.status().ToString();
    EXPECT_NE(r.status().message().find(p), std::string::npos) << r.status().ToString();
  }
  std::remove(p.c_str());
}

TEST(CheckpointBadInput, WrongKindSaysWhichKindItIs) {
  const std::string p = SaveNet("kind.ckpt", Net(), kKindManip);
  auto r = LoadCheckpoint(p, kKindSynth);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("is a manip checkpoint, expected synth"), std::string::npos)
      << r.status().ToString();
  std::remove(p.c_str());
}

TEST(CheckpointBadInput, WrongConfigNamesTheParameterAndShapes) {
  const std::string p = SaveNet("config.ckpt", Net(4, 3));
  auto r = LoadCheckpoint(p, kKindSynth);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Net other(5, 3);
  Status s = r->LoadInto(*other);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("fc1.weight"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("config"), std::string::npos) << s.ToString();
  std::remove(p.c_str());
}

TEST(CheckpointBadInput, NewerFormatVersionSaysUpgrade) {
  const std::string p = SaveNet("newer.ckpt", Net());
  std::string b = ReadAll(p);
  const uint32_t v = kCheckpointFormatVersion + 1;
  std::memcpy(&b[8], &v, 4);
  Reseal(b);
  WriteAll(p, b);
  auto r = LoadCheckpoint(p, kKindSynth);
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported) << r.status().ToString();
  EXPECT_NE(r.status().message().find("upgrade smile"), std::string::npos) << r.status().ToString();
  std::remove(p.c_str());
}

TEST(CheckpointBadInput, NanOrInfiniteWeightsAreRefused) {
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    Net net;
    {
      torch::NoGradGuard ng;
      net->fc2->weight[1][2] = bad;
    }
    const std::string p = SaveNet("nan.ckpt", net);
    auto r = LoadCheckpoint(p, kKindSynth);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    Net fresh;
    const torch::Tensor before = fresh->fc2->weight.clone();
    Status s = r->LoadInto(*fresh);
    EXPECT_EQ(s.code(), StatusCode::kCorrupt) << s.ToString();
    EXPECT_NE(s.message().find("fc2.weight"), std::string::npos) << s.ToString();
    EXPECT_NE(s.message().find("NaN"), std::string::npos) << s.ToString();
    EXPECT_TRUE(torch::equal(before, fresh->fc2->weight)) << "a refused checkpoint must not change the network";
    std::remove(p.c_str());
  }
}

TEST(CheckpointBadInput, HugeShapeInAResealedFileDoesNotAllocate) {
  const std::string p = SaveNet("shape.ckpt", Net());
  std::string b = ReadAll(p);
  // fc1.weight has dims {8, 4} stored as two int64 after its name, dtype and rank.
  const std::string key = "fc1.weight";
  size_t at = b.find(key);
  ASSERT_NE(at, std::string::npos);
  at += key.size() + 1 + 4;  // name, dtype (i8), rank (u32)
  int64_t dims[2];
  std::memcpy(dims, &b[at], 16);
  ASSERT_EQ(dims[0], 8);
  ASSERT_EQ(dims[1], 4);
  dims[0] = int64_t(1) << 40;  // 4 TiB of floats
  dims[1] = int64_t(1) << 22;
  std::memcpy(&b[at], dims, 16);
  Reseal(b);
  WriteAll(p, b);
  auto r = LoadCheckpoint(p, kKindSynth);
  EXPECT_EQ(r.status().code(), StatusCode::kCorrupt) << r.status().ToString();
  std::remove(p.c_str());
}

// Seeded mutation fuzzing of the checkpoint reader for a bounded time: every
// outcome is a Status (or a loadable checkpoint); nothing crashes or throws.
TEST(CheckpointFuzzSlow, MutatedCheckpointsGiveStatusNeverCrash) {
  const std::string seed_path = SaveNet("fuzz_seed.ckpt", Net());
  const std::string seed = ReadAll(seed_path);
  const std::string p = TempPath("fuzz.ckpt");
  std::mt19937_64 rng(20211010);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int runs = 0, loaded = 0;
  while (std::chrono::steady_clock::now() < deadline && runs < 20000) {
    std::string b = seed;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      const size_t pos = rng() % b.size();
      switch (rng() % 5) {
        case 0: b[pos] = static_cast<char>(rng()); break;                       // random byte
        case 1: b[pos] ^= static_cast<char>(1u << (rng() % 8)); break;          // bit flip
        case 2: b.erase(pos, 1 + rng() % 16); break;                            // delete
        case 3: b.insert(pos, std::string(1 + rng() % 16, char(rng()))); break;  // insert
        case 4: {                                                                 // interesting u32/i64
          const uint64_t vals[] = {0, 1, 0xff, 0xffffffffull, 0x7fffffffffffffffull, ~0ull, 1ull << 31};
          uint64_t v = vals[rng() % 7];
          if (pos + 8 <= b.size()) std::memcpy(&b[pos], &v, 8);
          break;
        }
      }
      if (b.empty()) b = "S";
    }
    if (rng() % 4 != 0) Reseal(b);  // mostly reach the inner records
    WriteAll(p, b);
    ++runs;
    try {
      auto r = LoadCheckpoint(p, kKindSynth);
      if (r.ok()) {
        ++loaded;
        Net net;
        (void)r->LoadInto(*net);  // ok or a Status
      } else {
        EXPECT_FALSE(r.status().message().empty());
      }
      (void)ReadCheckpointHeader(p);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "exception after " << runs << " runs: " << e.what();
      WriteAll(TempPath("fuzz_crash.ckpt"), b);
      break;
    }
  }
  std::printf("checkpoint fuzz: %d mutated files, %d loaded\n", runs, loaded);
  EXPECT_GT(runs, 100);
  std::remove(p.c_str());
  std::remove(seed_path.c_str());
}

}  // namespace
}  // namespace smile::models
