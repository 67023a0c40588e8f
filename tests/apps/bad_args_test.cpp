// Every subcommand with missing, conflicting and out-of-range options: a
// one-line error that names the option (the fix) and exit code 2, before any
// work is done (no output is created).
#include <gtest/gtest.h>

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
                     {{"fit", "--identity", in, "-o", out, "--config", "huge"}, "huge"}},
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
                     {{"parse", in, "-o", out, "--redetect", "0"}, "--redetect"}},
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

}  // namespace
