#include "training/atomic_file.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include "tests/training/test_util.h"

namespace smile::training {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

TEST(AtomicFile, WritesReplacesAndLeavesNoTemporaries) {
  TempDir dir;
  std::string path = (dir.path() / "sub" / "a.txt").string();
  ASSERT_TRUE(WriteFileAtomic(path, "first").ok());
  ASSERT_TRUE(WriteFileAtomic(path, std::string("second\0bin", 10)).ok());
  auto back = ReadFileBytes(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, std::string("second\0bin", 10));
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir.path() / "sub")) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
  EXPECT_EQ(ReadFileBytes((dir.path() / "nope").string()).status().code(), StatusCode::kNotFound);
}

TEST(AtomicFile, ImagesByExtension) {
  TempDir dir;
  cv::Mat m(8, 8, CV_8UC1, cv::Scalar(7));
  std::string png = (dir.path() / "m.png").string();
  ASSERT_TRUE(WriteImageAtomic(png, m).ok());
  cv::Mat back = cv::imread(png, cv::IMREAD_UNCHANGED);
  EXPECT_EQ(cv::countNonZero(back != m), 0);
  EXPECT_FALSE(WriteImageAtomic((dir.path() / "noext").string(), m).ok());
  EXPECT_FALSE(WriteImageAtomic(png, cv::Mat()).ok());
  EXPECT_FALSE(WriteFileAtomic("/proc/definitely/not/here", "x").ok());
}

}  // namespace
}  // namespace smile::training
