// Issue "Training": a run stopped at k and resumed to n ends with the same weights
// as an uninterrupted run to n (each stage, tiny config, real loader and run loop).
#include "training/train_run.h"

#include <gtest/gtest.h>

#include <functional>

#include "core/shutdown.h"
#include "test_util.h"
#include "training/atomic_file.h"
#include "training/loss_log.h"
#include "training/trainer_state.h"

namespace smile::training {
namespace {

using testing::TempDir;
namespace fs = std::filesystem;

models::ModelConfig Tiny() { return *models::ModelConfig::Preset("tiny"); }

// Five face-like samples in the images + labels layout (shifted so they differ).
std::string WriteDataset(const TempDir& dir) {
  for (int i = 0; i < 5; ++i) {
    cv::Mat lab = testing::SyntheticLabels(64);
    cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, i - 2, 0, 1, 2 - i);
    cv::warpAffine(lab, lab, shift, lab.size(), cv::INTER_NEAREST, cv::BORDER_REPLICATE);
    if (i == 3) cv::rectangle(lab, cv::Point(18, 24), cv::Point(46, 30), cv::Scalar(kEyeGlasses), 2);
    fs::create_directories(dir.path() / "data" / "images");
    fs::create_directories(dir.path() / "data" / "labels");
    cv::imwrite((dir.path() / "data" / "images" / (std::to_string(i) + ".png")).string(), testing::SyntheticImage(lab));
    cv::imwrite((dir.path() / "data" / "labels" / (std::to_string(i) + ".png")).string(), lab);
  }
  return (dir.path() / "data").string();
}

std::unique_ptr<DataLoader> MakeLoader(const std::string& root, int size) {
  auto ds = OpenDataset(root);
  EXPECT_TRUE(ds.ok()) << ds.status().ToString();
  LoaderOptions lo;
  lo.batch_size = 2;
  lo.workers = 2;
  lo.seed = 11;
  lo.augment.size = size;
  auto l = DataLoader::Create(std::shared_ptr<const Dataset>(std::move(ds).value()), lo);
  EXPECT_TRUE(l.ok()) << l.status().ToString();
  return std::move(l).value();
}

using Factory = std::function<std::unique_ptr<StageRunner>()>;

void RunStage(const Factory& make, const std::string& data, int size, const std::string& out, int64_t iters,
         bool resume) {
  auto runner = make();
  auto loader = MakeLoader(data, size);
  RunOptions o;
  o.out_dir = out;
  o.iterations = iters;
  o.checkpoint_every = 2;
  o.sample_every = 2;
  o.resume = resume;
  o.progress = false;
  auto r = RunTraining(*runner, *loader, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->end_iteration, iters);
}

void ExpectSameParameters(torch::nn::Module& a, torch::nn::Module& b, const std::string& what) {
  auto pa = a.named_parameters(true), pb = b.named_parameters(true);
  ASSERT_EQ(pa.size(), pb.size());
  double worst = 0;
  for (size_t i = 0; i < pa.size(); ++i)
    worst = std::max(worst, (pa[i].value() - pb[i].value()).abs().max().item<double>());
  for (const auto& buf : a.named_buffers(true)) {
    auto other = b.named_buffers(true)[buf.key()];
    if (buf.value().is_floating_point()) worst = std::max(worst, (buf.value() - other).abs().max().item<double>());
  }
  EXPECT_LE(worst, 1e-6) << what << ": resumed run differs from the uninterrupted one by " << worst;
  std::printf("%s: max |uninterrupted - resumed| = %g\n", what.c_str(), worst);
}

// Stopped after 2 of 4 (the first resumed step runs R1 and path length, right after a sample
// grid) and after 3 of 6 (a reference step follows): both resume exactly.
class TrainResumeSynth : public ::testing::TestWithParam<std::pair<int, int>> {};

TEST_P(TrainResumeSynth, StoppedAndResumedMatchesUninterrupted) {
  const auto [stop, total] = GetParam();
  TempDir dir;
  const auto data = WriteDataset(dir);
  auto cfg = Tiny();
  SynthTrainOptions so;
  so.r1_every = 2;
  so.pl_every = 2;
  so.seed = 4;
  Factory make = [&] { return MakeSynthRunner(cfg, so, torch::kCPU); };
  RunStage(make, data, cfg.image_size, dir.str() + "/full", total, false);
  RunStage(make, data, cfg.image_size, dir.str() + "/split", stop, false);
  RunStage(make, data, cfg.image_size, dir.str() + "/split", total, true);
  SynthTrainer a(cfg, so, torch::kCPU), b(cfg, so, torch::kCPU);
  ASSERT_TRUE(a.LoadState(StatePath(dir.str() + "/full")).ok());
  auto meta = b.LoadState(StatePath(dir.str() + "/split"));
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_EQ(b.iteration(), total);
  EXPECT_EQ(a.mean_path_length(), b.mean_path_length());
  ExpectSameParameters(*a.network(), *b.network(), "synth G");
  ExpectSameParameters(*a.discriminator(), *b.discriminator(), "synth D");
  ExpectSameParameters(*a.ema(), *b.ema(), "synth EMA");
  EXPECT_TRUE(fs::exists(dir.path() / "split" / "synth.ckpt"));
  char grid[64];
  std::snprintf(grid, sizeof(grid), "iter_%07d.png", total);
  EXPECT_TRUE(fs::exists(dir.path() / "split" / "samples" / grid));
  EXPECT_TRUE(fs::exists(dir.path() / "split" / "losses.png"));
  auto log = ReadLossLog(dir.str() + "/split/losses.jsonl");
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), static_cast<size_t>(total)) << "one line per iteration, none lost or repeated by the resume";
  EXPECT_EQ(log->back().iteration, total);
}

INSTANTIATE_TEST_SUITE_P(TrainResume, TrainResumeSynth,
                         ::testing::Values(std::make_pair(2, 4), std::make_pair(3, 6)));

TEST(TrainResume, ManipStoppedAndResumedMatchesUninterrupted) {
  TempDir dir;
  const auto data = WriteDataset(dir);
  auto cfg = Tiny();
  ManipTrainOptions mo;
  mo.seed = 4;
  mo.ds_iters = 6;
  Factory make = [&] { return MakeManipRunner(cfg, mo, 0.5, torch::kCPU); };
  RunStage(make, data, cfg.manip_size, dir.str() + "/full", 4, false);
  RunStage(make, data, cfg.manip_size, dir.str() + "/split", 2, false);
  RunStage(make, data, cfg.manip_size, dir.str() + "/split", 4, true);
  ManipTrainer a(cfg, mo, torch::kCPU), b(cfg, mo, torch::kCPU);
  ASSERT_TRUE(a.LoadState(StatePath(dir.str() + "/full")).ok());
  ASSERT_TRUE(b.LoadState(StatePath(dir.str() + "/split")).ok());
  ExpectSameParameters(*a.generator(), *b.generator(), "manip G");
  ExpectSameParameters(*a.mapping(), *b.mapping(), "manip mapping");
  ExpectSameParameters(*a.encoder(), *b.encoder(), "manip encoder");
  ExpectSameParameters(*a.discriminator(), *b.discriminator(), "manip D");
  auto report = ReadFileBytes(dir.str() + "/split/report.txt");
  ASSERT_TRUE(report.ok());
  EXPECT_NE(report->find("8 samples"), std::string::npos) << *report;  // 4 iterations x batch 2
}

TEST(TrainResume, ParserStoppedAndResumedMatchesUninterrupted) {
  TempDir dir;
  const auto data = WriteDataset(dir);
  auto cfg = Tiny();
  ParserTrainOptions po;
  po.seed = 4;
  Factory make = [&] { return MakeParserRunner(cfg, po, torch::kCPU); };
  RunStage(make, data, cfg.parser_size, dir.str() + "/full", 6, false);
  RunStage(make, data, cfg.parser_size, dir.str() + "/split", 3, false);
  RunStage(make, data, cfg.parser_size, dir.str() + "/split", 6, true);
  ParserTrainer a(cfg, po, torch::kCPU), b(cfg, po, torch::kCPU);
  ASSERT_TRUE(a.LoadState(StatePath(dir.str() + "/full")).ok());
  ASSERT_TRUE(b.LoadState(StatePath(dir.str() + "/split")).ok());
  ExpectSameParameters(*a.network(), *b.network(), "parser");
}

TEST(TrainResume, StopRequestWritesStateAndWrongStageIsRefused) {
  TempDir dir;
  const auto data = WriteDataset(dir);
  auto cfg = Tiny();
  auto runner = MakeParserRunner(cfg, {}, torch::kCPU);
  auto loader = MakeLoader(data, cfg.parser_size);
  RunOptions o;
  o.out_dir = dir.str() + "/run";
  o.iterations = 100;
  o.progress = false;
  RequestStop();  // as SIGINT would
  auto r = RunTraining(*runner, *loader, o);
  ResetStopRequest();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->interrupted);
  EXPECT_TRUE(fs::exists(StatePath(o.out_dir)));
  // Starting again without --resume must not overwrite the run.
  auto again = RunTraining(*runner, *loader, o);
  EXPECT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("--resume"), std::string::npos);
  // A parser state given to the synthesis trainer: clear message naming both kinds.
  SynthTrainer synth(cfg, {}, torch::kCPU);
  auto wrong = synth.LoadState(StatePath(o.out_dir));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("parser_train"), std::string::npos) << wrong.status().ToString();
  // A state of another config.
  auto small = *models::ModelConfig::Preset("small");
  ParserTrainer other(small, {}, torch::kCPU);
  auto mismatch = other.LoadState(StatePath(o.out_dir));
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("--config"), std::string::npos) << mismatch.status().ToString();
}

}  // namespace
}  // namespace smile::training
