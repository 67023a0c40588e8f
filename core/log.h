// Levelled logging to stderr: SMILE_LOG(kInfo) << "..."; level from --verbose/--quiet
// or the SMILE_LOG_LEVEL environment variable (debug, info, warn, error).
#pragma once

#include <sstream>
#include <string>

namespace smile {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Parses "debug|info|warn|error|off"; returns false on an unknown name.
bool ParseLogLevel(const std::string& name, LogLevel* out);
// Writes one line (thread-safe; clears a progress bar line first).
void LogLine(LogLevel level, const std::string& message);

class LogMessage {
 public:
  explicit LogMessage(LogLevel level) : level_(level) {}
  ~LogMessage() { LogLine(level_, stream_.str()); }
  std::ostringstream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

}  // namespace smile

#define SMILE_LOG(level)                                          \
  if (::smile::LogLevel::level < ::smile::GetLogLevel()) {        \
  } else                                                          \
    ::smile::LogMessage(::smile::LogLevel::level).stream()
