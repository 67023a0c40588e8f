#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "core/terminal.h"

namespace smile {
namespace {

LogLevel InitialLevel() {
  LogLevel level = LogLevel::kInfo;
  if (const char* env = std::getenv("SMILE_LOG_LEVEL")) ParseLogLevel(env, &level);
  return level;
}

std::atomic<int>& LevelStorage() {
  static std::atomic<int> level{static_cast<int>(InitialLevel())};
  return level;
}

}  // namespace

void SetLogLevel(LogLevel level) { LevelStorage() = static_cast<int>(level); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(LevelStorage().load()); }

bool ParseLogLevel(const std::string& name, LogLevel* out) {
  if (name == "debug") *out = LogLevel::kDebug;
  else if (name == "info") *out = LogLevel::kInfo;
  else if (name == "warn" || name == "warning") *out = LogLevel::kWarn;
  else if (name == "error") *out = LogLevel::kError;
  else if (name == "off") *out = LogLevel::kOff;
  else return false;
  return true;
}

void LogLine(LogLevel level, const std::string& message) {
  if (level < GetLogLevel()) return;
  static const char* kTags[] = {"debug", "info", "warn", "error", ""};
  std::lock_guard<std::mutex> lock(TerminalMutex());
  ClearStatusLineLocked();
  if (level == LogLevel::kInfo) {
    std::fprintf(stderr, "%s\n", message.c_str());
  } else {
    std::fprintf(stderr, "[%s] %s\n", kTags[static_cast<int>(level)], message.c_str());
  }
  std::fflush(stderr);
}

}  // namespace smile
