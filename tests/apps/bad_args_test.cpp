// Every subcommand with missing, conflicting and out-of-range options: a
// one-line error that names the option (the fix) and exit code 2, before any
// work is done (no output is created). Also: the --help of every command that
// renders or edits a face states the consent expectation in one line.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "cli_util.h"

namespace {

using namespace smile_cli;

struct ArgCase {
  std::vector<std::string> args;
  std::string mention;  // the option or value the message must name
};

void ExpectUsageErrors(const std::vector<ArgCase>& cases, const TempDir& t) {
  for (const auto& c : cases) {
    std::vector<std::string> args = {"--quiet"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    CmdRun r = Smile(args);
    std::string cmd;
    for (const auto& a : c.args) cmd += a + " ";
    EXPECT_EQ(r.code, 2) << cmd << "\n" << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << cmd << "\nexpected one line:\n" << r.out;
    EXPECT_NE(r.out.find(c.mention), std::string::npos) << cmd << "\n" << r.out;
  }
  EXPECT_FALSE(fs::exists(t / "out.mp4"));
  EXPECT_FALSE(fs::exists(t / "out"));
}

// An existing (tiny) input so range checks are what fails.
std::string Input(const TempDir& t) {
  std::ofstream(t / "in.mp4") << "x";
  return t / "in.mp4";
}

TEST(BadArgs, UnknownCommandAndGlobalFlag) {
  TempDir t;
  ExpectUsageErrors({{{"swpa"}, "swap"}, {{"--frobnicate"}, "--frobnicate"}}, t);
}

TEST(BadArgs, Copy) {
  TempDir t;
  const std::string in = Input(t), out = t / "out.mp4";
  ExpectUsageErrors({{{"copy"}, "input"},
                     {{"copy", in}, "output"},
                     {{"copy", in, out, "--crf", "99"}, "--crf"},
                     {{"copy", in, out, "--crf", "abc"}, "--crf"},
                     {{"copy", in, out, "--max-frames", "0"}, "--max-frames"},
                     {{"copy", in, out, "--queue", "0"}, "--queue"},
                     {{"copy", in, out, "--fps", "-5"}, "--fps"},
                     {{"copy", in, out, "--bogus"}, "--bogus"},
                     {{"copy", in, in}, "same file"},
                     {{"copy", in, t / "out.avi"}, "out.avi"}},
                    t);
}

TEST(BadArgs, Swap) {
  TempDir t;
  const std::string in = Input(t), out = t / "out.mp4";
  std::ofstream(t / "id.smile") << "x";
  const std::string id = t / "id.smile";
  ExpectUsageErrors({{{"swap", "--video", in, "-o", out}, "--identity"},
                     {{"swap", "--identity", id, "-o", out}, "--video"},
                     {{"swap", "--identity", id, "--video", in}, "--output"},
                     {{"swap", "--identity", id, "--video", in, "-o", out, "--color", "2"}, "--color"},
                     {{"swap", "--identity", id, "--video", in, "-o", out, "--crf", "-1"}, "--crf"},
                     {{"swap", "--identity", id, "--video", in, "-o", out, "--smooth", "maybe"}, "--smooth"},
                     {{"swap", "--identity", id, "--video", in, "-o", out, "--fast", "maybe"}, "--fast"},
                     {{"swap", "--identity", id, "--video", in, "-o", out, "--precision", "fp16"}, "--precision"},
                     {{"swap", "--identity", id, "--video", in, "-o", out, "--stabilize", "2"}, "--stabilize"},
                     {{"swap", "--identity", id, "--video", in, "-o", out, "--precision", "bf16", "--fast", "off"},
                      "--fast off"},
                     {{"swap", "--identity", id, "--video", in, "-o", out, "--face", "99"}, "--face"},
                     {{"swap", "--identity", id, "--video", in, "-o", out, "--max-frames", "0"}, "--max-frames"},
                     {{"swap", "--identity", id, "--video", in, "-o", in}, "input video"},
                     {{"swap", "--identity", id, "--video", in, "-o", out, "--compare", out}, "--compare"},
                     {{"swap", "--identity", id, "--video", in, "-o", t / "out.xyz"}, "out.xyz"}},
                    t);
}

TEST(BadArgs, Fit) {
  TempDir t;
  const std::string in = Input(t), out = t / "out.smile";
  ExpectUsageErrors({{{"fit", "-o", out}, "--identity"},
                     {{"fit", "--identity", in}, "--output"},
                     {{"fit", "--identity", in, "-o", out, "--minutes", "0", "--iters", "0"}, "--minutes"},
                     {{"fit", "--identity", in, "-o", out, "--batch", "0"}, "--batch"},
                     {{"fit", "--identity", in, "-o", out, "--every", "0"}, "--every"},
                     {{"fit", "--identity", in, "-o", out, "--max-samples", "1"}, "--max-samples"},
                     {{"fit", "--identity", in, "-o", out, "--config", "huge"}, "huge"},
                     {{"fit", "--identity", in, "-o", out, "--base", in}, "--base"},
                     {{"fit", "--identity", in, "-o", out, "--recon-loss", "l3"}, "--recon-loss"}},
                    t);
  EXPECT_FALSE(fs::exists(out));
}

TEST(BadArgs, Parse) {
  TempDir t;
  const std::string in = Input(t), out = t / "out";
  ExpectUsageErrors({{{"parse", "-o", out}, "input"},
                     {{"parse", in}, "--output"},
                     {{"parse", in, "-o", out, "--smooth", "maybe"}, "--smooth"},
                     {{"parse", in, "-o", out, "--size", "8"}, "--size"},
                     {{"parse", in, "-o", out, "--face", "tallest"}, "--face"},
                     {{"parse", in, "-o", out, "--face", "reference"}, "--reference"},
                     {{"parse", in, "-o", out, "--redetect", "0"}, "--redetect"},
                     {{"parse", in, "-o", out, "--parser", "bisenet"}, "--parser"}},
                    t);
}

TEST(BadArgs, ProbeBenchInfoDemo) {
  TempDir t;
  ExpectUsageErrors({{{"probe"}, "media"},
                     {{"probe", Input(t), "--bogus"}, "--bogus"},
                     {{"bench"}, "target"},
                     {{"bench", "everything"}, "models"},
                     {{"bench", "models", "--iters", "0"}, "--iters"},
                     {{"info", "--device", "quantum"}, "quantum"},
                     {{"demo", "-o", t / "out", "--max-frames", "-1"}, "--max-frames"}},
                    t);
}

// Placeholder files: the option checks must fail before any of them is read.
struct Files {
  std::string in, photo, id, id2, manip;
};
Files MakeFiles(const TempDir& t) {
  Files f;
  f.in = Input(t);
  for (auto [path, name] : {std::pair<std::string*, const char*>{&f.photo, "face.png"}, {&f.id, "id.smile"},
                            {&f.id2, "other.smile"}, {&f.manip, "manip.smile"}}) {
    std::ofstream(t / name) << "x";
    *path = t / name;
  }
  return f;
}

TEST(BadArgs, Reenact) {
  TempDir t;
  const Files f = MakeFiles(t);
  const std::string out = t / "out.mp4";
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = {"reenact", "--source", f.photo, "--identity", f.id, "--driver", f.in, "-o", out};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  ExpectUsageErrors({{{"reenact", "--driver", f.in, "-o", out}, "--source"},
                     {{"reenact", "--source", f.id, "-o", out}, "--driver"},
                     {{"reenact", "--source", f.id, "--driver", f.in}, "--output"},
                     {{"reenact", "--source", f.photo, "--driver", f.in, "-o", out}, "--identity"},
                     {{"reenact", "--source", f.id, "--identity", f.id2, "--driver", f.in, "-o", out}, "--identity"},
                     {with({"--pose", "maybe"}), "--pose"},
                     {with({"--gain", "9"}), "--gain"},
                     {with({"--color", "2"}), "--color"},
                     {with({"--crf", "99"}), "--crf"},
                     {with({"--max-frames", "0"}), "--max-frames"},
                     {with({"--stages", "three"}), "--stages"},
                     {with({"--detector", "eyes"}), "--detector"},
                     {with({"--seed", "3"}), "--set"},
                     {with({"--set", "+wings"}), "wings"},
                     {with({"--set", "+eyeglasses", "--manip", f.manip, "--seed", "1", "--ref", f.photo}), "--ref"},
                     {{"reenact", "--source", f.id, "--driver", f.in, "-o", f.in}, "--driver"},
                     {{"reenact", "--source", f.id, "--driver", f.in, "-o", t / "out.xyz"}, "out.xyz"}},
                    t);
}

TEST(BadArgs, Edit) {
  TempDir t;
  const Files f = MakeFiles(t);
  const std::string out = t / "out.mp4";
  fs::create_directories(t / "labels");
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = {"edit", "--input", f.in, "--set", "+eyeglasses", "--manip", f.manip,
                                  "--identity", f.id, "-o", out};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  ExpectUsageErrors({{{"edit", "--set", "+hat", "--identity", f.id, "-o", out}, "--input"},
                     {{"edit", "--input", f.in, "--set", "+hat", "-o", out}, "--identity"},
                     {{"edit", "--input", f.in, "--set", "+hat", "--identity", f.id}, "--output"},
                     {{"edit", "--input", f.in, "--identity", f.id, "-o", out}, "--set"},
                     {{"edit", "--input", f.in, "--set", "+wings", "--identity", f.id, "-o", out}, "wings"},
                     {with({"--seed", "1", "--ref", f.photo}), "--ref"},
                     {with({"--seed", "-4"}), "--seed"},
                     {with({"--color", "-1"}), "--color"},
                     {with({"--crf", "52"}), "--crf"},
                     {with({"--face", "tallest"}), "--face"},
                     {with({"--max-frames", "0"}), "--max-frames"},
                     {with({"--smooth", "maybe"}), "--smooth"},
                     {with({"--stages", "three"}), "--stages"},
                     {with({"--every", "3"}), "--evaluate"},
                     {with({"--compare", out}), "--compare"},
                     {{"edit", "--input", f.in, "--set", "+hat", "--manip", f.manip, "--identity", f.id, "-o", f.in},
                      "input itself"},
                     {{"edit", "--input", f.in, "--set", "+hat", "--manip", f.manip, "--identity", f.id, "-o",
                       t / "out.xyz"},
                      "out.xyz"},
                     {{"edit", "--evaluate", t / "labels", "--input", f.in}, "--input"},
                     {{"edit", "--evaluate", t / "labels", "--manip", f.manip, "--every", "0"}, "--every"},
                     {{"edit", "--evaluate", t / "labels", "--manip", f.manip, "--min-iou", "2"}, "--min-iou"}},
                    t);
}

TEST(BadArgs, Live) {
  TempDir t;
  const Files f = MakeFiles(t);
  const std::string out = t / "out.mp4";
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = {"live", "--source", f.in, "--identity", f.id, "-o", out};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  std::vector<ArgCase> cases = {{{"live", "--identity", f.id, "-o", out}, "--source"},
                                {{"live", "--source", f.in, "-o", out}, "--identity"},
                                {with({"--mode", "dance"}), "--mode"},
                                {with({"--effect", "maybe"}), "--effect"},
                                {with({"--overlay", "maybe"}), "--overlay"},
                                {with({"--pace", "maybe"}), "--pace"},
                                {with({"--watermark", "maybe"}), "--watermark"},
                                {with({"--portrait", f.photo}), "--portrait"},
                                {with({"--in-flight", "0"}), "--in-flight"},
                                {with({"--toggle-every", "0"}), "--toggle-every"},
                                {with({"--max-frames", "0"}), "--max-frames"},
                                {with({"--stats-every", "-1"}), "--stats-every"},
                                {with({"--reconnect", "-1"}), "--reconnect"},
                                {with({"--detector", "eyes"}), "--detector"},
                                {with({"--manip", f.manip}), "--set"},
                                {with({"--sink", t / "other.mp4"}), "--sink"},
                                {{"live", "--source", f.in, "--identity", f.id, "-o", f.in}, "--source"},
                                {{"live", "--source", f.in, "--identity", f.id, "-o", t / "out.xyz"}, "out.xyz"}};
  const char* display = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  if (!(display && *display) && !(wayland && *wayland))
    cases.push_back({{"live", "--source", f.in, "--identity", f.id}, "--sink"});  // no window without a display
  ExpectUsageErrors(cases, t);
}

TEST(BadArgs, TrainEveryStage) {
  TempDir t;
  fs::create_directories(t / "data");
  const std::string data = t / "data", run = t / "out";
  auto with = [&](const std::string& stage, std::vector<std::string> extra) {
    std::vector<std::string> a = {"train", stage, "--data", data, "--out", run};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  std::vector<ArgCase> cases = {{{"train", "--data", data, "--out", run}, "stage"},
                                {with("painter", {}), "synth, manip, parser or attr"},
                                {with("synth", {"--micro-batches", "2"}), "--micro-batches"},
                                {with("synth", {"--edit-probability", "0.3"}), "--edit-probability"},
                                {with("parser", {"--attr-input", "image"}), "--attr-input"},
                                {with("synth", {"--init", data}), "--init"},
                                {with("parser", {"--init", data, "--resume"}), "--init"},
                                {with("parser", {"--batch", "3", "--micro-batches", "2"}), "--micro-batches"},
                                {with("manip", {"--edit-probability", "1.5"}), "--edit-probability"},
                                {with("attr", {"--attr-input", "video"}), "--attr-input"}};
  // The options every stage shares go through one code path: all of them on synth, the
  // required ones and a few ranges on the other stages.
  std::vector<ArgCase> shared = {{with("synth", {"--lr", "-1"}), "--lr"},
                                 {with("synth", {"--workers", "0"}), "--workers"},
                                 {with("synth", {"--checkpoint-every", "-1"}), "--checkpoint-every"},
                                 {with("synth", {"--sample-every", "x"}), "--sample-every"},
                                 {with("synth", {"--seed", "-1"}), "--seed"},
                                 {with("synth", {"--nproc", "0"}), "--nproc"},
                                 {with("synth", {"--rank", "1"}), "--world"},
                                 {with("synth", {"--rank", "2", "--world", "2", "--master", "a:1"}), "--rank"},
                                 {with("synth", {"--world", "2"}), "--master"}};
  cases.insert(cases.end(), shared.begin(), shared.end());
  for (const char* stage : {"synth", "manip", "parser", "attr"}) {
    const std::string s = stage;
    std::vector<ArgCase> per = {{{"train", s, "--out", run}, "--data"},
                                {{"train", s, "--data", data}, "--out"},
                                {with(s, {"--config", "huge"}), "huge"},
                                {with(s, {"--iters", "0"}), "--iters"},
                                {with(s, {"--batch", "0"}), "--batch"},
                                {with(s, {"--nproc", "2", "--world", "2", "--master", "a:1"}), "--nproc"}};
    cases.insert(cases.end(), per.begin(), per.end());
  }
  ExpectUsageErrors(cases, t);
  EXPECT_FALSE(fs::exists(run)) << "no run folder for refused arguments";
}

TEST(BadArgs, EvalEveryKind) {
  TempDir t;
  const Files f = MakeFiles(t);
  fs::create_directories(t / "labels");
  const std::string labels = t / "labels";
  // `smile eval` alone: the error line, then the list of evaluations (like `smile` alone).
  CmdRun bare = Smile({"--quiet", "eval"});
  EXPECT_EQ(bare.code, 2) << bare.out;
  EXPECT_EQ(bare.out.find("smile eval: error: missing what to evaluate: fit, video, reenact, manip, parser or report"), 0u)
      << bare.out;
  ExpectUsageErrors({{{"eval", "quality"}, "quality"},
                     {{"eval", "fit"}, "--model"},
                     {{"eval", "fit", "--model", f.id, "--frames", "-1"}, "--frames"},
                     {{"eval", "fit", "--model", f.id, "--holdout", "0"}, "--holdout"},
                     {{"eval", "fit", "--model", f.id, "--lpips-size", "-2"}, "--lpips-size"},
                     {{"eval", "fit", "--model", f.id, "--diversity", "1"}, "--diversity"},
                     {{"eval", "fit", "--model", f.id, "--diversity", "4"}, "--lpips"},
                     {{"eval", "video"}, "--input"},
                     {{"eval", "video", "--input", f.in, "--max-frames", "0"}, "--max-frames"},
                     {{"eval", "manip", "--attr", f.id, "--data", labels}, "--manip"},
                     {{"eval", "manip", "--manip", f.manip, "--data", labels}, "--attr"},
                     {{"eval", "manip", "--manip", f.manip, "--attr", f.id}, "--data"},
                     {{"eval", "manip", "--manip", f.manip, "--attr", f.id, "--data", labels, "--max", "-1"}, "--max"},
                     {{"eval", "manip", "--manip", f.manip, "--attr", f.id, "--data", labels, "--seed", "x"}, "--seed"},
                     {{"eval", "parser"}, "--data"},
                     {{"eval", "parser", "--data", labels, "--parser", "bisenet"}, "--parser"},
                     {{"eval", "parser", "--data", labels, "--max", "-1"}, "--max"},
                     {{"eval", "parser", "--data", labels, "--size", "8"}, "--size"},
                     {{"eval", "report", "--inputs", f.in}, "--output"},
                     {{"eval", "report", "-o", t / "out.html"}, "--inputs"}},
                    t);
  EXPECT_FALSE(fs::exists(t / "out.html"));
}

// The consent expectation, one line in the help of every command that renders or edits a face.
TEST(BadArgs, HelpStatesConsent) {
  for (const char* cmd : {"swap", "reenact", "live", "edit", "fit"}) {
    CmdRun r = Smile({cmd, "--help"});
    EXPECT_EQ(r.code, 0) << cmd << "\n" << r.out;
    const size_t at = r.out.find("Consent:");
    ASSERT_NE(at, std::string::npos) << cmd << " --help lacks the consent line:\n" << r.out;
    const std::string line = r.out.substr(at, r.out.find('\n', at) - at);
    EXPECT_NE(line.find("agreed"), std::string::npos) << cmd << ": " << line;
    EXPECT_NE(line.find("synthetic"), std::string::npos) << cmd << ": " << line;
  }
}

}  // namespace
