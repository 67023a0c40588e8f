// A tiny identity model for CLI tests: `smile fit --config tiny` for two iterations on a
// few crops of a real clip (the weights hardly matter; the plumbing does).
#pragma once

#include "cli_util.h"

namespace smile_cli {

// Fits once per test process into a folder removed at exit; "" on failure
// (the failing fit's output goes to *log).
inline std::string TinyIdentity(std::string* log = nullptr) {
  static TempDir dir_storage;  // removed at exit (ctest runs each test in its own process)
  static TempDir* dir = &dir_storage;
  static std::string path, out;
  if (path.empty() && out.empty()) {
    CmdRun fit = Smile({"--quiet", "fit", "--identity", Clip("d18"), "-o", *dir / "id.smile", "--config", "tiny",
                        "--iters", "2", "--max-samples", "6", "--every", "30"});
    out = fit.out.empty() ? "fit failed" : fit.out;
    if (fit.code == 0 && fs::exists(*dir / "id.smile")) path = *dir / "id.smile";
  }
  if (log) *log = out;
  return path;
}

}  // namespace smile_cli
