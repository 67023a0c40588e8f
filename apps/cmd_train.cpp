// smile train synth|manip|parser: train one SMILE stage (or the face parser) from still
// images / label maps, resumably (training/train_run.h describes the run folder).
#include <cstdio>
#include <filesystem>
#include <memory>

#include <torch/torch.h>

#include "apps/command.h"
#include "core/log.h"
#include "core/progress.h"
#include "engine/face_analyzer.h"
#include "models/runtime.h"
#include "training/dataset.h"
#include "training/loader.h"
#include "training/train_run.h"

namespace smile::app {
namespace {

namespace fs = std::filesystem;

Status RunTrain(const std::vector<std::string>& args) {
  ArgParser p("train",
              "Train a stage from still images and label maps: 'synth' (mask + style -> photo), 'manip' "
              "(mask -> edited mask, attribute domains) or 'parser' (photo -> mask). Writes to the run folder "
              "state.ckpt (resumable trainer state), <stage>.ckpt (the trained network, EMA weights), "
              "losses.jsonl, losses.png, samples/iter_N.png and report.txt.");
  p.Positional("stage", "synth, manip or parser");
  p.Option("data", "DIR", "training data: " + training::DatasetLayoutHelp(), "", true);
  p.Option("out", "DIR", "run folder (created; holds checkpoints, logs and pictures)", "", true);
  p.Option("config", "NAME", "network configuration: tiny, small, paper128, paper", "small");
  p.Flag("resume", "continue the run in --out exactly where its last checkpoint stopped");
  p.Option("iters", "N", "total iterations (a resumed run continues up to this)", "10000");
  p.Option("batch", "B", "batch size", "4");
  p.Option("lr", "X", "learning rate (0 = the stage's default: synth 0.002, manip 1e-4, parser 2e-3)", "0");
  p.Option("seed", "S", "random seed (data order, augmentation, initial weights)", "0");
  p.Option("device", "D", "cpu, cuda, cuda:N or auto", "auto");
  p.Option("checkpoint-every", "N", "write the resumable state every N iterations", "500");
  p.Option("sample-every", "K", "write a sample grid and the loss curve every K iterations (0 = at the end)", "200");
  p.Option("workers", "N", "data loading threads", "2");
  p.Option("edit-probability", "P", "manip: share of samples moved into a missing domain by mask editing", "0.5");
  p.Epilog("examples:\n  smile train parser --data CelebAMask-HQ --config small --out runs/parser\n"
           "  smile train synth --data faces/ --config tiny --out runs/s --iters 200 --sample-every 50\n"
           "  smile train synth --data faces/ --config tiny --out runs/s --iters 400 --resume\n"
           "Ctrl-C (or SIGTERM) writes the state and stops; --resume continues exactly.");
  Status status;
  if (!ParseOrHelp(p, args, &status)) return status;
  const std::string stage = p.Get("stage");
  if (stage != "synth" && stage != "manip" && stage != "parser")
    return InvalidArgument("unknown stage '" + stage + "'; choose synth, manip or parser");
  SMILE_ASSIGN_OR_RETURN(auto config, models::ModelConfig::Preset(p.Get("config")));
  SMILE_ASSIGN_OR_RETURN(int64_t iters, p.GetInt("iters", 1, INT64_C(1000000000)));
  SMILE_ASSIGN_OR_RETURN(int64_t batch, p.GetInt("batch", 1, 1024));
  SMILE_ASSIGN_OR_RETURN(double lr, p.GetDouble("lr", 0, 10));
  SMILE_ASSIGN_OR_RETURN(int64_t seed, p.GetInt("seed", 0, INT64_MAX));
  SMILE_ASSIGN_OR_RETURN(int64_t ckpt_every, p.GetInt("checkpoint-every", 0, INT64_MAX));
  SMILE_ASSIGN_OR_RETURN(int64_t sample_every, p.GetInt("sample-every", 0, INT64_MAX));
  SMILE_ASSIGN_OR_RETURN(int64_t workers, p.GetInt("workers", 1, 64));
  SMILE_ASSIGN_OR_RETURN(double edit_p, p.GetDouble("edit-probability", 0, 1));
  const std::string data = p.Get("data"), out = p.Get("out");
  if (!fs::is_directory(data)) return NotFound("--data '" + data + "' is not a folder; " + training::DatasetLayoutHelp());

  SMILE_ASSIGN_OR_RETURN(auto device_choice, models::ChooseDevice(p.Get("device")));
  models::InitTorchRuntime();
  torch::Device device(device_choice.name);

  // Data: open, verify every sample once (bad ones are skipped and counted), report attributes.
  training::DatasetOptions dso;
  dso.cache_dir = (fs::path(out) / "cache").string();
  // Photos / videos without label maps are labelled by the engine's face parser (created on first use).
  auto analyzer = std::make_shared<std::unique_ptr<engine::FaceAnalyzer>>();
  dso.labeller = [analyzer](const cv::Mat& bgr) -> Result<cv::Mat> {
    if (!*analyzer) {
      SMILE_ASSIGN_OR_RETURN(auto a, engine::FaceAnalyzer::Create({}));
      *analyzer = std::make_unique<engine::FaceAnalyzer>(std::move(a));
    }
    return (*analyzer)->ParseStill(bgr);
  };
  dso.labeller_name = "smile-face-analyzer";
  SMILE_ASSIGN_OR_RETURN(auto dataset, training::OpenDataset(data, dso));
  SMILE_RETURN_IF_ERROR(dataset->Prepare());
  SMILE_LOG(kInfo) << "train " << stage << ": " << dataset->layout() << " data in '" << data << "', "
                   << dataset->size() << " samples; checking them";
  training::VerifyReport verify = training::VerifyDataset(*dataset, static_cast<int>(workers));
  std::string data_report = "data: '" + data + "' (" + dataset->layout() + "), " + std::to_string(dataset->size()) +
                            " samples, " + std::to_string(verify.valid.size()) + " usable\n" + verify.ToString();
  if (verify.skipped.total() > 0) {
    SMILE_LOG(kWarn) << "train: skipped " << verify.skipped.ToString();
  }
  if (verify.valid.empty())
    return InvalidArgument("no usable training sample in '" + data + "' (" + verify.skipped.ToString() + "); " +
                           training::DatasetLayoutHelp());
  if (stage == "manip") {
    SMILE_LOG(kInfo) << "attribute domains:\n" << verify.attributes.ToString();
  }

  const int size = stage == "synth" ? config.image_size : stage == "manip" ? config.manip_size : config.parser_size;
  training::LoaderOptions lo;
  lo.batch_size = static_cast<int>(batch);
  lo.workers = static_cast<int>(workers);
  lo.seed = static_cast<uint64_t>(seed) + 1;
  lo.augment.size = size;
  lo.indices = verify.valid;
  SMILE_ASSIGN_OR_RETURN(auto loader,
                         training::DataLoader::Create(std::shared_ptr<const training::Dataset>(std::move(dataset)), lo));

  std::unique_ptr<training::StageRunner> runner;
  if (stage == "synth") {
    training::SynthTrainOptions o;
    if (lr > 0) o.lr = lr;
    o.seed = static_cast<uint64_t>(seed);
    runner = training::MakeSynthRunner(config, o, device);
  } else if (stage == "manip") {
    training::ManipTrainOptions o;
    if (lr > 0) o.lr = lr;
    o.seed = static_cast<uint64_t>(seed);
    o.ds_iters = iters;
    runner = training::MakeManipRunner(config, o, edit_p, device);
  } else {
    training::ParserTrainOptions o;
    if (lr > 0) o.lr = lr;
    o.seed = static_cast<uint64_t>(seed);
    runner = training::MakeParserRunner(config, o, device);
  }
  training::RunOptions ro;
  ro.out_dir = out;
  ro.iterations = iters;
  ro.checkpoint_every = ckpt_every;
  ro.sample_every = sample_every;
  ro.resume = p.GetFlag("resume");
  ro.data_report = data_report;
  SMILE_LOG(kInfo) << "train " << stage << ": config " << config.preset << " (" << size << " px), batch " << batch
                   << ", device " << device_choice.description << ", " << loader->samples() << " samples";
  SMILE_ASSIGN_OR_RETURN(auto result, training::RunTraining(*runner, *loader, ro));
  std::printf("%s: iterations %lld -> %lld in %.1f s (%.2f it/s)%s\n", stage.c_str(),
              static_cast<long long>(result.start_iteration), static_cast<long long>(result.end_iteration),
              result.seconds, result.iterations_per_second, result.interrupted ? ", interrupted" : "");
  std::printf("data: %s; skipped while loading: %s\n", verify.skipped.ToString().c_str(), result.skipped.c_str());
  std::printf("run folder: %s (state.ckpt, %s.ckpt, losses.jsonl, losses.png, samples/)\n", out.c_str(),
              stage.c_str());
  if (result.interrupted)
    std::printf("stopped early; continue with the same command plus --resume\n");
  return Status::Ok();
}

}  // namespace

SMILE_COMMAND(train, 45, "train a stage (synth, manip, parser) from images and label maps, resumably", RunTrain);

}  // namespace smile::app
