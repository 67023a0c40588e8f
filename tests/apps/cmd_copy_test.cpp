// `smile probe` and `smile copy` driven through the binary (SMILE_BIN).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_util.h"

namespace {

using namespace smile_cli;
namespace fs = std::filesystem;

TEST(CliCopy, HelpAndBadArguments) {
  CmdRun help = Smile({"copy", "--help"});
  EXPECT_EQ(help.code, 0);
  for (const char* opt : {"--max-frames", "--live", "--queue"}) EXPECT_NE(help.out.find(opt), std::string::npos);
  CmdRun bad = Smile({"copy", "a.mp4", "b.mp4", "--queue", "0"});
  EXPECT_EQ(bad.code, 2) << bad.out;
  CmdRun avi = Smile({"copy", "a.mp4", "b.avi"});
  EXPECT_EQ(avi.code, 2) << avi.out;
  EXPECT_NE(avi.out.find(".mp4"), std::string::npos);
}

TEST(CliProbeMedia, ShowsStreamsCodecsAndCounts) {
  SKIP_WITHOUT_MEDIA();
  CmdRun r = Smile({"probe", Clip("d11")});
  ASSERT_EQ(r.code, 0) << r.out;
  for (const char* want : {"video h264", "512x512", "25.000 fps", "225 frames", "9.000 s", "audio aac", "44100 Hz",
                           "2 channels", "duration:  9.008 s"}) {
    EXPECT_NE(r.out.find(want), std::string::npos) << "missing '" << want << "' in:\n" << r.out;
  }
  CmdRun missing = Smile({"probe", "/nonexistent/x.mp4"});
  EXPECT_NE(missing.code, 0);
  EXPECT_NE(missing.out.find("/nonexistent/x.mp4"), std::string::npos);
}

TEST(CliCopyMedia, CopiesWithAudioAndProbesBack) {
  SKIP_WITHOUT_MEDIA();
  TempDir dir;
  CmdRun r = Smile({"copy", Clip("d20"), dir / "out.mov", "--quiet"});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("175 written"), std::string::npos) << r.out;
  CmdRun p = Smile({"probe", "--count", dir / "out.mov"});
  ASSERT_EQ(p.code, 0) << p.out;
  EXPECT_NE(p.out.find("175 frames"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("audio aac"), std::string::npos) << p.out;
  EXPECT_EQ(dir.Count(), 1u);
}

TEST(CliCopyMedia, BadInputsFailWithOneLineAndNoOutput) {
  SKIP_WITHOUT_MEDIA();
  TempDir dir;
  std::ofstream(dir / "zero.mp4");
  std::ofstream(dir / "text.mp4") << "plain text pretending to be a video\n";
  {
    std::ifstream in(Clip("d3"), std::ios::binary);
    std::vector<char> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(dir / "cut.mp4", std::ios::binary).write(data.data(), data.size() * 3 / 10);
  }
  struct Case {
    std::string in, out, name;
  };
  std::vector<Case> cases = {{dir / "missing.mp4", dir / "o1.mp4", "missing.mp4"},
                             {dir / "zero.mp4", dir / "o2.mp4", "zero.mp4"},
                             {dir / "text.mp4", dir / "o3.mp4", "text.mp4"},
                             {dir / "cut.mp4", dir / "o4.mp4", "cut.mp4"},
                             {Clip("d18"), "/proc/smile-denied/o5.mp4", "/proc/smile-denied"}};
  for (const auto& c : cases) {
    CmdRun r = Smile({"copy", c.in, c.out, "--quiet"});
    EXPECT_NE(r.code, 0) << c.in;
    EXPECT_NE(r.out.find("error: "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(c.name), std::string::npos) << r.out;
    size_t lines = std::count(r.out.begin(), r.out.end(), '\n');
    EXPECT_EQ(lines, 1u) << "expected one line, got:\n" << r.out;
    EXPECT_FALSE(fs::exists(c.out)) << c.out;
  }
  EXPECT_EQ(dir.Count(), 3u);  // only the three bad inputs: no output, no partial files
}

TEST(CliCopyMedia, InterruptKeepsAPlayableFile) {
  SKIP_WITHOUT_MEDIA();
  TempDir dir;
  const std::string out = dir / "int.mp4";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    freopen("/dev/null", "w", stderr);
    execl(SMILE_BIN, SMILE_BIN, "copy", Clip("d6").c_str(), out.c_str(), "--quiet", static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait until encoding has started (the partial file exists), then Ctrl-C.
  const std::string partial = dir / ".int.partial.mp4";
  for (int i = 0; i < 200 && !fs::exists(partial); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  kill(pid, SIGINT);
  int st = 0;
  waitpid(pid, &st, 0);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 130);
  ASSERT_TRUE(fs::exists(out));
  EXPECT_FALSE(fs::exists(partial));
  CmdRun p = Smile({"probe", "--count", out});
  ASSERT_EQ(p.code, 0) << p.out;
  EXPECT_NE(p.out.find("video h264"), std::string::npos) << p.out;
  EXPECT_EQ(p.out.find("1008 frames"), std::string::npos) << "stopped early, so fewer frames:\n" << p.out;
}

}  // namespace
