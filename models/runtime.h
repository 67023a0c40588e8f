// Torch runtime set-up: thread count (LibTorch starts with 1) and device choice.
// Torch types stay out of this header so that light code can include it.
#pragma once

#include <string>

#include "core/status.h"

namespace smile::models {

// Sets intra-op threads to `threads` (0 = $SMILE_THREADS if set, else all hardware cores). Idempotent.
void InitTorchRuntime(int threads = 0);

struct DeviceChoice {
  std::string name;         // "cpu" or "cuda:0"
  std::string description;  // "CPU (2 threads)" or "CUDA:0 NVIDIA H100 ..."
  bool cuda = false;
};

// "auto" picks CUDA when a GPU is present, else CPU. "cpu" / "cuda" / "cuda:N" force one;
// asking for CUDA without a GPU is an error that says to use --device cpu.
Result<DeviceChoice> ChooseDevice(const std::string& request = "auto");

}  // namespace smile::models
