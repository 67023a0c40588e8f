// Soak run (slow label): `smile live` swapping the bundled identity onto an endless live
// source (the demo photo frozen into a 10 fps live stream) for SMILE_SOAK_SECONDS
// (default 600 = 10 minutes; scripts/test.sh, which CI runs, sets 90). The test samples the
// process's RSS from /proc/<pid>/status while it runs (a series for the log) and judges the RSS
// and latency that `--stats-every` prints: after the warm-up (a time AND a number of frames
// rendered, so a slow, loaded machine still warms up its caches and allocator first) RSS must stay
// within 5 % and the latency must not grow. The frames are
// rendered (the photo has a face), so the synthesis, tracker and paste-back all run.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <regex>
#include <sstream>
#include <thread>

#include "capture/source.h"
#include "cli_util.h"

namespace {

using namespace smile_cli;
using Clock = std::chrono::steady_clock;

double RssMb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

double Mean(const std::vector<double>& v) {
  return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / v.size();
}

TEST(LiveSoakSlow, RssFlatAndLatencySteady) {
  if (!smile::capture::OpenCvHasGStreamer()) GTEST_SKIP() << "OpenCV without GStreamer: no endless live source";
  const std::string photo = std::string(SMILE_SOURCE_DIR) + "/assets/demo/identity.jpg";
  const std::string identity = std::string(SMILE_SOURCE_DIR) + "/assets/models/identity.smile";
  ASSERT_TRUE(fs::exists(photo) && fs::exists(identity)) << "the bundled demo assets are missing";
  const char* env = std::getenv("SMILE_SOAK_SECONDS");
  const double duration = env && *env ? std::atof(env) : 600.0;
  ASSERT_GE(duration, 30) << "SMILE_SOAK_SECONDS must be at least 30";
  const double warmup = std::clamp(duration / 5, 20.0, 60.0), every = duration >= 300 ? 10.0 : 5.0;
  const long long warmup_frames = 150;

  TempDir t;
  const std::string log = t / "live.log";
  pid_t pid = Spawn({"live", "--source",
                     "gst:filesrc location=" + photo +
                         " ! jpegdec ! imagefreeze is-live=true ! videoconvert ! videoscale ! "
                         "video/x-raw,width=320,height=240,framerate=10/1",
                     "--identity", identity, "--sink", "gst:videoconvert ! fakesink", "--overlay", "off",
                     "--stats-every", std::to_string(every)},
                    log);
  ASSERT_GT(pid, 0);
  struct Sample {
    double t, rss;
  };
  std::vector<Sample> rss;
  const auto t0 = Clock::now();
  bool died = false;
  while (true) {
    const double now = std::chrono::duration<double>(Clock::now() - t0).count();
    if (now >= duration) break;
    int st = 0;
    if (waitpid(pid, &st, WNOHANG) == pid) {
      died = true;
      break;
    }
    rss.push_back({now, RssMb(pid)});
    std::this_thread::sleep_for(std::chrono::seconds(5));
  }
  if (!died) kill(pid, SIGINT);
  int st = 0;
  if (!died) waitpid(pid, &st, 0);
  const std::string out = ReadText(log);
  ASSERT_FALSE(died) << "smile live ended early:\n" << out;
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 130) << out;

  // RSS and latency per --stats-every period, from the process's own report, after the warm-up.
  std::vector<std::pair<double, double>> latency;  // (t, mean ms)
  std::vector<double> fps, after;
  const std::regex re(R"(live stats: t=([0-9.]+) s frames=(\d+) fps=([0-9.]+) latency_mean_ms=([0-9.]+) )"
                      R"(latency_max_ms=[0-9.]+ rss_mb=([0-9.]+))");
  const std::string running = out.substr(0, out.find("interrupted:"));  // not the frames drained after Ctrl-C
  double warm_at = -1;
  for (auto it = std::sregex_iterator(running.begin(), running.end(), re); it != std::sregex_iterator(); ++it) {
    const double tt = std::stod((*it)[1]);
    if (warm_at < 0 && (tt < warmup || std::stoll((*it)[2]) < warmup_frames)) continue;
    if (warm_at < 0) warm_at = tt;
    latency.push_back({tt, std::stod((*it)[4])});
    fps.push_back(std::stod((*it)[3]));
    after.push_back(std::stod((*it)[5]));
  }
  ASSERT_GE(latency.size(), 4u) << "too few 'live stats' lines after the warm-up (" << warmup << " s and "
                                << warmup_frames << " frames); a longer SMILE_SOAK_SECONDS or a less loaded "
                                << "machine gives more:\n" << out;

  // RSS: every sample after the warm-up within 5 % of the first ones' median.
  std::vector<double> head(after.begin(), after.begin() + 3);
  std::sort(head.begin(), head.end());
  const double base = head[1];
  const auto [lo, hi] = std::minmax_element(after.begin(), after.end());
  // Latency: the median period of the last third no more than 50 % (+ 250 ms: periods of a
  // few frames on loaded shared cores are noisy) above the first third's. A queue that
  // builds up grows without bound, far past this.
  const size_t third = std::max<size_t>(1, latency.size() / 3);
  std::vector<double> first, last;
  for (size_t i = 0; i < third; ++i) first.push_back(latency[i].second);
  for (size_t i = latency.size() - third; i < latency.size(); ++i) last.push_back(latency[i].second);
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::printf("soak %.0f s (warm after %.0f s): RSS %.1f MB at warm-up end, %.1f..%.1f MB after (%+.2f%% .. %+.2f%%); "
              "latency per %.0f s period: median %.0f ms (first third) -> %.0f ms (last third), mean %.0f -> %.0f ms; "
              "%.2f fps mean; %zu RSS samples, %zu latency periods\n",
              duration, warm_at, base, *lo, *hi, 100 * (*lo / base - 1), 100 * (*hi / base - 1), every,
              median(first), median(last), Mean(first), Mean(last), Mean(fps), rss.size(), latency.size());
  std::string series;  // RSS about once a minute, to tell a leak (steady growth) from noise
  double next = 0;
  for (const auto& r : rss)
    if (r.t >= next) {
      char b[48];
      std::snprintf(b, sizeof(b), " %.0fs:%.1f", r.t, r.rss);
      series += b;
      next = r.t + 60;
    }
  std::printf("RSS MB over time:%s\n", series.c_str());
  EXPECT_LE(*hi, base * 1.05) << "RSS grew more than 5 % after the warm-up";
  EXPECT_GE(*lo, base * 0.95) << "RSS fell more than 5 % after the warm-up";
  EXPECT_LE(median(last), median(first) * 1.5 + 250) << "latency grew";
  EXPECT_GT(Mean(fps), 0.5) << out;
  const size_t sum = out.find(" frames read, ");
  EXPECT_NE(sum, std::string::npos) << out;
}

}  // namespace
