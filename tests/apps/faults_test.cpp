// Faults while a job runs: SIGINT / SIGTERM during `copy` and `swap` (a playable
// file of what was done, exit 130), SIGINT / SIGTERM / SIGKILL during `train`
// (the state is written on the signal, --resume continues, at most
// --checkpoint-every iterations lost) and a full disk (a clear error, nothing
// left under the final name, no temporary file).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <regex>
#include <thread>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "capture/media_info.h"
#include "core/face_labels.h"
#include "capture/source.h"
#include "cli_util.h"

namespace {

using namespace smile_cli;

bool WaitFor(const std::string& path, double seconds) {
  for (int i = 0; i < seconds * 20; ++i) {
    if (fs::exists(path)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

int WaitExit(pid_t pid, double seconds) {
  int st = 0;
  for (int i = 0; i < seconds * 20; ++i) {
    if (waitpid(pid, &st, WNOHANG) == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &st, 0);
  return -1;  // hung
}

// Interrupts a never-ending live copy with `sig`: exit 130, playable output, no partial file.
void InterruptLiveCopy(int sig) {
  if (!smile::capture::OpenCvHasGStreamer()) GTEST_SKIP() << "OpenCV without GStreamer: no endless test source";
  TempDir t;
  const std::string out = t / "live.mp4", partial = t / ".live.partial.mp4";
  pid_t pid = Spawn({"--quiet", "copy",
                     "gst:videotestsrc is-live=true ! video/x-raw,width=160,height=120,framerate=25/1", out},
                    t / "log.txt");
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitFor(partial, 20)) << ReadText(t / "log.txt");
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  kill(pid, sig);
  const int code = WaitExit(pid, 20);
  EXPECT_EQ(code, 130) << ReadText(t / "log.txt");
  EXPECT_FALSE(fs::exists(partial));
  ASSERT_TRUE(fs::exists(out)) << ReadText(t / "log.txt");
  auto info = smile::capture::ProbeMedia(out, true);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  ASSERT_TRUE(info->video());
  EXPECT_GT(info->video()->frame_count, 5);
  auto src = smile::capture::OpenSource(out);  // decodes to the end
  ASSERT_TRUE(src.ok());
  int64_t n = 0;
  while ((*src)->Read().ok()) ++n;
  EXPECT_EQ(n, info->video()->frame_count);
}

TEST(Faults, SigintDuringLiveCopyKeepsAPlayableFile) { InterruptLiveCopy(SIGINT); }
TEST(Faults, SigtermDuringLiveCopyKeepsAPlayableFile) { InterruptLiveCopy(SIGTERM); }

// A tmpfs of 1 MiB stands in for a full disk (needs root / CAP_SYS_ADMIN).
class TinyDisk {
 public:
  explicit TinyDisk(const std::string& dir) : dir_(dir) {
    fs::create_directories(dir);
    mounted_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=1m") == 0;
    if (!mounted_) why_ = std::strerror(errno);
  }
  ~TinyDisk() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& why() const { return why_; }

 private:
  std::string dir_, why_;
  bool mounted_ = false;
};

// Noise frames: incompressible, so a few of them overflow 1 MiB.
void NoiseFrames(const std::string& dir, int n) {
  fs::create_directories(dir);
  std::mt19937 rng(7);
  for (int i = 0; i < n; ++i) {
    cv::Mat m(480, 640, CV_8UC3);
    cv::randu(m, 0, 256);
    char name[32];
    std::snprintf(name, sizeof(name), "/%03d.png", i);
    cv::imwrite(dir + name, m, {cv::IMWRITE_PNG_COMPRESSION, 0});
  }
}

TEST(Faults, DiskFullWhileWritingVideo) {
  TempDir t;
  TinyDisk disk(t / "disk");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a 1 MiB tmpfs (" << disk.why() << "); needs root";
  NoiseFrames(t / "in", 6);
  CmdRun r = Smile({"--quiet", "copy", t / "in", t / "disk/out.mp4", "--crf", "0", "--preset", "ultrafast"});
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("disk space"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_TRUE(fs::is_empty(t / "disk")) << "no final and no partial file may remain";
}

TEST(Faults, DiskFullWhileWritingImages) {
  TempDir t;
  TinyDisk disk(t / "disk");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a 1 MiB tmpfs (" << disk.why() << "); needs root";
  NoiseFrames(t / "in", 3);
  CmdRun r = Smile({"--quiet", "copy", t / "in", t / "disk/frames/"});
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("disk space"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  EXPECT_TRUE(!fs::exists(t / "disk/frames") || fs::is_empty(t / "disk/frames"))
      << "an aborted image sequence removes every image it wrote";
}

// ---- training interrupted ----

// images/ + labels/ of n drawn faces (no media needed): skin, hair, eyes, brows, nose, lips,
// neck and cloth at slightly different places, the photo coloured by class.
std::string DrawTrainingData(const TempDir& t, int n) {
  const std::string root = t / "data";
  fs::create_directories(root + "/images");
  fs::create_directories(root + "/labels");
  for (int i = 0; i < n; ++i) {
    const int s = 64, dx = (i % 3) - 1, dy = (i / 3) % 3 - 1;
    cv::Mat m(s, s, CV_8UC1, cv::Scalar(smile::kBackground));
    auto P = [&](int x, int y) { return cv::Point(x + dx * 2, y + dy * 2); };
    cv::rectangle(m, P(0, 52), P(64, 64), cv::Scalar(smile::kCloth), cv::FILLED);
    cv::rectangle(m, P(24, 44), P(40, 56), cv::Scalar(smile::kNeck), cv::FILLED);
    cv::ellipse(m, P(32, 30), cv::Size(18 + i % 2, 22), 0, 0, 360, cv::Scalar(smile::kSkin), cv::FILLED);
    cv::rectangle(m, P(14, 4), P(50, 12), cv::Scalar(smile::kHair), cv::FILLED);
    cv::rectangle(m, P(20, 20), P(28, 22), cv::Scalar(smile::kRBrow), cv::FILLED);
    cv::rectangle(m, P(36, 20), P(44, 22), cv::Scalar(smile::kLBrow), cv::FILLED);
    cv::rectangle(m, P(21, 25), P(27, 28), cv::Scalar(smile::kREye), cv::FILLED);
    cv::rectangle(m, P(37, 25), P(43, 28), cv::Scalar(smile::kLEye), cv::FILLED);
    cv::rectangle(m, P(30, 28), P(34, 36), cv::Scalar(smile::kNose), cv::FILLED);
    cv::rectangle(m, P(26, 40), P(38, 42), cv::Scalar(smile::kULip), cv::FILLED);
    cv::rectangle(m, P(26, 42), P(38, 44), cv::Scalar(smile::kLLip), cv::FILLED);
    cv::Mat img = smile::ColorizeLabels(m);
    cv::GaussianBlur(img, img, cv::Size(3, 3), 0);
    const std::string name = "f" + std::to_string(i);
    cv::imwrite(root + "/images/" + name + ".png", img);
    cv::imwrite(root + "/labels/" + name + ".png", m);
  }
  return root;
}

int CountLines(const std::string& path) {
  std::ifstream in(path);
  int n = 0;
  for (std::string l; std::getline(in, l);) n += !l.empty();
  return n;
}

// "<stage>: iterations A -> B" of the train summary; {-1, -1} when absent.
std::pair<int, int> IterationRange(const std::string& out) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex(R"(iterations (\d+) -> (\d+))"))) return {-1, -1};
  return {std::stoi(m[1]), std::stoi(m[2])};
}

constexpr int kCheckpointEvery = 4;

std::vector<std::string> TrainArgs(const std::string& stage, const std::string& data, const std::string& out,
                                   int iters) {
  return {"--quiet", "train", stage, "--data", data, "--out", out, "--config", "tiny", "--iters",
          std::to_string(iters), "--batch", "2", "--checkpoint-every", std::to_string(kCheckpointEvery),
          "--sample-every", "0", "--workers", "1", "--device", "cpu", "--seed", "5"};
}

// Starts an endless run of `stage`, lets it pass its first checkpoint and a few more
// iterations, sends `sig`; returns the exit code and the iterations logged before the signal.
struct Interrupted {
  int code = -1;
  int logged_before = 0;
  std::string log;
};
Interrupted InterruptTraining(const TempDir& t, const std::string& stage, const std::string& data,
                              const std::string& run, int sig) {
  Interrupted r;
  pid_t pid = Spawn(TrainArgs(stage, data, run, 1000000), t / (stage + ".log"));
  if (pid <= 0) return r;
  const std::string losses = run + "/losses.jsonl";
  for (int i = 0; i < 180 * 20 && CountLines(losses) < kCheckpointEvery + 2; ++i) {
    int st = 0;
    if (waitpid(pid, &st, WNOHANG) == pid) {
      r.log = ReadText(t / (stage + ".log"));
      return r;  // ended early: code -1 fails the caller's checks with the log
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  r.logged_before = CountLines(losses);
  kill(pid, sig);
  r.code = WaitExit(pid, 120);
  r.log = ReadText(t / (stage + ".log"));
  return r;
}

// SIGINT / SIGTERM: the run finishes its iteration, writes the state, exits 130 and names
// --resume; resuming continues from exactly where it stopped (nothing lost), and the loss
// log has one line per iteration, none twice.
void SignalThenResume(const std::string& stage, int sig) {
  TempDir t;
  const std::string data = DrawTrainingData(t, 6), run = t / "run";
  Interrupted r = InterruptTraining(t, stage, data, run, sig);
  ASSERT_EQ(r.code, 130) << r.log;
  EXPECT_NE(r.log.find("--resume"), std::string::npos) << r.log;
  EXPECT_NE(r.log.find("interrupted"), std::string::npos) << r.log;
  auto [from, stopped] = IterationRange(r.log);
  EXPECT_EQ(from, 0) << r.log;
  ASSERT_GE(stopped, r.logged_before) << r.log;
  EXPECT_TRUE(fs::exists(run + "/state.ckpt"));
  EXPECT_TRUE(fs::exists(run + "/" + stage + ".ckpt"));
  EXPECT_EQ(CountLines(run + "/losses.jsonl"), stopped);

  auto args = TrainArgs(stage, data, run, stopped + 2);
  args.push_back("--resume");
  CmdRun resumed = Smile(args);
  ASSERT_EQ(resumed.code, 0) << resumed.out;
  auto [again, end] = IterationRange(resumed.out);
  std::printf("%s: %d iterations logged at the signal, stopped at %d, resumed at %d\n", stage.c_str(),
              r.logged_before, stopped, again);
  EXPECT_EQ(again, stopped) << "a signal must lose no iteration: " << resumed.out;
  EXPECT_EQ(end, stopped + 2) << resumed.out;
  EXPECT_EQ(CountLines(run + "/losses.jsonl"), stopped + 2);
}

TEST(FaultsTrain, SigintDuringParserTrainingSavesAndResumes) { SignalThenResume("parser", SIGINT); }
TEST(FaultsTrain, SigtermDuringSynthTrainingSavesAndResumes) { SignalThenResume("synth", SIGTERM); }

// SIGKILL (a crash, the OOM killer): no chance to save, so --resume starts at the last
// periodic checkpoint, at most --checkpoint-every iterations back, and the loss log is cut
// back to it (no iteration twice).
TEST(FaultsTrain, SigkillDuringManipTrainingLosesAtMostOneCheckpointInterval) {
  TempDir t;
  const std::string data = DrawTrainingData(t, 6), run = t / "run";
  Interrupted r = InterruptTraining(t, "manip", data, run, SIGKILL);
  ASSERT_EQ(r.code, 128 + SIGKILL) << r.log;
  ASSERT_TRUE(fs::exists(run + "/state.ckpt")) << r.log;
  const int killed_at = CountLines(run + "/losses.jsonl");  // the log is flushed every iteration
  ASSERT_GE(killed_at, r.logged_before);
  auto args = TrainArgs("manip", data, run, killed_at + 2);
  args.push_back("--resume");
  CmdRun resumed = Smile(args);
  ASSERT_EQ(resumed.code, 0) << resumed.out;
  auto [from, end] = IterationRange(resumed.out);
  std::printf("manip: killed after iteration %d, resumed at %d (checkpoint every %d)\n", killed_at, from,
              kCheckpointEvery);
  EXPECT_EQ(from % kCheckpointEvery, 0) << resumed.out;
  EXPECT_GE(from, killed_at - kCheckpointEvery) << "lost more than one checkpoint interval: " << resumed.out;
  EXPECT_LE(from, killed_at);
  EXPECT_EQ(end, killed_at + 2);
  EXPECT_EQ(CountLines(run + "/losses.jsonl"), killed_at + 2);
}

// SIGINT during a head swap (fit a tiny identity first): exit 130, a playable,
// synthetic-tagged file with the frames done so far.
TEST(FaultsMedia, SigintDuringSwapKeepsAPlayableTaggedFile) {
  SKIP_WITHOUT_MEDIA();
  TempDir t;
  CmdRun fit = Smile({"--quiet", "fit", "--identity", Clip("d18"), "-o", t / "id.smile", "--config", "tiny",
                      "--iters", "2", "--max-samples", "8", "--every", "10"});
  ASSERT_EQ(fit.code, 0) << fit.out;
  const std::string out = t / "swap.mp4", partial = t / ".swap.partial.mp4";
  pid_t pid = Spawn({"--quiet", "swap", "--identity", t / "id.smile", "--video", Clip("d11"), "-o", out,
                     "--watermark"},
                    t / "log.txt");
  ASSERT_TRUE(WaitFor(partial, 120)) << ReadText(t / "log.txt");
  std::this_thread::sleep_for(std::chrono::seconds(2));
  kill(pid, SIGINT);
  EXPECT_EQ(WaitExit(pid, 60), 130) << ReadText(t / "log.txt");
  EXPECT_FALSE(fs::exists(partial));
  ASSERT_TRUE(fs::exists(out));
  auto info = smile::capture::ProbeMedia(out, true);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  ASSERT_TRUE(info->video());
  EXPECT_GT(info->video()->frame_count, 0);
  auto src_info = smile::capture::ProbeMedia(Clip("d11"), true);
  ASSERT_TRUE(src_info.ok());
  EXPECT_LT(info->video()->frame_count, src_info->video()->frame_count) << "interrupted: fewer frames";
  EXPECT_EQ(info->tags["synthetic"], "true");
  EXPECT_EQ(info->tags["smile_job"], "swap");
}

}  // namespace
