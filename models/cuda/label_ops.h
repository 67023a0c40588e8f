// Label-map kernels with a CUDA implementation (built with -DSMILE_CUDA=ON) and a
// plain CPU reference that every CUDA path is tested against. No torch here.
#pragma once

#include <cstdint>

#include "core/status.h"

namespace smile::models {

// True when this binary was built with CUDA and a GPU is usable right now.
bool CudaRuntimeAvailable();

// labels: n uint8 class ids; out: classes x n floats (planar one-hot). Ids >= classes
// are an error (reported with the first bad id).
Status OneHotCpu(const uint8_t* labels, int64_t n, int classes, float* out);
// Same on the GPU (host pointers in and out; copies included). kUnsupported without CUDA.
Status OneHotCuda(const uint8_t* labels, int64_t n, int classes, float* out);

}  // namespace smile::models
