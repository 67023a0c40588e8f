// `smile edit` (and --set on swap) driven through the binary: argument errors, a photo
// edited into a tagged PNG, a video edited with frame count and audio kept, SIGINT during
// an edit, and the --evaluate measure. The manipulation model is a tiny one trained for a
// few iterations by `smile train manip` on the two CelebAMask-HQ label maps of the shared
// media (the plumbing is tested, not the quality; assets/README.md has the bundled model's).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "capture/media_info.h"
#include "capture/provenance.h"
#include "capture/source.h"
#include "cli_util.h"
#include "tiny_identity.h"

namespace {

using namespace smile_cli;

std::string Media(const std::string& rel) { return std::string(SMILE_MEDIA_DIR) + "/" + rel; }

// Trains a tiny manipulation model once per test binary; "" on failure (output in *log).
std::string TinyManip(std::string* log = nullptr) {
  static TempDir dir_storage;  // removed at exit (ctest runs each test in its own process)
  static TempDir* dir = &dir_storage;
  static std::string path, out;
  if (path.empty() && out.empty()) {
    CmdRun train = Smile({"--quiet", "train", "manip", "--data", Media("celebamask"), "--config", "tiny", "--iters",
                          "3", "--batch", "2", "--out", *dir / "run", "--sample-every", "0", "--workers", "1"});
    out = train.out.empty() ? "train failed" : train.out;
    if (train.code == 0 && fs::exists(*dir / "run/manip.ckpt")) path = *dir / "run/manip.ckpt";
  }
  if (log) *log = out;
  return path;
}

int CountLines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

TEST(CliEdit, HelpAndBadArguments) {
  CmdRun help = Smile({"edit", "--help"});
  EXPECT_EQ(help.code, 0);
  for (const char* opt : {"--input", "--set", "--seed", "--style-draws", "--ref", "--manip", "--identity", "--evaluate"})
    EXPECT_NE(help.out.find(opt), std::string::npos) << opt;
  for (const char* cmd : {"swap", "reenact", "live"}) {
    CmdRun h = Smile({cmd, "--help"});
    EXPECT_NE(h.out.find("--set"), std::string::npos) << cmd;
    EXPECT_NE(h.out.find("--manip"), std::string::npos) << cmd;
  }
  // Unknown attribute: one line listing the valid names, exit 2 (before any file is looked at).
  CmdRun wings = Smile({"--quiet", "edit", "--input", "in.mp4", "--set", "+eyeglasses,+wings", "--identity", "x.smile",
                        "-o", "out.mp4"});
  EXPECT_EQ(wings.code, 2) << wings.out;
  EXPECT_NE(wings.out.find("'+wings'"), std::string::npos) << wings.out;
  EXPECT_NE(wings.out.find("+/-eyeglasses, +/-hat, +/-bangs"), std::string::npos) << wings.out;
  EXPECT_LE(CountLines(wings.out), 1) << wings.out;
  CmdRun twice = Smile({"edit", "--input", "in.mp4", "--set", "+hat,-hat", "--identity", "x.smile", "-o", "o.mp4"});
  EXPECT_EQ(twice.code, 2) << twice.out;
  CmdRun both = Smile({"edit", "--input", "in.mp4", "--set", "+hat", "--seed", "1", "--ref", "r.jpg", "--identity",
                       "x.smile", "-o", "o.mp4"});
  EXPECT_EQ(both.code, 2) << both.out;
  EXPECT_NE(both.out.find("not both"), std::string::npos) << both.out;
  CmdRun draws_ref = Smile({"edit", "--input", "in.mp4", "--set", "+hat", "--style-draws", "4", "--ref", "r.jpg",
                            "--identity", "x.smile", "-o", "o.mp4"});
  EXPECT_EQ(draws_ref.code, 2) << draws_ref.out;
  EXPECT_NE(draws_ref.out.find("--style-draws"), std::string::npos) << draws_ref.out;
  CmdRun draws_zero = Smile({"edit", "--input", "in.mp4", "--set", "+hat", "--style-draws", "0", "--identity",
                             "x.smile", "-o", "o.mp4"});
  EXPECT_EQ(draws_zero.code, 2) << draws_zero.out;
  CmdRun no_set = Smile({"edit", "--input", "in.mp4", "--identity", "x.smile", "-o", "o.mp4"});
  EXPECT_EQ(no_set.code, 2) << no_set.out;
  EXPECT_NE(no_set.out.find("--set"), std::string::npos) << no_set.out;
  CmdRun seed_text = Smile({"edit", "--input", "in.mp4", "--set", "+hat", "--seed", "abc", "--identity", "x.smile",
                            "-o", "o.mp4"});
  EXPECT_EQ(seed_text.code, 2) << seed_text.out;
  // --manip / --seed / --ref without --set, on the other commands too.
  CmdRun swap_manip = Smile({"swap", "--identity", "x.smile", "--video", "v.mp4", "-o", "o.mp4", "--manip", "m.ckpt"});
  EXPECT_EQ(swap_manip.code, 2) << swap_manip.out;
  EXPECT_NE(swap_manip.out.find("add --set"), std::string::npos) << swap_manip.out;
  CmdRun swap_bad = Smile({"swap", "--identity", "x.smile", "--video", "v.mp4", "-o", "o.mp4", "--set", "+horns"});
  EXPECT_EQ(swap_bad.code, 2) << swap_bad.out;
  CmdRun reenact_bad =
      Smile({"reenact", "--source", "x.smile", "--driver", "v.mp4", "-o", "o.mp4", "--set", "glasses"});
  EXPECT_EQ(reenact_bad.code, 2) << reenact_bad.out;
  EXPECT_NE(reenact_bad.out.find("needs a sign"), std::string::npos) << reenact_bad.out;
  CmdRun live_bad = Smile({"live", "--source", "0", "--identity", "x.smile", "-o", "o.mp4", "--set", "+moustache"});
  EXPECT_EQ(live_bad.code, 2) << live_bad.out;
  // A manipulation model that is not there: says how to get one.
  CmdRun missing = Smile({"edit", "--input", "in.mp4", "--set", "+hat", "--manip", "/nonexistent/m.ckpt",
                          "--identity", "x.smile", "-o", "o.mp4"});
  EXPECT_NE(missing.code, 0);
  EXPECT_NE(missing.out.find("smile train manip"), std::string::npos) << missing.out;
}

TEST(CliEditMedia, EditsAPhotoIntoATaggedPng) {
  SKIP_WITHOUT_MEDIA();
  std::string log;
  const std::string manip = TinyManip(&log);
  ASSERT_FALSE(manip.empty()) << log;
  const std::string id = TinyIdentity(&log);
  ASSERT_FALSE(id.empty()) << log;
  TempDir t;
  const std::string photo = Media("faces/lp_s0.jpg");
  CmdRun edit = Smile({"--quiet", "edit", "--input", photo, "--set", "+eyeglasses,-hat", "--seed", "3", "--identity",
                       id, "--manip", manip, "-o", t / "out.png", "--compare", t / "compare.png"});
  ASSERT_EQ(edit.code, 0) << edit.out;
  cv::Mat in = cv::imread(photo), out = cv::imread(t / "out.png");
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.size(), in.size());
  // One photo in: the comparison is one PNG, input | edited mask | output side by side.
  const cv::Mat compare = cv::imread(t / "compare.png");
  ASSERT_FALSE(compare.empty()) << edit.out;
  EXPECT_EQ(compare.size(), cv::Size(3 * in.cols, in.rows));
  EXPECT_GT(cv::norm(in, out, cv::NORM_L1) / in.total(), 1.0) << "the face is re-rendered";
  auto text = smile::capture::ReadPngTextFile(t / "out.png");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ((*text)["synthetic"], "true");
  EXPECT_EQ((*text)["smile_job"], "edit +eyeglasses,-hat");
  EXPECT_NE(edit.out.find("edit +eyeglasses,-hat: 1 masks"), std::string::npos) << edit.out;
  // Reference-guided from another photo works too; a video into one image does not.
  CmdRun ref = Smile({"--quiet", "edit", "--input", photo, "--set", "+bangs", "--ref", Media("faces/lp_s5.jpg"),
                      "--identity", id, "--manip", manip, "-o", t / "ref.png"});
  EXPECT_EQ(ref.code, 0) << ref.out;
  EXPECT_TRUE(fs::exists(t / "ref.png"));
  CmdRun video_to_png = Smile({"--quiet", "edit", "--input", Clip("d11"), "--set", "+hat", "--identity", id,
                               "--manip", manip, "-o", t / "v.png"});
  EXPECT_EQ(video_to_png.code, 2) << video_to_png.out;
  EXPECT_FALSE(fs::exists(t / "v.png"));
}

TEST(CliEditMedia, EditsAVideoKeepingFramesAndAudioAndSwapTakesSet) {
  SKIP_WITHOUT_MEDIA();
  std::string log;
  const std::string manip = TinyManip(&log);
  ASSERT_FALSE(manip.empty()) << log;
  const std::string id = TinyIdentity(&log);
  ASSERT_FALSE(id.empty()) << log;
  TempDir t;
  CmdRun edit = Smile({"--quiet", "edit", "--input", Clip("d11"), "--set", "+eyeglasses", "--identity", id, "--manip",
                       manip, "-o", t / "edit.mp4", "--max-frames", "8", "--compare", t / "cmp.mp4"});
  ASSERT_EQ(edit.code, 0) << edit.out;
  EXPECT_NE(edit.out.find("stage edit"), std::string::npos) << edit.out;
  CmdRun probe = Smile({"probe", t / "edit.mp4"});
  EXPECT_NE(probe.out.find("8 frames"), std::string::npos) << probe.out;
  EXPECT_NE(probe.out.find("audio aac"), std::string::npos) << probe.out;
  EXPECT_TRUE(fs::exists(t / "cmp.mp4"));
  auto info = smile::capture::ProbeMedia(t / "edit.mp4", true);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->tags["synthetic"], "true");
  EXPECT_EQ(info->tags["smile_job"], "edit +eyeglasses");
  CmdRun swap = Smile({"--quiet", "swap", "--identity", id, "--video", Clip("d11"), "-o", t / "swap.mp4",
                       "--max-frames", "4", "--set", "+hat", "--seed", "2", "--manip", manip});
  ASSERT_EQ(swap.code, 0) << swap.out;
  EXPECT_NE(swap.out.find("stage edit"), std::string::npos) << swap.out;
  auto sinfo = smile::capture::ProbeMedia(t / "swap.mp4", true);
  ASSERT_TRUE(sinfo.ok());
  EXPECT_EQ(sinfo->tags["smile_job"], "swap +hat");
  CmdRun reenact = Smile({"--quiet", "reenact", "--source", id, "--driver", Clip("d11"), "-o", t / "re.mp4",
                          "--max-frames", "3", "--set", "-hat", "--manip", manip});
  EXPECT_EQ(reenact.code, 0) << reenact.out;
  EXPECT_NE(reenact.out.find("stage edit"), std::string::npos) << reenact.out;
}

// SIGINT during `smile edit` on a video: exit 130, no partial file, a playable MP4 of the
// frames done so far, tagged synthetic with the edit.
TEST(CliEditMedia, SigintDuringEditKeepsAPlayableTaggedFile) {
  SKIP_WITHOUT_MEDIA();
  std::string log;
  const std::string manip = TinyManip(&log);
  ASSERT_FALSE(manip.empty()) << log;
  const std::string id = TinyIdentity(&log);
  ASSERT_FALSE(id.empty()) << log;
  TempDir t;
  const std::string out = t / "edit.mp4", partial = t / ".edit.partial.mp4";
  pid_t pid = Spawn({"--quiet", "edit", "--input", Clip("d11"), "--set", "+eyeglasses,-hat", "--identity", id,
                     "--manip", manip, "-o", out},
                    t / "log.txt");
  ASSERT_GT(pid, 0);
  bool started = false;
  for (int i = 0; i < 2400 && !started; ++i) {
    started = fs::exists(partial);
    if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(started) << ReadText(t / "log.txt");
  std::this_thread::sleep_for(std::chrono::seconds(2));
  kill(pid, SIGINT);
  int st = 0, code = -1;
  for (int i = 0; i < 1200; ++i) {
    if (waitpid(pid, &st, WNOHANG) == pid) {
      code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (code < 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
  }
  EXPECT_EQ(code, 130) << ReadText(t / "log.txt");
  EXPECT_FALSE(fs::exists(partial));
  ASSERT_TRUE(fs::exists(out)) << ReadText(t / "log.txt");
  auto info = smile::capture::ProbeMedia(out, true);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  ASSERT_TRUE(info->video());
  EXPECT_GT(info->video()->frame_count, 0);
  EXPECT_LT(info->video()->frame_count, 225) << "interrupted: fewer frames than d11's 225";
  auto src = smile::capture::OpenSource(out);  // decodes to the end
  ASSERT_TRUE(src.ok());
  int64_t n = 0;
  while ((*src)->Read().ok()) ++n;
  EXPECT_EQ(n, info->video()->frame_count);
  EXPECT_EQ(info->tags["synthetic"], "true");
  EXPECT_EQ(info->tags["smile_job"], "edit +eyeglasses,-hat");
}

TEST(CliEditMedia, EvaluateReportsTheEditRates) {
  SKIP_WITHOUT_MEDIA();
  std::string log;
  const std::string manip = TinyManip(&log);
  ASSERT_FALSE(manip.empty()) << log;
  TempDir t;
  fs::create_directories(t / "labels/seq");
  for (const char* n : {"0.png", "1.png"}) fs::copy_file(Media("celebamask/") + n, t / ("labels/seq/" + std::string(n)));
  CmdRun eval = Smile({"--quiet", "edit", "--evaluate", t / "labels", "--manip", manip, "--dump", t / "dump"});
  ASSERT_EQ(eval.code, 0) << eval.out;
  for (const char* row : {"+eyeglasses", "-eyeglasses", "+hat", "-hat", "all edits:"})
    EXPECT_NE(eval.out.find(row), std::string::npos) << row << "\n" << eval.out;
  CmdRun bad = Smile({"--quiet", "edit", "--evaluate", t / "labels", "--manip", manip, "--set", "+wings"});
  EXPECT_EQ(bad.code, 2) << bad.out;
  CmdRun with_input = Smile({"edit", "--evaluate", t / "labels", "--input", Clip("d11")});
  EXPECT_EQ(with_input.code, 2) << with_input.out;
}

}  // namespace
