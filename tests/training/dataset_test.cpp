#include "training/dataset.h"

#include <gtest/gtest.h>

#include <atomic>

#include <opencv2/imgcodecs.hpp>

#include "tests/training/test_util.h"
#include "training/labels.h"

namespace smile::training {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

int64_t Diff(const cv::Mat& a, const cv::Mat& b) { return cv::countNonZero(a != b); }

// ---- CelebAMask-HQ layout

TEST(CelebAMaskHQDataset, LaterPartsWinAsInGMask) {
  TempDir dir;
  // Overlapping parts: skin everywhere, hair over the top half, hat over the top quarter,
  // l_eye inside the skin. g_mask.py writes parts in class order, later ones win.
  fs::path anno = dir.path() / "CelebAMask-HQ-mask-anno" / "0";
  fs::create_directories(anno);
  cv::Mat full(32, 32, CV_8UC1, cv::Scalar(255)), top = cv::Mat::zeros(32, 32, CV_8UC1), cap = top.clone(),
                                                  eye = top.clone();
  top.rowRange(0, 16).setTo(255);
  cap.rowRange(0, 8).setTo(255);
  eye(cv::Rect(20, 20, 4, 4)).setTo(255);
  cv::imwrite((anno / "00003_skin.png").string(), full);
  cv::imwrite((anno / "00003_hair.png").string(), top);
  cv::imwrite((anno / "00003_hat.png").string(), cap);
  cv::Mat eye3;
  cv::cvtColor(eye, eye3, cv::COLOR_GRAY2BGR);  // some CelebAMask-HQ parts are 3-channel
  cv::imwrite((anno / "00003_l_eye.png").string(), eye3);
  fs::create_directories(dir.path() / "CelebA-HQ-img");
  cv::imwrite((dir.path() / "CelebA-HQ-img" / "3.jpg").string(), cv::Mat(64, 64, CV_8UC3, cv::Scalar(90, 120, 200)));
  auto ds = OpenDataset(dir.str());
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ((*ds)->layout(), "celebamask-hq");
  ASSERT_EQ((*ds)->size(), 1);
  auto s = (*ds)->Load(0);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->labels.size(), cv::Size(32, 32));
  EXPECT_EQ(s->labels.at<uint8_t>(2, 5), kHat);
  EXPECT_EQ(s->labels.at<uint8_t>(10, 5), kHair);
  EXPECT_EQ(s->labels.at<uint8_t>(30, 5), kSkin);
  EXPECT_EQ(s->labels.at<uint8_t>(21, 21), kLeftEye);
  EXPECT_EQ(s->image.size(), cv::Size(64, 64));
}

TEST(CelebAMaskHQDatasetMedia, CompositionMatchesTheLabelMaps) {
  if (!testing::HaveCelebAMask()) GTEST_SKIP() << "no real media at " << testing::CelebAMaskDir();
  TempDir dir;
  fs::create_directories(dir.path() / "CelebA-HQ-img");
  std::vector<cv::Mat> truth;
  for (int id : {0, 1}) {
    std::string base = testing::CelebAMaskDir() + "/" + std::to_string(id);
    truth.push_back(cv::imread(base + ".png", cv::IMREAD_UNCHANGED));
    ASSERT_EQ(truth.back().type(), CV_8UC1);
    fs::copy_file(base + ".jpg", dir.path() / "CelebA-HQ-img" / (std::to_string(id) + ".jpg"));
    testing::WriteParts(dir.path(), id, truth.back());
  }
  // CelebA attribute file for sample 0 only: sample 1 gets derived attributes.
  std::string names;
  const char* celeba[] = {"5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs",
                          "Big_Lips", "Big_Nose", "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair",
                          "Bushy_Eyebrows", "Chubby", "Double_Chin", "Eyeglasses", "Goatee", "Gray_Hair",
                          "Heavy_Makeup", "High_Cheekbones", "Male", "Mouth_Slightly_Open", "Mustache",
                          "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin", "Pointy_Nose", "Receding_Hairline",
                          "Rosy_Cheeks", "Sideburns", "Smiling", "Straight_Hair", "Wavy_Hair", "Wearing_Earrings",
                          "Wearing_Hat", "Wearing_Lipstick", "Wearing_Necklace", "Wearing_Necktie", "Young"};
  std::string row = "0.jpg";
  for (const char* n : celeba) {
    names += std::string(names.empty() ? "" : " ") + n;
    std::string a = n;
    row += (a == "Male" || a == "Bangs" || a == "Wearing_Hat") ? "  1" : " -1";
  }
  testing::WriteBytes(dir.path() / "CelebAMask-HQ-attribute-anno.txt", "1\n" + names + "\n" + row + "\n");

  auto ds = OpenDataset(dir.str());
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  ASSERT_EQ((*ds)->size(), 2);
  EXPECT_EQ((*ds)->scan_skips().total(), 0) << (*ds)->scan_skips().ToString();
  for (int id : {0, 1}) {
    auto s = (*ds)->Load(id);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(s->image.type(), CV_8UC3);
    EXPECT_EQ(s->labels.size(), truth[id].size());
    EXPECT_EQ(Diff(s->labels, truth[id]), 0) << "sample " << id;
  }
  auto s0 = (*ds)->Load(0);
  EXPECT_EQ(s0->attributes.value[kAttrGender], 0);  // Male
  EXPECT_EQ(s0->attributes.value[kAttrBangs], 1);
  EXPECT_EQ(s0->attributes.value[kAttrHat], 1);
  EXPECT_EQ(s0->attributes.value[kAttrHair], 1);  // Bald = -1
  EXPECT_EQ(s0->attributes.source[kAttrGender], AttributeSource::kReal);
  auto s1 = (*ds)->Load(1);
  EXPECT_EQ(s1->attributes.value[kAttrGender], -1);  // cannot be derived
  EXPECT_EQ(s1->attributes.source[kAttrEyeglasses], AttributeSource::kDerived);

  // Reduced decoding keeps the label map and gives a smaller photo.
  LoadOptions lo;
  lo.decode_min_size = 128;
  auto small = (*ds)->Load(0, lo);
  ASSERT_TRUE(small.ok());
  EXPECT_GE(small->image.cols, 128);
  EXPECT_LT(small->image.cols, s0->image.cols);

  VerifyReport report = VerifyDataset(**ds);
  EXPECT_EQ(report.valid.size(), 2u);
  EXPECT_EQ(report.attributes.real[DomainIndex(kAttrGender, 0)], 1);  // one real Male
  EXPECT_NE(report.ToString().find("cannot be derived"), std::string::npos) << report.ToString();
}

TEST(CelebAMaskHQDataset, CachesComposedMapsAndUsesGMaskOutput) {
  TempDir dir, cache;
  cv::Mat labels = testing::SyntheticLabels(64);
  fs::create_directories(dir.path() / "CelebA-HQ-img");
  for (int id : {0, 1}) {
    cv::imwrite((dir.path() / "CelebA-HQ-img" / (std::to_string(id) + ".jpg")).string(), testing::SyntheticImage(labels));
    testing::WriteParts(dir.path(), id, labels);
  }
  DatasetOptions o;
  o.cache_dir = cache.str();
  auto ds = OpenDataset(dir.str(), o);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  auto first = (*ds)->Load(0);
  ASSERT_TRUE(first.ok());
  int cached = 0;
  for (const auto& e : fs::recursive_directory_iterator(cache.path())) cached += e.is_regular_file();
  EXPECT_EQ(cached, 1);
  // A second load reads the cache; an edited part changes the key (sizes and times) and recomposes.
  auto again = (*ds)->Load(0);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Diff(again->labels, labels), 0);
  cv::Mat hat = cv::Mat::zeros(64, 64, CV_8UC1);
  hat.rowRange(0, 4).setTo(255);
  cv::imwrite((dir.path() / "CelebAMask-HQ-mask-anno/0/00000_hat.png").string(), hat);
  auto ds2 = OpenDataset(dir.str(), o);
  auto edited = (*ds2)->Load(0);
  ASSERT_TRUE(edited.ok());
  EXPECT_EQ(edited->labels.at<uint8_t>(1, 1), kHat);
  // g_mask.py output (CelebAMask-HQ-mask/<id>.png) wins over the parts.
  fs::create_directories(dir.path() / "CelebAMask-HQ-mask");
  cv::imwrite((dir.path() / "CelebAMask-HQ-mask" / "1.png").string(), cv::Mat(64, 64, CV_8UC1, cv::Scalar(kCloth)));
  auto ds3 = OpenDataset(dir.str());
  ASSERT_TRUE(ds3.ok());
  auto composed = (*ds3)->Load(1);
  ASSERT_TRUE(composed.ok());
  EXPECT_EQ(cv::countNonZero(composed->labels != kCloth), 0);
}

TEST(CelebAMaskHQDataset, CountsMissingPartnersAndBadParts) {
  TempDir dir;
  cv::Mat labels = testing::SyntheticLabels(64);
  fs::create_directories(dir.path() / "CelebA-HQ-img");
  for (int id : {0, 1, 2, 3}) {
    if (id != 2) cv::imwrite((dir.path() / "CelebA-HQ-img" / (std::to_string(id) + ".jpg")).string(),
                             testing::SyntheticImage(labels));
    if (id != 1) testing::WriteParts(dir.path(), id, labels);
  }
  // Sample 3: one part has another size.
  cv::imwrite((dir.path() / "CelebAMask-HQ-mask-anno/0/00003_hat.png").string(), cv::Mat(40, 40, CV_8UC1, cv::Scalar(255)));
  testing::WriteBytes(dir.path() / "CelebAMask-HQ-mask-anno/0/00000_beard.png", "x");
  auto ds = OpenDataset(dir.str());
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ((*ds)->size(), 2);  // ids 0 and 3
  EXPECT_EQ((*ds)->scan_skips().count("no mask parts"), 1);
  EXPECT_EQ((*ds)->scan_skips().count("missing image"), 1);
  EXPECT_EQ((*ds)->scan_skips().count("unknown part name"), 1);
  VerifyReport r = VerifyDataset(**ds);
  EXPECT_EQ(r.valid, std::vector<int64_t>({0}));
  EXPECT_EQ(r.skipped.count("size mismatch"), 1) << r.skipped.ToString();
  EXPECT_EQ(r.skipped.total(), 4);
}

// ---- images + labels layout

void MakePairs(const fs::path& root, int n, bool flat) {
  cv::Mat labels = testing::SyntheticLabels(64);
  for (int i = 0; i < n; ++i) {
    std::string stem = "s" + std::to_string(i);
    fs::path img = flat ? root / (stem + ".jpg") : root / "images" / (stem + ".jpg");
    fs::path lab = flat ? root / (stem + ".png") : root / "labels" / (stem + ".png");
    fs::create_directories(img.parent_path());
    fs::create_directories(lab.parent_path());
    cv::imwrite(img.string(), testing::SyntheticImage(labels));
    cv::imwrite(lab.string(), labels);
  }
}

TEST(LabeledFolderDataset, ReadsImagesAndLabelsFolders) {
  TempDir dir;
  MakePairs(dir.path(), 3, false);
  auto ds = OpenDataset(dir.str());
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ((*ds)->layout(), "images+labels");
  ASSERT_EQ((*ds)->size(), 3);
  auto s = (*ds)->Load(1);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(Diff(s->labels, testing::SyntheticLabels(64)), 0);
  EXPECT_NE(s->key.find("s1.jpg"), std::string::npos);
  // Derived attributes: no glasses, hat or earrings; bangs not present.
  EXPECT_EQ(s->attributes.value[kAttrEyeglasses], 0);
  EXPECT_EQ(s->attributes.value[kAttrHat], 0);
  EXPECT_EQ(s->attributes.value[kAttrBangs], 0);
}

TEST(LabeledFolderDataset, ReadsFlatPairsAndSkipsBadSamples) {
  TempDir dir;
  MakePairs(dir.path(), 6, true);
  const fs::path& r = dir.path();
  // s1: class id out of range; s2: aspect mismatch; s3: corrupt jpeg; s4: label missing; s5 label unreadable.
  cv::Mat bad = testing::SyntheticLabels(64);
  bad.at<uint8_t>(0, 0) = 19;
  cv::imwrite((r / "s1.png").string(), bad);
  cv::imwrite((r / "s2.png").string(), cv::Mat(64, 32, CV_8UC1, cv::Scalar(1)));
  testing::WriteBytes(r / "s3.jpg", "\xFF\xD8not a jpeg at all");
  fs::remove(r / "s4.png");
  testing::WriteBytes(r / "s5.png", "garbage");
  testing::WriteBytes(r / "lonely.png", "x");
  auto ds = OpenDataset(dir.str());
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ((*ds)->size(), 5);  // s0..s3, s5 paired; s4 has no label map
  EXPECT_EQ((*ds)->scan_skips().count("missing label map"), 1);
  EXPECT_EQ((*ds)->scan_skips().count("unpaired png"), 1);
  VerifyReport rep = VerifyDataset(**ds, 2);
  ASSERT_EQ(rep.valid.size(), 1u) << rep.ToString();
  EXPECT_NE((*ds)->Describe(rep.valid[0]).find("s0.jpg"), std::string::npos);
  EXPECT_EQ(rep.skipped.count("bad class id"), 1) << rep.skipped.ToString();
  EXPECT_EQ(rep.skipped.count("size mismatch"), 1) << rep.skipped.ToString();
  EXPECT_EQ(rep.skipped.count("corrupt image"), 1) << rep.skipped.ToString();
  EXPECT_EQ(rep.skipped.count("corrupt label map"), 1) << rep.skipped.ToString();
  EXPECT_EQ(rep.skipped.total(), 6);
  auto s1 = (*ds)->Load(1);
  ASSERT_FALSE(s1.ok());
  EXPECT_NE(s1.status().message().find("class id 19"), std::string::npos) << s1.status().message();
}

TEST(LabeledFolderDatasetMedia, OpensTheSharedCelebAMaskFolderAsIs) {
  if (!testing::HaveCelebAMask()) GTEST_SKIP() << "no real media at " << testing::CelebAMaskDir();
  auto ds = OpenDataset(testing::CelebAMaskDir());  // x.jpg beside x.png
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ((*ds)->layout(), "images+labels");
  ASSERT_EQ((*ds)->size(), 2);
  for (int i = 0; i < 2; ++i) {
    auto s = (*ds)->Load(i);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    cv::Mat truth = cv::imread(testing::CelebAMaskDir() + "/" + std::to_string(i) + ".png", cv::IMREAD_UNCHANGED);
    EXPECT_EQ(Diff(s->labels, truth), 0);
    EXPECT_EQ(s->image.size(), cv::Size(1024, 1024));
  }
}

TEST(OpenDataset, EmptyOrMissingFolderSaysWhatIsExpected) {
  TempDir dir;
  auto empty = OpenDataset(dir.str());
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("is empty"), std::string::npos) << empty.status().message();
  EXPECT_NE(empty.status().message().find("CelebA-HQ-img"), std::string::npos);
  EXPECT_NE(empty.status().message().find("images/ + labels/"), std::string::npos);
  auto missing = OpenDataset(dir.str() + "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  // Photos only and no labeller: says to give label maps or a labeller.
  cv::imwrite((dir.path() / "a.jpg").string(), cv::Mat(16, 16, CV_8UC3, cv::Scalar(1, 2, 3)));
  auto unlabeled = OpenDataset(dir.str());
  ASSERT_FALSE(unlabeled.ok());
  EXPECT_NE(unlabeled.status().message().find("missing label map"), std::string::npos)
      << unlabeled.status().message();
  // CelebA-HQ-img without the mask folder.
  fs::create_directories(dir.path() / "CelebA-HQ-img");
  auto noanno = OpenDataset(dir.str());
  ASSERT_FALSE(noanno.ok());
  EXPECT_NE(noanno.status().message().find("CelebAMask-HQ-mask-anno"), std::string::npos);
}

// ---- unlabeled media + labeller

// A labeller that marks bright pixels as skin and counts its calls.
struct CountingLabeller {
  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);
  Labeller fn() const {
    auto c = calls;
    return [c](const cv::Mat& bgr) -> Result<cv::Mat> {
      ++*c;
      cv::Mat gray, out;
      cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
      out = (gray > 100) / 255;  // 0 or 1 (skin)
      return out;
    };
  }
};

TEST(UnlabeledDataset, LabelsPhotosOnceAndCachesByLabellerName) {
  TempDir dir, cache;
  fs::create_directories(dir.path() / "photos");
  for (int i = 0; i < 3; ++i) {
    cv::Mat img(40, 40, CV_8UC3, cv::Scalar(0, 0, 0));
    cv::circle(img, cv::Point(20, 20), 5 + 3 * i, cv::Scalar(200, 200, 200), cv::FILLED);
    cv::imwrite((dir.path() / "photos" / ("p" + std::to_string(i) + ".png")).string(), img);
  }
  CountingLabeller lab;
  DatasetOptions o;
  o.labeller = lab.fn();
  o.labeller_name = "bright-v1";
  o.cache_dir = cache.str();
  auto ds = OpenDataset(dir.str(), o);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ((*ds)->layout(), "unlabeled");
  ASSERT_EQ((*ds)->size(), 3);
  for (int i = 0; i < 3; ++i) {
    auto s = (*ds)->Load(i);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(s->labels.at<uint8_t>(20, 20), kSkin);
    EXPECT_EQ(s->labels.at<uint8_t>(0, 0), kBackground);
  }
  EXPECT_EQ(*lab.calls, 3);
  // Reopened: every label map comes from the cache.
  auto again = OpenDataset(dir.str(), o);
  ASSERT_TRUE(again.ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*again)->Load(i).ok());
  EXPECT_EQ(*lab.calls, 3);
  // Another labeller name is another cache entry.
  o.labeller_name = "bright-v2";
  auto other = OpenDataset(dir.str(), o);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->Load(0).ok());
  EXPECT_EQ(*lab.calls, 4);
  EXPECT_TRUE(fs::is_directory(cache.path() / "labels" / "bright-v1"));
  EXPECT_TRUE(fs::is_directory(cache.path() / "labels" / "bright-v2"));
}

TEST(UnlabeledDataset, LabellerFailuresAndBadOutputAreSkipReasons) {
  TempDir dir;
  cv::imwrite((dir.path() / "a.jpg").string(), cv::Mat(16, 16, CV_8UC3, cv::Scalar(10, 10, 10)));
  cv::imwrite((dir.path() / "b.jpg").string(), cv::Mat(16, 16, CV_8UC3, cv::Scalar(250, 250, 250)));
  DatasetOptions o;
  o.layout = DatasetLayout::kUnlabeled;
  o.labeller_name = "picky";
  o.labeller = [](const cv::Mat& bgr) -> Result<cv::Mat> {
    if (bgr.at<cv::Vec3b>(0, 0)[0] < 100) return NotFound("no face found");
    return cv::Mat(bgr.size(), CV_8UC1, cv::Scalar(42));  // out-of-range class
  };
  auto ds = OpenDataset(dir.str(), o);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  VerifyReport r = VerifyDataset(**ds);
  EXPECT_TRUE(r.valid.empty());
  EXPECT_EQ(r.skipped.count("labeller failed"), 1) << r.skipped.ToString();
  EXPECT_EQ(r.skipped.count("bad class id"), 1) << r.skipped.ToString();
}

TEST(UnlabeledDatasetMedia, LabelsTheSharedCelebAHQPhotos) {
  std::string hq = testing::MediaDir() + "/celebahq";
  if (!fs::is_directory(hq)) GTEST_SKIP() << "no real media at " << hq;
  CountingLabeller lab;
  DatasetOptions o;
  o.labeller = lab.fn();
  o.labeller_name = "bright";
  auto ds = OpenDataset(hq, o);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ((*ds)->layout(), "unlabeled");
  EXPECT_EQ((*ds)->size(), 32);
  auto s = (*ds)->Load(5);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->labels.size(), s->image.size());
  EXPECT_EQ(*lab.calls, 1);
}

TEST(UnlabeledDatasetMedia, SamplesEveryKthVideoFrameAndCachesThem) {
  std::string video = testing::MediaDir() + "/video/d20.mp4";
  if (!fs::is_regular_file(video)) GTEST_SKIP() << "no real media video at " << video;
  TempDir dir, cache;
  fs::create_symlink(video, dir.path() / "d20.mp4");
  CountingLabeller lab;
  DatasetOptions o;
  o.labeller = lab.fn();
  o.labeller_name = "bright";
  o.cache_dir = cache.str();
  o.video_stride = 50;
  auto ds = OpenDataset(dir.str(), o);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ((*ds)->size(), 4);  // 175 frames: 0, 50, 100, 150
  EXPECT_EQ((*ds)->Describe(2), (dir.path() / "d20.mp4").string() + "#100");
  ASSERT_TRUE((*ds)->Prepare().ok());
  EXPECT_EQ(*lab.calls, 4);
  auto s = (*ds)->Load(3);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->image.size(), cv::Size(480, 480));
  EXPECT_EQ(s->labels.size(), s->image.size());
  EXPECT_EQ(*lab.calls, 4);  // served from the cache
  // Different frames differ.
  auto s0 = (*ds)->Load(0);
  ASSERT_TRUE(s0.ok());
  EXPECT_GT(cv::norm(s0->image, s->image, cv::NORM_L1), 0.0);
}

}  // namespace
}  // namespace smile::training
