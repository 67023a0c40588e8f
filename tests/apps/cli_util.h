// Helpers for tests that drive the smile binary (SMILE_BIN) on the shared media.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

namespace smile_cli {

namespace fs = std::filesystem;

struct CmdRun {
  int code = -1;
  std::string out;  // stdout + stderr
};

inline std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline CmdRun Smile(const std::vector<std::string>& args) {
  std::string cmd = Quote(SMILE_BIN);
  for (const auto& a : args) cmd += " " + Quote(a);
  cmd += " 2>&1";
  CmdRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline std::string Clip(const std::string& name) { return std::string(SMILE_MEDIA_DIR) + "/video/" + name + ".mp4"; }
inline bool HaveMedia() { return fs::exists(Clip("d11")); }
#define SKIP_WITHOUT_MEDIA() \
  if (!HaveMedia()) GTEST_SKIP() << "shared media not found at " << SMILE_MEDIA_DIR << "/video"

class TempDir {
 public:
  TempDir() {
    std::string t = (fs::temp_directory_path() / "smile-cli-XXXXXX").string();
    path_ = mkdtemp(t.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& n) const { return path_ + "/" + n; }
  size_t Count() const { return std::distance(fs::directory_iterator(path_), fs::directory_iterator()); }

 private:
  std::string path_;
};

// Starts smile with stdout+stderr into `log`; returns the pid.
inline pid_t Spawn(const std::vector<std::string>& args, const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    if (!freopen(log.c_str(), "w", stdout)) _exit(126);
    dup2(fileno(stdout), fileno(stderr));
    std::vector<char*> argv = {const_cast<char*>(SMILE_BIN)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(SMILE_BIN, argv.data());
    _exit(127);
  }
  return pid;
}

inline std::string ReadText(const std::string& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A metric's value in an `smile eval ... --json` file's text; -1 when absent.
inline double MetricValue(const std::string& json, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(json, m, std::regex("\"key\": \"" + key + "\",[^}]*\"value\": ([-0-9.eE]+)"))) return -1;
  return std::stod(m[1]);
}

}  // namespace smile_cli
