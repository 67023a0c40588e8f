// Temporary paths for tests. ctest runs the tests of one file as separate
// processes in parallel, and CI may run on the same machine as a developer's
// ctest, so every path carries the process id and a random number: a fixed
// name lets one test delete another's files mid-test.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

namespace smile::testing {

// A fresh path under the temp folder: <tag>_<pid>_<random><suffix>. Nothing is created.
inline std::filesystem::path UniqueTempPath(const std::string& tag, const std::string& suffix = "") {
  std::random_device rd;
  return std::filesystem::temp_directory_path() /
         (tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(rd()) + suffix);
}

// A folder that exists for the object's lifetime and is removed with everything in it.
class ScopedTempDir {
 public:
  explicit ScopedTempDir(const std::string& tag = "smile_test") : path_(UniqueTempPath(tag)) {
    std::filesystem::create_directories(path_);
  }
  ~ScopedTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace smile::testing
