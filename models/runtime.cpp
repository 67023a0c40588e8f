#include "models/runtime.h"

#include <cstdlib>
#include <thread>

#include <torch/torch.h>

namespace smile::models {

void InitTorchRuntime(int threads) {
  if (threads <= 0) {
    // SMILE_THREADS caps the default (e.g. two jobs side by side on one machine).
    const char* env = std::getenv("SMILE_THREADS");
    const int from_env = env ? std::atoi(env) : 0;
    threads = from_env > 0 ? from_env : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  if (at::get_num_threads() != threads) at::set_num_threads(threads);
}

Result<DeviceChoice> ChooseDevice(const std::string& request) {
  InitTorchRuntime();
  const bool have_cuda = torch::cuda::is_available();
  const std::string cpu_desc = "CPU (" + std::to_string(at::get_num_threads()) + " threads)";
  if (request == "cpu" || (request == "auto" && !have_cuda)) return DeviceChoice{"cpu", cpu_desc, false};
  if (request == "auto" || request.rfind("cuda", 0) == 0) {
    if (!have_cuda)
      return InvalidArgument("--device " + request + " asked for CUDA but no GPU is usable here (this LibTorch " +
                             "build or machine has none); use --device cpu or --device auto");
    int index = 0;
    if (request.size() > 5 && request[4] == ':') index = std::atoi(request.c_str() + 5);
    if (index < 0 || index >= static_cast<int>(torch::cuda::device_count()))
      return InvalidArgument("--device " + request + ": only " + std::to_string(torch::cuda::device_count()) +
                             " CUDA device(s) present");
    return DeviceChoice{"cuda:" + std::to_string(index), "CUDA:" + std::to_string(index), true};
  }
  return InvalidArgument("unknown --device '" + request + "'; use auto, cpu, cuda or cuda:N");
}

}  // namespace smile::models
