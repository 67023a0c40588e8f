#include "engine/face_embedding.h"

#include <cstdio>
#include <filesystem>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "capture/source.h"
#include "engine/face_detector.h"
#include "models/runtime.h"

namespace smile::engine {
namespace {

std::string Media(const std::string& rel) { return std::string(SMILE_MEDIA_DIR) + "/" + rel; }

// Frames far apart in one talking-head clip are closer in embedding space than faces of other
// people (other clips and CelebA-HQ photos).
TEST(FaceEmbeddingMedia, SamePersonIsCloserThanOthers) {
  if (!std::filesystem::exists(Media("video/d3.mp4"))) GTEST_SKIP() << "no shared media at " << SMILE_MEDIA_DIR;
  auto emb = FaceEmbedder::Load();
  if (!emb.ok()) GTEST_SKIP() << emb.status().ToString();
  models::InitTorchRuntime(std::getenv("SMILE_THREADS") ? std::atoi(std::getenv("SMILE_THREADS")) : 2);
  auto lm = LandmarkDetector::Load();
  ASSERT_TRUE(lm.ok());
  FaceDetector det;
  auto embed = [&](const cv::Mat& img) -> std::vector<float> {
    const auto d = det.Detect(img);
    if (d.empty()) return {};
    auto e = emb->Embed(img, lm->Fit(ToGray(img), d[0].box));
    return e.ok() ? *e : std::vector<float>{};
  };
  auto frames = [&](const std::string& clip, std::vector<int> at) {
    std::vector<std::vector<float>> out;
    auto src = capture::OpenSource(Media(clip));
    if (!src.ok()) return out;
    for (int i = 0; i <= at.back(); ++i) {
      auto f = (*src)->Read();
      if (!f.ok()) break;
      if (std::find(at.begin(), at.end(), i) != at.end()) out.push_back(embed(*f->image));
    }
    return out;
  };
  const auto same = frames("video/d3.mp4", {0, 150, 300});
  ASSERT_EQ(same.size(), 3u);
  std::vector<std::vector<float>> others = {frames("video/d6.mp4", {0})[0], frames("video/d10.mp4", {0})[0]};
  for (const char* f : {"celebamask/0.jpg", "celebamask/1.jpg", "faces/lp_s0.jpg"}) others.push_back(embed(cv::imread(Media(f))));
  double same_max = 0, other_min = 2;
  for (size_t i = 0; i < same.size(); ++i) {
    ASSERT_EQ(same[i].size(), 1024u);
    for (size_t j = i + 1; j < same.size(); ++j) same_max = std::max(same_max, FaceEmbedder::Distance(same[i], same[j]));
    for (const auto& o : others) {
      ASSERT_FALSE(o.empty());
      other_min = std::min(other_min, FaceEmbedder::Distance(same[i], o));
    }
  }
  std::printf("FaceRes descriptor cosine distance: same person (d3, 3 frames) max %.3f, other people min %.3f\n", same_max,
              other_min);
  EXPECT_LT(same_max, other_min);
}

}  // namespace
}  // namespace smile::engine
