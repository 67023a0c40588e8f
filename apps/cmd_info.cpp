// smile info: what this build can use (threads, device, CUDA, video backends, models on disk).
#include <opencv2/core/utility.hpp>
#include <opencv2/videoio/registry.hpp>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "apps/command.h"
#include "models/cuda/label_ops.h"
#include "models/runtime.h"

namespace smile::app {
namespace {

Status RunInfo(const std::vector<std::string>& args) {
  ArgParser parser("info", "Print what this build of smile can use: CPU threads, the device jobs will run on, "
                           "CUDA, video backends and model files.");
  parser.Option("device", "NAME", "device to check: auto, cpu, cuda, cuda:N", "auto");
  Status status;
  if (!ParseOrHelp(parser, args, &status)) return status;
  auto device = models::ChooseDevice(parser.Get("device"));  // a bad --device fails before any output
  if (!device.ok()) return device.status();
  std::printf("smile %s\n", SMILE_VERSION);
  std::printf("hardware threads : %u\n", std::thread::hardware_concurrency());
#ifdef SMILE_WITH_CUDA
  std::printf("CUDA build       : yes (GPU usable now: %s)\n", models::CudaRuntimeAvailable() ? "yes" : "no");
#else
  std::printf("CUDA build       : no (configure with -DSMILE_CUDA=ON to add it)\n");
#endif
  std::printf("device           : %s\n", device->description.c_str());
  std::string backends;
  for (auto api : cv::videoio_registry::getBackends()) backends += cv::videoio_registry::getBackendName(api) + " ";
  std::printf("video backends   : %s\n", backends.c_str());
  const char* kLandmarks = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";
  std::printf("dlib landmarks   : %s\n", std::filesystem::exists(kLandmarks)
                                            ? kLandmarks
                                            : "missing (apt-get install libdlib-data)");
  std::printf("assets           : %s\n", SMILE_ASSETS_DIR);
  return Status::Ok();
}

}  // namespace

SMILE_COMMAND(info, 90, "what this build can use: threads, device, CUDA, video backends", RunInfo);

}  // namespace smile::app
