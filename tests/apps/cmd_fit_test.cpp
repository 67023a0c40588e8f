// `smile fit --base`: fine-tuning an identity from another model, driven through the binary.
#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include "cli_util.h"
#include "tiny_identity.h"

namespace {

using namespace smile_cli;
namespace fs = std::filesystem;

// The first "<prefix> <number> dB" figure of a fit's output (NaN when absent).
double Figure(const std::string& out, const std::string& prefix) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex(prefix + " ([0-9.]+) dB"))) return NAN;
  return std::stod(m[1].str());
}

TEST(CliFitMedia, BaseModelIsWhereTheFitStarts) {
  SKIP_WITHOUT_MEDIA();
  std::string log;
  const std::string base = TinyIdentity(&log);
  ASSERT_FALSE(base.empty()) << log;
  const double base_heldout = Figure(log, "head-region PSNR");
  ASSERT_TRUE(std::isfinite(base_heldout)) << log;
  TempDir t;
  // Same footage and sampling as the base's own fit (6 crops: few-shot, measured on the crops
  // themselves): before any step the base must score exactly what its fit reported, so the
  // weights really were loaded.
  CmdRun tuned = Smile({"fit", "--identity", Clip("d18"), "-o", t / "tuned.smile", "--base", base, "--iters", "2",
                        "--max-samples", "6", "--every", "30"});
  ASSERT_EQ(tuned.code, 0) << tuned.out;
  EXPECT_NEAR(Figure(tuned.out, "scored"), base_heldout, 0.011) << tuned.out;
  // The kept model is at least as good as the base on those crops (the best weights are kept).
  EXPECT_GE(Figure(tuned.out, "head-region PSNR") + 1e-9, base_heldout) << tuned.out;
  EXPECT_TRUE(fs::exists(t / "tuned.smile"));

  // The base fixes the configuration; a different --config is refused in one line.
  CmdRun clash = Smile({"--quiet", "fit", "--identity", Clip("d18"), "-o", t / "x.smile", "--base", base,
                        "--config", "lite", "--iters", "1"});
  EXPECT_EQ(clash.code, 2) << clash.out;
  EXPECT_NE(clash.out.find("drop --config"), std::string::npos) << clash.out;
  EXPECT_FALSE(fs::exists(t / "x.smile"));
}

// `--geometry mesh`: the model carries its mesh topology and every job renders it, the swap in
// both layouts and the self-reenactment evaluation (plumbing: a tiny model, two iterations).
TEST(CliFitMedia, MeshGeometryModelFitsSwapsAndEvaluates) {
  SKIP_WITHOUT_MEDIA();
  TempDir t;
  CmdRun fit = Smile({"fit", "--identity", Clip("d18"), "-o", t / "geo.smile", "--config", "tiny", "--iters", "2",
                      "--max-samples", "12", "--every", "10", "--geometry", "mesh", "--texture", "4"});
  if (fit.code != 0 && fit.out.find("fetch_models") != std::string::npos)
    GTEST_SKIP() << "FaceMesh not fetched (bash scripts/fetch_models.sh)";
  ASSERT_EQ(fit.code, 0) << fit.out;
  EXPECT_NE(fit.out.find("mesh geometry on 12 of 12 crops"), std::string::npos) << fit.out;
  EXPECT_NE(fit.out.find("a 4-channel neural texture"), std::string::npos) << fit.out;
  for (const char* layout : {"driver", "identity"}) {
    const std::string out = t / (std::string("swap_") + layout + ".mp4");
    CmdRun swap = Smile({"swap", "--identity", t / "geo.smile", "--video", Clip("d11"), "-o", out, "--max-frames",
                         "8", "--layout", layout});
    ASSERT_EQ(swap.code, 0) << swap.out;
    EXPECT_NE(swap.out.find("8 written"), std::string::npos) << swap.out;
    EXPECT_NE(swap.out.find("with FaceMesh geometry"), std::string::npos) << swap.out;
  }
  CmdRun eval = Smile({"eval", "fit", "--model", t / "geo.smile", "--video", Clip("d18"), "--frames", "3"});
  ASSERT_EQ(eval.code, 0) << eval.out;
  // A model without geometry cannot be the base of one with it.
  CmdRun clash = Smile({"--quiet", "fit", "--identity", Clip("d18"), "-o", t / "x.smile", "--base", t / "geo.smile",
                        "--geometry", "off", "--iters", "1"});
  EXPECT_EQ(clash.code, 2) << clash.out;
  EXPECT_NE(clash.out.find("--geometry mesh"), std::string::npos) << clash.out;
}

}  // namespace
