#include "core/terminal.h"

#include <unistd.h>

#include <cstdio>

namespace smile {
namespace {
bool g_status_line_shown = false;
}

std::mutex& TerminalMutex() {
  static std::mutex mutex;
  return mutex;
}

bool StderrIsTty() { return isatty(STDERR_FILENO) == 1; }

void ClearStatusLineLocked() {
  if (g_status_line_shown) {
    std::fputs("\r\033[2K", stderr);
    g_status_line_shown = false;
  }
}

void SetStatusLineShownLocked(bool shown) { g_status_line_shown = shown; }

}  // namespace smile
