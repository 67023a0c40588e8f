#include "models/cuda/label_ops.h"

#include <algorithm>
#include <string>

namespace smile::models {

Status OneHotCpu(const uint8_t* labels, int64_t n, int classes, float* out) {
  std::fill(out, out + n * classes, 0.0f);
  for (int64_t i = 0; i < n; ++i) {
    if (labels[i] >= classes)
      return InvalidArgument("label map has class id " + std::to_string(labels[i]) + " at pixel " +
                             std::to_string(i) + " but only " + std::to_string(classes) + " classes exist");
    out[labels[i] * n + i] = 1.0f;
  }
  return Status::Ok();
}

#ifndef SMILE_WITH_CUDA
bool CudaRuntimeAvailable() { return false; }
Status OneHotCuda(const uint8_t*, int64_t, int, float*) {
  return Unsupported("this smile was built without CUDA; rebuild with -DSMILE_CUDA=ON on a machine with nvcc");
}
#endif

}  // namespace smile::models
