// smile train synth|manip|parser: train one SMILE stage (or the face parser) from still
// images / label maps, resumably (training/train_run.h describes the run folder).
// --nproc N starts N data-parallel worker processes of this command on this machine
// (training/distributed.h); --rank/--world/--master join a group across machines.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <torch/torch.h>

#include "apps/command.h"
#include "apps/synthesis_options.h"
#include "core/log.h"
#include "core/progress.h"
#include "core/shutdown.h"
#include "engine/face_analyzer.h"
#include "models/attr_net.h"
#include "models/attributes.h"
#include "models/runtime.h"
#include "training/dataset.h"
#include "training/distributed.h"
#include "training/loader.h"
#include "training/train_run.h"

namespace smile::app {
namespace {

namespace fs = std::filesystem;

// `args` without the options named in `drop` (and their values; "--x=v" form too).
std::vector<std::string> WithoutOptions(const std::vector<std::string>& args, const std::vector<std::string>& drop) {
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    bool skip = false;
    for (const auto& d : drop) {
      if (args[i] == "--" + d) {
        skip = true;
        ++i;  // its value
        break;
      }
      if (args[i].rfind("--" + d + "=", 0) == 0) {
        skip = true;
        break;
      }
    }
    if (!skip) out.push_back(args[i]);
  }
  return out;
}

// --nproc N: N copies of this command, ranks 0..N-1, meeting through a file store in the run folder.
Status LaunchLocal(const std::vector<std::string>& args, int nproc, const std::string& out) {
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) return IoError("cannot create the run folder '" + out + "': " + ec.message() + "; check the path");
  const std::string store = (fs::absolute(out) / (".dist-store-" + std::to_string(getpid()))).string();
  fs::remove(store, ec);
  std::vector<std::string> argv = {"/proc/self/exe"};
  const bool quiet = GetLogLevel() >= LogLevel::kWarn;
  if (quiet) argv.push_back("--quiet");
  argv.push_back("train");
  for (auto& a : WithoutOptions(args, {"nproc", "rank", "world", "master"})) argv.push_back(a);
  SMILE_LOG(kInfo) << "train: starting " << nproc << " data-parallel processes (rank 0 writes '" << out << "')";
  auto result = training::RunLocalWorkers(argv, nproc, [&](int rank) {
    std::vector<std::string> extra = {"--rank", std::to_string(rank), "--world", std::to_string(nproc), "--master",
                                      "file://" + store};
    if (rank > 0 && !quiet) extra.push_back("--quiet");  // one progress bar and one summary
    return extra;
  });
  fs::remove(store, ec);
  if (!result.ok()) return result.status();
  if (*result == 130 || (*result != 0 && StopRequested()))
    return Cancelled("interrupted; the processes saved the state in '" + out +
                     "/state.ckpt'; continue with the same command plus --resume");
  if (*result != 0)
    return Internal("a training process exited with status " + std::to_string(*result) +
                    " (its message is above); fix it and rerun, or add --resume to continue from the last checkpoint");
  return Status::Ok();
}

Status RunTrain(const std::vector<std::string>& args) {
  ArgParser p("train",
              "Train a stage from still images and label maps: 'synth' (mask + style -> photo), 'manip' "
              "(mask -> edited mask, attribute domains), 'parser' (photo -> mask) or 'attr' (the MobileNetV2-style "
              "attribute classifier that `smile eval manip` scores edits with; CelebA attribute labels when the data "
              "has CelebAMask-HQ-attribute-anno.txt, else the attributes the masks show). Writes to the run folder "
              "state.ckpt (resumable trainer state), <stage>.ckpt (the trained network, EMA weights), "
              "losses.jsonl, losses.png, samples/iter_N.png and report.txt.");
  p.Positional("stage", "synth, manip, parser or attr");
  p.Option("data", "DIR", "training data: " + training::DatasetLayoutHelp(), "", true);
  p.Option("out", "DIR", "run folder (created; holds checkpoints, logs and pictures)", "", true);
  p.Option("config", "NAME", "network configuration: tiny, small, paper128, paper", "small");
  p.Flag("resume", "continue the run in --out exactly where its last checkpoint stopped");
  p.Option("init", "FILE",
           "parser: start a new run from this parser checkpoint's weights (fine-tuning, e.g. the bundled "
           "assets/models/parser.smile on your own labels); the optimiser starts afresh");
  p.Option("iters", "N", "total iterations (a resumed run continues up to this)", "10000");
  p.Option("batch", "B", "batch size", "4");
  p.Option("lr", "X", "learning rate (0 = the stage's default: synth 0.002, manip 1e-4, parser 2e-3, attr 1e-3)", "0");
  p.Option("seed", "S", "random seed (data order, augmentation, initial weights)", "0");
  p.Option("device", "D", "cpu, cuda, cuda:N or auto", "auto");
  p.Option("precision", "fp32|bf16|auto",
           "synth, manip, parser: training arithmetic, fp32 or bf16 mixed precision (forward passes in bfloat16, "
           "weights and losses fp32; faster on GPUs and on CPUs with AMX or AVX-512 BF16); auto: bf16 where the "
           "CPU has either",
           "fp32");
  p.Option("checkpoint-every", "N", "write the resumable state every N iterations", "500");
  p.Option("sample-every", "K", "write a sample grid and the loss curve every K iterations (0 = at the end)", "200");
  p.Option("workers", "N", "data loading threads", "2");
  p.Option("edit-probability", "P", "manip: share of samples moved into a missing domain by mask editing", "0.5");
  p.Option("attr-input", "KIND", "attr: classify label maps ('mask', what the manipulation stage outputs) or photos "
           "('image')", "mask");
  p.Option("nproc", "N",
           "data-parallel processes on this machine (each trains on --batch samples of every global batch of "
           "N x batch; gradients averaged; rank 0 writes the run folder)",
           "1");
  p.Option("rank", "R", "this process's rank when joining a group by hand (with --world, --master)", "0");
  p.Option("world", "N", "processes in the group (several machines: start one per rank)", "1");
  p.Option("master", "ADDR", "rendezvous: HOST:PORT (rank 0 listens) or file://PATH on a shared file system", "");
  p.Option("micro-batches", "M",
           "parser: split each batch into M parts whose gradients are averaged (what M processes compute)", "1");
  p.Epilog("examples:\n  smile train parser --data CelebAMask-HQ --config small --out runs/parser\n"
           "  smile train synth --data faces/ --config tiny --out runs/s --iters 200 --sample-every 50\n"
           "  smile train synth --data faces/ --config tiny --out runs/s --iters 400 --resume\n"
           "  smile train parser --data faces/ --config tiny --out runs/p2 --batch 4 --nproc 2\n"
           "  (machine A) smile train synth ... --rank 0 --world 2 --master A:29500\n"
           "  (machine B) smile train synth ... --rank 1 --world 2 --master A:29500\n"
           "Ctrl-C (or SIGTERM) writes the state and stops (exit 130); --resume continues exactly (also with --nproc).\n"
           "A crash or kill -9 loses at most --checkpoint-every iterations.");
  Status status;
  if (!ParseOrHelp(p, args, &status)) return status;
  const std::string stage = p.Get("stage");
  if (stage != "synth" && stage != "manip" && stage != "parser" && stage != "attr")
    return InvalidArgument("unknown stage '" + stage + "'; choose synth, manip, parser or attr");
  SMILE_ASSIGN_OR_RETURN(bool bf16, PrecisionIsBf16(p));
  if (stage == "attr" && p.Get("precision") == "auto") bf16 = false;
  if (bf16 && stage == "attr")
    return InvalidArgument("--precision bf16 is implemented for synth, manip and parser; drop it for attr");
  if (!p.Get("init").empty()) {
    if (p.GetFlag("resume")) return InvalidArgument("--init starts a new run; drop it with --resume");
    if (stage != "parser") return InvalidArgument("--init is implemented for the parser stage; drop it for " + stage);
    if (!std::filesystem::exists(p.Get("init"))) return NotFound("--init '" + p.Get("init") + "' does not exist");
  }
  SMILE_ASSIGN_OR_RETURN(auto config, models::ModelConfig::Preset(p.Get("config")));
  models::AttrNetSpec attr_spec;
  if (stage == "attr") {
    const std::string kind = p.Get("attr-input");
    if (kind != "mask" && kind != "image")
      return InvalidArgument("--attr-input '" + kind + "': choose mask or image");
    SMILE_ASSIGN_OR_RETURN(attr_spec, models::AttrSpecFromConfig(config));
    attr_spec.mask_input = kind == "mask";
    models::StoreAttrSpec(attr_spec, &config);
  }
  SMILE_ASSIGN_OR_RETURN(int64_t iters, p.GetInt("iters", 1, INT64_C(1000000000)));
  SMILE_ASSIGN_OR_RETURN(int64_t batch, p.GetInt("batch", 1, 1024));
  SMILE_ASSIGN_OR_RETURN(double lr, p.GetDouble("lr", 0, 10));
  SMILE_ASSIGN_OR_RETURN(int64_t seed, p.GetInt("seed", 0, INT64_MAX));
  SMILE_ASSIGN_OR_RETURN(int64_t ckpt_every, p.GetInt("checkpoint-every", 0, INT64_MAX));
  SMILE_ASSIGN_OR_RETURN(int64_t sample_every, p.GetInt("sample-every", 0, INT64_MAX));
  SMILE_ASSIGN_OR_RETURN(int64_t workers, p.GetInt("workers", 1, 64));
  SMILE_ASSIGN_OR_RETURN(double edit_p, p.GetDouble("edit-probability", 0, 1));
  SMILE_ASSIGN_OR_RETURN(int64_t nproc, p.GetInt("nproc", 1, 64));
  SMILE_ASSIGN_OR_RETURN(int64_t world, p.GetInt("world", 1, 4096));
  SMILE_ASSIGN_OR_RETURN(int64_t rank, p.GetInt("rank", 0, 4095));
  SMILE_ASSIGN_OR_RETURN(int64_t micro, p.GetInt("micro-batches", 1, 1024));
  const std::string data = p.Get("data"), out = p.Get("out");
  if (!fs::is_directory(data)) return NotFound("--data '" + data + "' is not a folder; " + training::DatasetLayoutHelp());
  if (nproc > 1 && world > 1) return InvalidArgument("give either --nproc (one machine) or --rank/--world, not both");
  if (world == 1 && (rank != 0 || !p.Get("master").empty()))
    return InvalidArgument("--rank and --master need --world > 1");
  if (rank >= world) return InvalidArgument("--rank " + std::to_string(rank) + " must be below --world " +
                                            std::to_string(world));
  if (world > 1 && p.Get("master").empty())
    return InvalidArgument("--world > 1 needs --master HOST:PORT (or file://PATH); on one machine use --nproc");
  // Options of one stage given to another: an error rather than silently ignored.
  auto given = [&](const std::string& o) {
    return std::any_of(args.begin(), args.end(),
                       [&](const std::string& a) { return a == "--" + o || a.rfind("--" + o + "=", 0) == 0; });
  };
  if (given("edit-probability") && stage != "manip")
    return InvalidArgument("--edit-probability is for the manip stage only; leave it out for " + stage);
  if (given("attr-input") && stage != "attr")
    return InvalidArgument("--attr-input is for the attr stage only; leave it out for " + stage);
  if (micro > 1 && stage != "parser")
    return InvalidArgument("--micro-batches is implemented for the parser stage only; use --nproc for " + stage);
  if (batch % micro != 0)
    return InvalidArgument("--batch " + std::to_string(batch) + " is not divisible by --micro-batches " +
                           std::to_string(micro));
  if (nproc > 1) return LaunchLocal(args, static_cast<int>(nproc), out);

  std::unique_ptr<training::Distributed> dist;
  if (world > 1) {
    training::DistributedOptions dopt;
    dopt.rank = static_cast<int>(rank);
    dopt.world = static_cast<int>(world);
    dopt.master = p.Get("master");
    dopt.timeout_seconds = 1800;
    SMILE_ASSIGN_OR_RETURN(dist, training::Distributed::Connect(dopt));
    // Rank 0 prepares the data first (a photo folder's masks are cached on disk once).
    if (!dist->is_main()) SMILE_RETURN_IF_ERROR(dist->Barrier());
  }

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
  if (dist && dist->is_main()) SMILE_RETURN_IF_ERROR(dist->Barrier());
  const bool main_rank_early = !dist || dist->is_main();
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

  const int size = stage == "synth"    ? config.image_size
                   : stage == "manip" ? config.manip_size
                   : stage == "attr"  ? attr_spec.size
                                      : config.parser_size;
  std::string attr_source;
  if (stage == "attr") {
    int64_t real = 0, derived = 0;
    for (int d = 0; d < models::kNumDomains; ++d) real += verify.attributes.real[d], derived += verify.attributes.derived[d];
    attr_source = real > 0 ? "CelebA attribute file (" + std::to_string(real) + " labels; " + std::to_string(derived) +
                                 " more derived from masks)"
                           : "derived from masks (" + std::to_string(derived) +
                                 " labels; no CelebA attribute file, so Gender is never trained)";
    if (main_rank_early) SMILE_LOG(kInfo) << "train attr: labels " << attr_source;
    data_report += "attribute labels: " + attr_source + "\n";
  }
  training::LoaderOptions lo;
  lo.batch_size = static_cast<int>(batch * world);  // global batch; this rank loads its shard
  lo.shard_index = static_cast<int>(rank);
  lo.shard_count = static_cast<int>(world);
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
    o.bf16 = bf16;
    o.seed = static_cast<uint64_t>(seed);
    runner = training::MakeSynthRunner(config, o, device);
  } else if (stage == "manip") {
    training::ManipTrainOptions o;
    if (lr > 0) o.lr = lr;
    o.seed = static_cast<uint64_t>(seed);
    o.ds_iters = iters;
    o.bf16 = bf16;
    runner = training::MakeManipRunner(config, o, edit_p, device);
  } else if (stage == "attr") {
    training::AttrTrainOptions o;
    if (lr > 0) o.lr = lr;
    o.seed = static_cast<uint64_t>(seed);
    runner = training::MakeAttrRunner(config, o, attr_source, device);
  } else {
    training::ParserTrainOptions o;
    if (lr > 0) o.lr = lr;
    o.seed = static_cast<uint64_t>(seed);
    o.micro_batches = static_cast<int>(micro);
    o.bf16 = bf16;
    runner = training::MakeParserRunner(config, o, device);
  }
  if (!p.Get("init").empty()) SMILE_RETURN_IF_ERROR(runner->InitWeights(p.Get("init")));
  training::RunOptions ro;
  ro.out_dir = out;
  ro.iterations = iters;
  ro.checkpoint_every = ckpt_every;
  ro.sample_every = sample_every;
  ro.resume = p.GetFlag("resume");
  ro.data_report = data_report;
  ro.dist = dist.get();
  ro.seed = static_cast<uint64_t>(seed);
  const bool main_rank = !dist || dist->is_main();
  if (main_rank)
    SMILE_LOG(kInfo) << "train " << stage << ": config " << config.preset << " (" << size << " px), batch " << batch
                     << (world > 1 ? " per process x " + std::to_string(world) + " processes" : std::string())
                     << ", device " << device_choice.description << ", " << loader->samples() << " samples";
  SMILE_ASSIGN_OR_RETURN(auto result, training::RunTraining(*runner, *loader, ro));
  if (!main_rank) return Status::Ok();
  if (world > 1)
    std::printf("data-parallel: %lld processes x batch %lld = global batch %lld\n", static_cast<long long>(world),
                static_cast<long long>(batch), static_cast<long long>(batch * world));
  std::printf("%s: iterations %lld -> %lld in %.1f s (%.2f it/s)%s\n", stage.c_str(),
              static_cast<long long>(result.start_iteration), static_cast<long long>(result.end_iteration),
              result.seconds, result.iterations_per_second, result.interrupted ? ", interrupted" : "");
  std::printf("data: %s; skipped while loading: %s\n", verify.skipped.ToString().c_str(), result.skipped.c_str());
  std::printf("run folder: %s (state.ckpt, %s.ckpt, losses.jsonl, losses.png, samples/)\n", out.c_str(),
              stage.c_str());
  if (stage == "attr") std::printf("attribute labels: %s\n", attr_source.c_str());
  if (result.interrupted)  // exit 130 like every interrupted command; the state is complete
    return Cancelled("interrupted at iteration " + std::to_string(result.end_iteration) + "; the state is saved in '" +
                     training::StatePath(out) + "'; continue with the same command plus --resume");
  return Status::Ok();
}

}  // namespace

SMILE_COMMAND(train, 45,
              "train a stage (synth, manip, parser) or the attribute classifier (attr), resumably, on N processes",
              RunTrain);

}  // namespace smile::app
