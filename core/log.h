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

// Turns the stream expression into void, to match the other branch of SMILE_LOG's ?:
// (`&` binds looser than `<<`, so it applies after the whole message).
struct LogVoidify {
  void operator&(std::ostream&) {}
};

}  // namespace smile

// An expression, not an if/else, so that `if (x) SMILE_LOG(kInfo) << ...; else ...` means what it
// says (no dangling else). The message is built only when its level is shown.
#define SMILE_LOG(level)                                   \
  (::smile::LogLevel::level < ::smile::GetLogLevel())      \
      ? (void)0                                            \
      : ::smile::LogVoidify() & ::smile::LogMessage(::smile::LogLevel::level).stream()
