// Faults while a job runs: SIGINT / SIGTERM during `copy` and `swap` (a playable
// file of what was done, exit 130) and a full disk (a clear error, nothing left
// under the final name, no temporary file).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <thread>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "capture/media_info.h"
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
