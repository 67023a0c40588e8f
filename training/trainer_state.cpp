#include "training/trainer_state.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include <cstring>

#include <ATen/CPUGeneratorImpl.h>

#include "models/checkpoint.h"


namespace smile::training {
namespace {

std::string TensorBytes(const torch::Tensor& t0) {
  auto t = t0.contiguous().to(torch::kCPU);
  return std::string(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
}

torch::Tensor BytesTensor(const std::string& bytes) {
  auto t = torch::empty({static_cast<int64_t>(bytes.size())}, torch::kUInt8);
  std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
  return t;
}

std::string SerializeOptimizer(const torch::optim::Optimizer& opt) {
  torch::serialize::OutputArchive archive;
  opt.save(archive);
  std::ostringstream os;
  archive.save_to(os);
  return os.str();
}

}  // namespace

std::string ExactDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%a", v);
  return buf;
}

Result<double> ParseExactDouble(const std::string& text) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) return Corrupt("'" + text + "' is not a number");
  return v;
}

Result<int64_t> MetadataInt(const std::map<std::string, std::string>& metadata, const std::string& key) {
  auto it = metadata.find(key);
  if (it == metadata.end()) return Corrupt("trainer state lacks '" + key + "'; it was not written by smile train");
  try {
    size_t used = 0;
    int64_t v = std::stoll(it->second, &used);
    if (used != it->second.size()) throw std::invalid_argument(key);
    return v;
  } catch (const std::exception&) {
    return Corrupt("trainer state value " + key + "='" + it->second + "' is not an integer");
  }
}

Status SaveTrainerState(const std::string& path, const TrainerStateParts& parts,
                        const std::map<std::string, std::string>& metadata) {
  if (!parts.weights) return InvalidArgument("SaveTrainerState: no networks given");
  models::CheckpointExtras extras;
  extras.metadata = metadata;
  extras.ema = parts.ema;
  try {
    for (const auto& [name, opt] : parts.optimizers) extras.blobs["optim." + name] = SerializeOptimizer(*opt);
    extras.blobs["rng.cpu"] = TensorBytes(at::detail::getDefaultCPUGenerator().get_state());
    // Noise and random styles of a run on the GPU come from the CUDA generator.
    if (torch::cuda::is_available())
      extras.blobs["rng.cuda"] = TensorBytes(at::globalContext().defaultGenerator(at::Device(at::kCUDA)).get_state());
  } catch (const std::exception& e) {
    return Internal(std::string("cannot serialise the trainer state: ") + e.what());
  }
  return models::SaveCheckpoint(path, parts.kind, parts.config, *parts.weights, extras);
}

Result<std::map<std::string, std::string>> LoadTrainerState(const std::string& path, const TrainerStateParts& parts) {
  auto header = models::ReadCheckpointHeader(path);
  if (!header.ok()) return header.status();
  const std::string where = "checkpoint '" + path + "'";
  if (header->kind != parts.kind)
    return InvalidArgument(where + " is a '" + header->kind + "' checkpoint but this is a '" + parts.kind +
                           "' run; resume with the same stage (or start a fresh --out folder)");
  if (!(header->config == parts.config))
    return InvalidArgument(where + " was trained with config '" + header->config.preset +
                           "' (or other widths) but this run uses '" + parts.config.preset +
                           "'; resume with the same --config");
  SMILE_ASSIGN_OR_RETURN(auto ck, models::LoadCheckpoint(path, parts.kind));
  SMILE_RETURN_IF_ERROR(ck.LoadInto(*parts.weights));
  if (parts.ema) SMILE_RETURN_IF_ERROR(ck.LoadEmaInto(*parts.ema));
  for (const auto& [name, opt] : parts.optimizers) {
    const std::string* bytes = ck.blob("optim." + name);
    if (!bytes) return Corrupt(where + " lacks the '" + name + "' optimiser state");
    try {
      torch::serialize::InputArchive archive;
      std::istringstream is(*bytes);
      // Moments land where this run's parameters live (a GPU run resumes on a CPU and back).
      c10::optional<torch::Device> device;
      for (const auto& group : opt->param_groups())
        if (!group.params().empty()) device = group.params().front().device();
      archive.load_from(is, device);
      opt->load(archive);
    } catch (const std::exception& e) {
      return InvalidArgument(where + ": the '" + name + "' optimiser state does not fit (" +
                             std::string(e.what()).substr(0, 200) + ")");
    }
  }
  const std::string* rng = ck.blob("rng.cpu");
  if (!rng) return Corrupt(where + " lacks the RNG state");
  try {
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    gen.set_state(BytesTensor(*rng));
    // Only when both runs had a GPU; otherwise a GPU run continues with fresh CUDA randomness.
    const std::string* rng_cuda = ck.blob("rng.cuda");
    if (rng_cuda && torch::cuda::is_available()) {
      at::Generator cuda_gen = at::globalContext().defaultGenerator(at::Device(at::kCUDA));
      cuda_gen.set_state(BytesTensor(*rng_cuda));
    }
  } catch (const std::exception& e) {
    return Corrupt(where + ": RNG state is unusable (" + std::string(e.what()).substr(0, 200) + ")");
  }
  return ck.header().metadata;
}

}  // namespace smile::training
