// smile demo: the main job on the bundled defaults - a head swap of the bundled clip
// with the bundled identity model, a side-by-side comparison (input | mask | output)
// and a contact sheet PNG. Everything goes under -o (default demo-out/).
#include <cstdio>
#include <filesystem>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "apps/command.h"
#include "core/log.h"

namespace smile::app {

Status RunSwapJob(const std::vector<std::string>& args);

namespace {

namespace fs = std::filesystem;

Status RunDemo(const std::vector<std::string>& args) {
  ArgParser p("demo",
              "Run the main job on the bundled defaults: swap the head in the bundled clip "
              "(assets/demo/driver.mp4) with the bundled identity model (assets/models/identity.smile), "
              "keeping its audio, and write a side-by-side video (input | mask | output) and a contact sheet.");
  p.Option("output", "DIR", "folder for the results", "demo-out");
  p.Option("assets", "DIR", "assets folder", SMILE_ASSETS_DIR);
  p.Option("max-frames", "N", "only the first N frames (0 = all)", "0");
  std::vector<std::string> a = args;
  for (auto& s : a)
    if (s == "-o") s = "--output";
  Status status;
  if (!ParseOrHelp(p, a, &status)) return status;
  const fs::path assets = p.Get("assets"), out = p.Get("output");
  const fs::path clip = assets / "demo" / "driver.mp4", model = assets / "models" / "identity.smile";
  for (const auto& f : {clip, model})
    if (!fs::exists(f))
      return NotFound("bundled file '" + f.string() + "' is missing; run from a complete checkout (see assets/README.md)");
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) return IoError("cannot create '" + out.string() + "': " + ec.message());
  SMILE_ASSIGN_OR_RETURN(int64_t max_frames, p.GetInt("max-frames", 0, int64_t(1) << 40));
  std::vector<std::string> swap = {"--identity",   model.string(),
                                   "--video",      clip.string(),
                                   "--output",     (out / "swap.mp4").string(),
                                   "--compare",    (out / "side_by_side.mp4").string(),
                                   "--sheet",      (out / "contact_sheet.png").string()};
  if (max_frames > 0) {
    swap.push_back("--max-frames");
    swap.push_back(std::to_string(max_frames));
  }
  SMILE_LOG(kInfo) << "demo: head swap of " << clip.string() << " with " << model.string();
  SMILE_RETURN_IF_ERROR(RunSwapJob(swap));
  std::printf("demo results in %s/: swap.mp4 (with the clip's audio), side_by_side.mp4 (input | mask | output), "
              "contact_sheet.png\n", out.string().c_str());
  return Status::Ok();
}

}  // namespace

SMILE_COMMAND(demo, 1, "the main job on the bundled defaults (head swap demo with audio)", RunDemo);

}  // namespace smile::app
