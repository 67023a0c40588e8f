// Seeded mutation fuzzing of the media readers (image headers through OpenCV,
// video containers through FFmpeg, ProbeMedia, PNG text reader) for a bounded
// time: every outcome is frames or a Status; nothing crashes, hangs or throws.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <random>

#include <opencv2/imgcodecs.hpp>

#include "capture/media_info.h"
#include "capture/provenance.h"
#include "capture/sink.h"
#include "capture/source.h"
#include "capture_test_util.h"

namespace smile::capture {
namespace {

using testing::TempDir;
using testing::TestImage;

std::string ReadAll(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
void WriteAll(const std::string& p, const std::string& b) {
  std::ofstream(p, std::ios::binary | std::ios::trunc).write(b.data(), static_cast<std::streamsize>(b.size()));
}

// Mostly mutates the first `hot` bytes (headers, indexes), sometimes anywhere.
std::string Mutate(std::string b, std::mt19937_64& rng, size_t hot) {
  const int edits = 1 + static_cast<int>(rng() % 6);
  for (int e = 0; e < edits && !b.empty(); ++e) {
    const size_t span = (rng() % 4 == 0) ? b.size() : std::min(hot, b.size());
    const size_t pos = rng() % span;
    switch (rng() % 6) {
      case 0: b[pos] = static_cast<char>(rng()); break;
      case 1: b[pos] ^= static_cast<char>(1u << (rng() % 8)); break;
      case 2: b.erase(pos, 1 + rng() % 32); break;
      case 3: b.insert(pos, std::string(1 + rng() % 32, static_cast<char>(rng()))); break;
      case 4: {
        const uint32_t vals[] = {0, 1, 0x7fffffff, 0xffffffff, 0x10000, 0x8000};
        uint32_t v = vals[rng() % 6];
        if (pos + 4 <= b.size()) std::memcpy(&b[pos], &v, 4);
        break;
      }
      case 5: b.resize(pos); break;  // truncate
    }
  }
  return b;
}

// Reads a handful of frames; returns false when something other than a Status came back.
void Exercise(const std::string& path, int* frames, int* errors) {
  auto src = OpenSource(path);
  if (!src.ok()) {
    EXPECT_FALSE(src.status().message().empty());
    ++*errors;
  } else {
    for (int i = 0; i < 8; ++i) {
      auto f = (*src)->Read();
      if (!f.ok()) {
        EXPECT_FALSE(f.status().message().empty());
        break;
      }
      EXPECT_FALSE(f->empty());
      ++*frames;
    }
  }
  (void)ProbeMedia(path);
}

TEST(MediaFuzzSlow, MutatedImagesAndVideosGiveFramesOrStatus) {
  TempDir dir;
  // Seeds: PNG (with a tEXt chunk), JPEG, H.264 in MP4 (faststart) and MKV.
  struct Seed {
    std::string ext, bytes;
    size_t hot;
  };
  std::vector<Seed> seeds;
  {
    auto png = EncodeImage(".png", TestImage(48, 32, 1));
    auto jpg = EncodeImage(".jpg", TestImage(48, 32, 2));
    ASSERT_TRUE(png.ok() && jpg.ok());
    seeds.push_back({".png", std::string(png->begin(), png->end()), 256});
    seeds.push_back({".jpg", std::string(jpg->begin(), jpg->end()), 700});
  }
  for (const char* ext : {".mp4", ".mkv"}) {
    SinkOptions o;
    o.preset = "ultrafast";
    auto sink = OpenSink(dir / (std::string("seed") + ext), o);
    ASSERT_TRUE(sink.ok());
    for (int i = 0; i < 4; ++i) ASSERT_TRUE((*sink)->Write(Frame::FromMat(TestImage(64, 48, i), i * 40000, i)).ok());
    ASSERT_TRUE((*sink)->Close().ok());
    seeds.push_back({ext, ReadAll(dir / (std::string("seed") + ext)), 2048});
  }
  std::mt19937_64 rng(20211011);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  int runs = 0, frames = 0, errors = 0;
  while (std::chrono::steady_clock::now() < deadline && runs < 5000) {
    const Seed& s = seeds[runs % seeds.size()];
    const std::string b = Mutate(s.bytes, rng, s.hot);
    const std::string path = dir / ("case" + s.ext);
    WriteAll(path, b);
    ++runs;
    try {
      Exercise(path, &frames, &errors);
      if (s.ext == ".png") (void)ReadPngText(std::vector<unsigned char>(b.begin(), b.end()));
      if (s.ext == ".jpg") (void)ReadJpegComment(path);
    } catch (const std::exception& e) {
      WriteAll(dir.path() + "/../smile-fuzz-crash" + s.ext, b);
      FAIL() << "exception on run " << runs << " (" << s.ext << "): " << e.what();
    }
  }
  std::printf("media fuzz: %d mutated files, %d frames decoded, %d refused with a Status\n", runs, frames, errors);
  EXPECT_GT(runs, 40);
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace smile::capture
