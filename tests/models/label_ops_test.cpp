#include "models/cuda/label_ops.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace smile::models {
namespace {

TEST(LabelOps, OneHotCpuMatchesLabels) {
  std::vector<uint8_t> labels = {0, 18, 3, 3, 1};
  std::vector<float> out(19 * labels.size(), -1.0f);
  ASSERT_TRUE(OneHotCpu(labels.data(), labels.size(), 19, out.data()).ok());
  for (size_t i = 0; i < labels.size(); ++i)
    for (int c = 0; c < 19; ++c) EXPECT_EQ(out[c * labels.size() + i], c == labels[i] ? 1.0f : 0.0f);
}

TEST(LabelOps, OneHotRejectsBadClassIds) {
  std::vector<uint8_t> labels = {0, 42};
  std::vector<float> out(19 * 2);
  Status s = OneHotCpu(labels.data(), 2, 19, out.data());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("class id 42"), std::string::npos);
}

TEST(LabelOps, CudaPathIsUnsupportedOrAvailable) {
  std::vector<uint8_t> labels = {1};
  std::vector<float> out(19);
  Status s = OneHotCuda(labels.data(), 1, 19, out.data());
  if (!CudaRuntimeAvailable()) EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.message();
  else EXPECT_TRUE(s.ok()) << s.message();
}

// The CUDA kernel against the CPU reference (skipped without a GPU).
TEST(LabelOpsGpu, OneHotCudaMatchesCpuReference) {
  if (!CudaRuntimeAvailable()) GTEST_SKIP() << "no CUDA GPU here (or built without -DSMILE_CUDA=ON)";
  std::mt19937 rng(7);
  std::vector<uint8_t> labels(256 * 256);
  for (auto& l : labels) l = rng() % 19;
  std::vector<float> cpu(19 * labels.size()), gpu(19 * labels.size());
  ASSERT_TRUE(OneHotCpu(labels.data(), labels.size(), 19, cpu.data()).ok());
  ASSERT_TRUE(OneHotCuda(labels.data(), labels.size(), 19, gpu.data()).ok());
  EXPECT_EQ(cpu, gpu);
  labels[100] = 30;
  EXPECT_EQ(OneHotCuda(labels.data(), labels.size(), 19, gpu.data()).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace smile::models
