#include "training/loader.h"

#include <gtest/gtest.h>

#include <chrono>

#include <opencv2/imgcodecs.hpp>

#include "models/image_tensor.h"
#include "tests/training/test_util.h"
#include "training/labels.h"

namespace smile::training {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

// n synthetic pairs whose pictures differ (a shifted square encodes the index).
std::shared_ptr<const Dataset> MakeDataset(const TempDir& dir, int n, int bad = -1) {
  fs::create_directories(dir.path() / "images");
  fs::create_directories(dir.path() / "labels");
  for (int i = 0; i < n; ++i) {
    cv::Mat labels = testing::SyntheticLabels(48);
    cv::rectangle(labels, cv::Point(i % 40, 0), cv::Point(i % 40 + 6, 3), cv::Scalar(kHat), cv::FILLED);
    char stem[16];
    std::snprintf(stem, sizeof(stem), "%03d", i);
    cv::imwrite((dir.path() / "images" / (std::string(stem) + ".png")).string(), testing::SyntheticImage(labels));
    if (i == bad) labels.at<uint8_t>(5, 5) = 77;
    cv::imwrite((dir.path() / "labels" / (std::string(stem) + ".png")).string(), labels);
  }
  auto ds = OpenDataset(dir.str());
  EXPECT_TRUE(ds.ok()) << ds.status().ToString();
  return std::shared_ptr<const Dataset>(std::move(ds).value());
}

LoaderOptions Options(int workers, uint64_t seed = 7) {
  LoaderOptions o;
  o.batch_size = 4;
  o.workers = workers;
  o.seed = seed;
  o.augment.size = 32;
  return o;
}

std::vector<Batch> Take(DataLoader& l, int n) {
  std::vector<Batch> out;
  for (int i = 0; i < n; ++i) {
    auto b = l.Next();
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    if (!b.ok()) break;
    out.push_back(std::move(b).value());
  }
  return out;
}

void ExpectSame(const Batch& a, const Batch& b) {
  EXPECT_EQ(a.indices, b.indices);
  EXPECT_EQ(a.epoch, b.epoch);
  EXPECT_EQ(a.position, b.position);
  EXPECT_TRUE(torch::equal(a.images, b.images));
  EXPECT_TRUE(torch::equal(a.labels, b.labels));
  EXPECT_TRUE(torch::equal(a.attributes, b.attributes));
}

TEST(DataLoader, BatchesHaveTheDocumentedShapesAndRanges) {
  TempDir dir;
  auto ds = MakeDataset(dir, 10);
  auto l = DataLoader::Create(ds, Options(2));
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  auto b = (*l)->Next();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->images.sizes(), torch::IntArrayRef({4, 3, 32, 32}));
  EXPECT_EQ(b->images.dtype(), torch::kFloat32);
  EXPECT_GE(b->images.min().item<float>(), -1.f);
  EXPECT_LE(b->images.max().item<float>(), 1.f);
  EXPECT_EQ(b->onehot.sizes(), torch::IntArrayRef({4, 19, 32, 32}));
  EXPECT_TRUE(torch::equal(b->onehot.sum(1), torch::ones({4, 32, 32})));
  EXPECT_TRUE(torch::equal(b->onehot.argmax(1), b->labels));
  EXPECT_EQ(b->labels.dtype(), torch::kInt64);
  EXPECT_LE(b->labels.max().item<int64_t>(), 18);
  EXPECT_EQ(b->attributes.sizes(), torch::IntArrayRef({4, 6}));
  EXPECT_EQ(b->attributes[0][kAttrHat].item<int64_t>(), 0);  // derived from the masks
  EXPECT_EQ(b->attributes[0][kAttrGender].item<int64_t>(), -1);
  EXPECT_FALSE(b->attribute_real.any().item<bool>());
  EXPECT_EQ(b->keys.size(), 4u);
  // RGB order: the skin palette colour (204,0,0) shows up as a red-dominant pixel.
  cv::Mat img = models::TensorToImage(b->images[0]);
  cv::Mat lab = models::TensorToLabels(b->labels[0]);
  EXPECT_EQ(img.size(), cv::Size(32, 32));
  int red = 0, skin = 0;
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 32; ++x)
      if (lab.at<uint8_t>(y, x) == kSkin) {
        ++skin;
        cv::Vec3b p = img.at<cv::Vec3b>(y, x);
        red += p[2] > p[0] + 60;
      }
  EXPECT_GT(red, skin * 0.8);
  EXPECT_EQ(cv::countNonZero(models::TensorToLabels(b->onehot.narrow(0, 0, 1)) != lab), 0);
}

TEST(DataLoader, SameSeedSameBatchesWhateverTheWorkers) {
  TempDir dir;
  auto ds = MakeDataset(dir, 10);
  auto a = DataLoader::Create(ds, Options(1));
  auto b = DataLoader::Create(ds, Options(3));
  auto c = DataLoader::Create(ds, Options(2, 8));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  auto ba = Take(**a, 6), bb = Take(**b, 6), bc = Take(**c, 6);
  ASSERT_EQ(ba.size(), 6u);
  ASSERT_EQ(bb.size(), 6u);
  for (int i = 0; i < 6; ++i) ExpectSame(ba[i], bb[i]);
  bool differs = false;
  for (int i = 0; i < 6; ++i) differs |= ba[i].indices != bc[i].indices;
  EXPECT_TRUE(differs) << "another seed must shuffle differently";
}

TEST(DataLoader, EpochsAreShuffledPermutationsWithDropLast) {
  TempDir dir;
  auto ds = MakeDataset(dir, 10);
  auto l = DataLoader::Create(ds, Options(2));
  ASSERT_TRUE(l.ok());
  EXPECT_EQ((*l)->batches_per_epoch(), 2);
  auto batches = Take(**l, 6);  // 3 epochs of 2 batches (8 of 10 samples each)
  std::vector<std::vector<int64_t>> epochs(3);
  for (const auto& b : batches) {
    EXPECT_EQ(b.size(), 4);
    for (auto i : b.indices) epochs[b.epoch].push_back(i);
  }
  for (auto& e : epochs) {
    ASSERT_EQ(e.size(), 8u);
    std::set<int64_t> unique(e.begin(), e.end());
    EXPECT_EQ(unique.size(), 8u);  // no repeats inside an epoch
  }
  EXPECT_NE(epochs[0], epochs[1]);
  LoaderState s = (*l)->state();
  EXPECT_EQ(s.epoch, 2);
  EXPECT_EQ(s.position, 8);
  EXPECT_EQ(s.batches, 6);
}

TEST(DataLoader, ResumeSeesExactlyTheSameNextBatches) {
  TempDir dir, state_dir;
  auto ds = MakeDataset(dir, 10);
  auto ref = DataLoader::Create(ds, Options(2));
  ASSERT_TRUE(ref.ok());
  auto all = Take(**ref, 9);
  // A run that stops after 3 batches (mid-epoch 1) and saves its state.
  auto first = DataLoader::Create(ds, Options(2));
  Take(**first, 3);
  std::string path = (state_dir.path() / "loader.state").string();
  ASSERT_TRUE((*first)->state().Save(path).ok());
  first->reset();
  // The resumed run, with another worker count.
  auto loaded = LoaderState::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->batches, 3);
  auto resumed = DataLoader::Create(ds, Options(1));
  ASSERT_TRUE((*resumed)->Restore(*loaded).ok());
  auto rest = Take(**resumed, 6);
  ASSERT_EQ(rest.size(), 6u);
  for (int i = 0; i < 6; ++i) ExpectSame(rest[i], all[3 + i]);
  // Restoring an older state on a running loader rewinds it.
  LoaderState zero;
  zero.seed = 7;
  ASSERT_TRUE((*resumed)->Restore(zero).ok());
  ExpectSame(Take(**resumed, 1)[0], all[0]);
  // A different seed is refused with a fix.
  zero.seed = 99;
  Status s = (*resumed)->Restore(zero);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("--seed"), std::string::npos);
}

TEST(DataLoader, StateRoundTripsAndRejectsGarbage) {
  LoaderState s;
  s.seed = 123456789012345ull;
  s.epoch = 4;
  s.position = 16;
  s.batches = 77;
  auto p = LoaderState::Parse(s.Serialize());
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(*p == s);
  EXPECT_FALSE(LoaderState::Parse("seed=1\nepoch=x\nposition=0\nbatches=0\n").ok());
  EXPECT_FALSE(LoaderState::Parse("seed=1\n").ok());
}

TEST(DataLoader, BadSamplesAreSkippedCountedAndReplacedDeterministically) {
  TempDir dir;
  auto ds = MakeDataset(dir, 8, /*bad=*/3);
  auto a = DataLoader::Create(ds, Options(2));
  auto b = DataLoader::Create(ds, Options(1));
  auto ba = Take(**a, 6), bb = Take(**b, 6);
  ASSERT_EQ(ba.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    ExpectSame(ba[i], bb[i]);
    EXPECT_EQ(ba[i].size(), 4);
    for (auto idx : ba[i].indices) EXPECT_NE(idx, 3);
  }
  EXPECT_EQ((*a)->skipped().total(), 1);
  EXPECT_EQ((*a)->skipped().count("bad class id"), 1) << (*a)->skipped().ToString();
}

TEST(DataLoader, RefusesImpossibleSettings) {
  TempDir dir;
  auto ds = MakeDataset(dir, 3);
  auto o = Options(1);
  EXPECT_FALSE(DataLoader::Create(ds, o).ok());  // 3 samples < batch 4 with drop_last
  o.drop_last = false;
  auto l = DataLoader::Create(ds, o);
  ASSERT_TRUE(l.ok());
  auto b = (*l)->Next();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->size(), 3);
  o.indices = {0, 5};
  EXPECT_FALSE(DataLoader::Create(ds, o).ok());
  o.indices = {};
  o.batch_size = 0;
  EXPECT_FALSE(DataLoader::Create(ds, o).ok());
}

double MeasureRate(std::unique_ptr<Dataset> ds, const char* what) {
  LoaderOptions o;
  o.batch_size = 8;
  o.workers = 2;
  o.augment.size = 128;
  auto l = DataLoader::Create(std::shared_ptr<const Dataset>(std::move(ds)), o);
  EXPECT_TRUE(l.ok());
  if (!l.ok()) return 0;
  EXPECT_TRUE((*l)->Next().ok());  // warm-up
  const int batches = 12;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < batches; ++i) EXPECT_TRUE((*l)->Next().ok());
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double rate = batches * 8 / s;
  std::cout << "loader throughput at 128 px, 2 workers, " << what << ": " << rate << " samples/s\n";
  EXPECT_EQ((*l)->skipped().total(), 0);
  return rate;
}

TEST(DataLoaderMedia, ThroughputAt128Px) {
  std::string hq = testing::MediaDir() + "/celebahq";
  if (!testing::HaveCelebAMask() || !fs::is_directory(hq)) GTEST_SKIP() << "no real media at " << testing::MediaDir();
  // 32 real 1024 px CelebA-HQ photos, each paired with one of the two real 512 px label maps
  // (the pairing is wrong, the decoding work is the real one); once as images + labels,
  // once as CelebAMask-HQ per-part masks.
  TempDir flat, celeba;
  fs::create_directories(flat.path() / "images");
  fs::create_directories(flat.path() / "labels");
  fs::create_directories(celeba.path() / "CelebA-HQ-img");
  cv::Mat truth[2] = {cv::imread(testing::CelebAMaskDir() + "/0.png", cv::IMREAD_UNCHANGED),
                      cv::imread(testing::CelebAMaskDir() + "/1.png", cv::IMREAD_UNCHANGED)};
  int n = 0;
  for (const auto& e : fs::directory_iterator(hq)) {
    if (e.path().extension() != ".jpg") continue;
    fs::create_symlink(e.path(), flat.path() / "images" / e.path().filename());
    fs::create_symlink(testing::CelebAMaskDir() + "/" + std::to_string(n % 2) + ".png",
                       flat.path() / "labels" / (e.path().stem().string() + ".png"));
    fs::create_symlink(e.path(), celeba.path() / "CelebA-HQ-img" / (std::to_string(n) + ".jpg"));
    testing::WriteParts(celeba.path(), n, truth[n % 2]);
    ++n;
  }
  ASSERT_GE(n, 16);
  auto a = OpenDataset(flat.str());
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = OpenDataset(celeba.str());
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  TempDir cache;
  DatasetOptions with_cache;
  with_cache.cache_dir = cache.str();
  auto c = OpenDataset(celeba.str(), with_cache);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(VerifyDataset(**c).valid.size(), static_cast<size_t>(n));  // fills the composed-map cache
  double ra = MeasureRate(std::move(a).value(), "images+labels");
  double rb = MeasureRate(std::move(b).value(), "CelebAMask-HQ parts, composed per sample");
  double rc = MeasureRate(std::move(c).value(), "CelebAMask-HQ parts, composed maps cached");
  RecordProperty("samples_per_second_images_labels", std::to_string(ra));
  RecordProperty("samples_per_second_celebamask_parts", std::to_string(rb));
  RecordProperty("samples_per_second_celebamask_cached", std::to_string(rc));
  EXPECT_GT(ra, 5.0);
  EXPECT_GT(rb, 5.0);
  EXPECT_GT(rc, rb);
}

}  // namespace
}  // namespace smile::training

namespace smile::training {
namespace {

// Data-parallel shards: concatenated in rank order they are the global batch, sample for
// sample (same images, augmentation and labels), and the loader state stays global.
TEST(DataLoader, ShardsConcatenateToTheGlobalBatch) {
  TempDir dir;
  auto ds = MakeDataset(dir, 10);
  auto whole = DataLoader::Create(ds, Options(1));
  ASSERT_TRUE(whole.ok());
  std::vector<std::unique_ptr<DataLoader>> shards;
  for (int r = 0; r < 2; ++r) {
    auto o = Options(1 + r);
    o.shard_index = r;
    o.shard_count = 2;
    auto l = DataLoader::Create(ds, o);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    shards.push_back(std::move(*l));
  }
  for (int step = 0; step < 5; ++step) {  // crosses an epoch (10 samples, batch 4, drop_last)
    auto g = (*whole)->Next();
    auto a = shards[0]->Next();
    auto b = shards[1]->Next();
    ASSERT_TRUE(g.ok() && a.ok() && b.ok());
    EXPECT_EQ(a->size(), 2);
    EXPECT_EQ(b->size(), 2);
    EXPECT_TRUE(torch::equal(torch::cat({a->images, b->images}), g->images)) << step;
    EXPECT_TRUE(torch::equal(torch::cat({a->labels, b->labels}), g->labels)) << step;
    std::vector<std::string> keys = a->keys;
    keys.insert(keys.end(), b->keys.begin(), b->keys.end());
    EXPECT_EQ(keys, g->keys);
    EXPECT_EQ(shards[0]->state(), (*whole)->state());
    EXPECT_EQ(shards[1]->state(), (*whole)->state());
  }
  auto bad = Options(1);
  bad.shard_count = 3;  // 4 is not divisible into 3 equal shards
  EXPECT_FALSE(DataLoader::Create(ds, bad).ok());
  bad.shard_count = 2;
  bad.shard_index = 2;
  EXPECT_FALSE(DataLoader::Create(ds, bad).ok());
}

}  // namespace
}  // namespace smile::training
