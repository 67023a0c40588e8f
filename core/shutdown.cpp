#include "core/shutdown.h"

#include <unistd.h>

#include <atomic>
#include <csignal>

namespace smile {
namespace {
std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};

extern "C" void HandleStopSignal(int sig) {
  if (g_stop.load() && sig == SIGINT) {
    const char msg[] = "\nsecond interrupt: exiting now\n";
    (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
    _exit(130);
  }
  g_signal = sig;
  g_stop = true;
  const char msg[] = "\ninterrupted: finishing the current output (press Ctrl-C again to abort)\n";
  (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
}
}  // namespace

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = HandleStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool StopRequested() { return g_stop.load(std::memory_order_relaxed); }
void RequestStop() { g_stop = true; }
void ResetStopRequest() {
  g_stop = false;
  g_signal = 0;
}
int StopSignal() { return g_signal.load(); }

}  // namespace smile
