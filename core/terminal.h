// Shared stderr state so that log lines and the progress bar do not overwrite each other.
#pragma once

#include <mutex>

namespace smile {

std::mutex& TerminalMutex();
// True when stderr is a terminal (progress bars are drawn only then).
bool StderrIsTty();
// With TerminalMutex held: erase a progress line currently drawn on stderr.
void ClearStatusLineLocked();
// With TerminalMutex held: remember whether a status line is on screen.
void SetStatusLineShownLocked(bool shown);

}  // namespace smile
