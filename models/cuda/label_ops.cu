// CUDA versions of models/cuda/label_ops.h (compiled only with -DSMILE_CUDA=ON).
#include <cuda_runtime.h>

#include <string>

#include "models/cuda/label_ops.h"

namespace smile::models {
namespace {

__global__ void OneHotKernel(const uint8_t* labels, int64_t n, int classes, float* out, int* bad) {
  int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  int c = labels[i];
  if (c >= classes) {
    atomicMin(bad, static_cast<int>(i < 0x7fffffff ? i : 0x7fffffff));
    return;
  }
  for (int k = 0; k < classes; ++k) out[k * n + i] = (k == c) ? 1.0f : 0.0f;
}

Status CudaCheck(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return Status::Ok();
  return Internal(std::string("CUDA ") + what + " failed: " + cudaGetErrorString(e));
}

}  // namespace

bool CudaRuntimeAvailable() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
}

Status OneHotCuda(const uint8_t* labels, int64_t n, int classes, float* out) {
  if (!CudaRuntimeAvailable()) return Unsupported("no usable CUDA GPU; use the CPU path");
  uint8_t* d_labels = nullptr;
  float* d_out = nullptr;
  int* d_bad = nullptr;
  const int kNoBad = 0x7fffffff;
  Status s = CudaCheck(cudaMalloc(&d_labels, n), "malloc");
  if (s.ok()) s = CudaCheck(cudaMalloc(&d_out, n * classes * sizeof(float)), "malloc");
  if (s.ok()) s = CudaCheck(cudaMalloc(&d_bad, sizeof(int)), "malloc");
  if (s.ok()) s = CudaCheck(cudaMemcpy(d_labels, labels, n, cudaMemcpyHostToDevice), "copy");
  if (s.ok()) s = CudaCheck(cudaMemcpy(d_bad, &kNoBad, sizeof(int), cudaMemcpyHostToDevice), "copy");
  if (s.ok()) {
    int threads = 256;
    int64_t blocks = (n + threads - 1) / threads;
    OneHotKernel<<<static_cast<unsigned>(blocks), threads>>>(d_labels, n, classes, d_out, d_bad);
    s = CudaCheck(cudaGetLastError(), "kernel launch");
  }
  int bad = kNoBad;
  if (s.ok()) s = CudaCheck(cudaMemcpy(&bad, d_bad, sizeof(int), cudaMemcpyDeviceToHost), "copy");
  if (s.ok() && bad != kNoBad)
    s = InvalidArgument("label map has class id " + std::to_string(labels[bad]) + " at pixel " +
                        std::to_string(bad) + " but only " + std::to_string(classes) + " classes exist");
  if (s.ok()) s = CudaCheck(cudaMemcpy(out, d_out, n * classes * sizeof(float), cudaMemcpyDeviceToHost), "copy");
  cudaFree(d_labels);
  cudaFree(d_out);
  cudaFree(d_bad);
  return s;
}

}  // namespace smile::models
