// `smile eval fit / video / report` driven through the binary.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "cli_util.h"

namespace {

using namespace smile_cli;
namespace fs = std::filesystem;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every src= of the page is an inline PNG; nothing points outside the file.
void ExpectSelfContained(const std::string& html, int min_images) {
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  std::regex src("src=\"([^\"]{0,24})");
  int n = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), src); it != std::sregex_iterator(); ++it, ++n)
    EXPECT_EQ((*it)[1].str().rfind("data:image/png;base64,", 0), 0u) << (*it)[1].str();
  EXPECT_GE(n, min_images);
}

TEST(CliEval, HelpAndBadArguments) {
  CmdRun help = Smile({"eval", "--help"});
  EXPECT_EQ(help.code, 0) << help.out;
  for (const char* w : {"fit", "video", "report"}) EXPECT_NE(help.out.find(w), std::string::npos) << w;
  CmdRun none = Smile({"eval"});
  EXPECT_EQ(none.code, 2);
  CmdRun unknown = Smile({"eval", "fid"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.out.find("fit, video, reenact, manip, parser or report"), std::string::npos) << unknown.out;
  CmdRun bad_parser = Smile({"eval", "parser", "--data", "/tmp", "--parser", "bisenet"});
  EXPECT_EQ(bad_parser.code, 2) << bad_parser.out;
  EXPECT_NE(bad_parser.out.find("learned"), std::string::npos) << bad_parser.out;
  CmdRun no_data = Smile({"eval", "parser", "--data", "/nonexistent"});
  EXPECT_EQ(no_data.code, 1) << no_data.out;
  EXPECT_NE(no_data.out.find("is not a folder"), std::string::npos) << no_data.out;
  CmdRun re_help = Smile({"eval", "reenact", "--help"});
  EXPECT_EQ(re_help.code, 0) << re_help.out;
  for (const char* opt : {"--driver", "--output", "--identity", "--max-frames", "--json"})
    EXPECT_NE(re_help.out.find(opt), std::string::npos) << opt;
  CmdRun re_missing = Smile({"eval", "reenact", "--driver", "/nonexistent.mp4", "--output", "/nonexistent2.mp4"});
  EXPECT_EQ(re_missing.code, 1) << re_missing.out;
  EXPECT_NE(re_missing.out.find("--driver '/nonexistent.mp4' does not exist"), std::string::npos) << re_missing.out;
  CmdRun fit_help = Smile({"eval", "fit", "--help"});
  EXPECT_EQ(fit_help.code, 0);
  for (const char* opt : {"--model", "--video", "--frames", "--lpips", "--inception", "--json"})
    EXPECT_NE(fit_help.out.find(opt), std::string::npos) << opt;
  CmdRun missing = Smile({"eval", "fit", "--video", "x.mp4"});
  EXPECT_EQ(missing.code, 2) << missing.out;
  EXPECT_NE(missing.out.find("--model"), std::string::npos) << missing.out;
  CmdRun no_model = Smile({"eval", "fit", "--model", "/nonexistent.smile"});
  EXPECT_NE(no_model.code, 0);
  EXPECT_NE(no_model.out.find("does not exist"), std::string::npos) << no_model.out;
  CmdRun report_empty = Smile({"eval", "report", "-o", "/tmp/x.html"});
  EXPECT_EQ(report_empty.code, 2) << report_empty.out;
}

// The feature networks are the user's files: a missing one is named with the fix, before any work.
TEST(CliEval, MissingFeatureNetworksSayHowToFix) {
  TempDir t;
  { std::ofstream(t / "id.smile") << "not a model"; }
  for (const char* opt : {"--lpips", "--inception"}) {
    CmdRun r = Smile({"eval", "fit", "--model", t / "id.smile", "--video", t / "id.smile", opt, t / "missing.pt"});
    EXPECT_NE(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("missing.pt' does not exist"), std::string::npos) << opt << "\n" << r.out;
    EXPECT_NE(r.out.find("torch.jit"), std::string::npos) << opt << "\n" << r.out;
  }
}

TEST(CliEval, ReportFromJsonFiles) {
  TempDir t;
  // Two hand-written results (the format smile eval ... --json writes).
  for (auto [name, psnr] : std::vector<std::pair<const char*, double>>{{"a", 24.5}, {"b", 26.0}}) {
    std::ofstream(t / (std::string(name) + ".json"))
        << R"({"smile_eval": 1, "kind": "fit", "title": "run )" << name << R"(", "info": {"video": "clip.mp4"},
  "metrics": [{"key": "crop_fixed_psnr", "label": "PSNR, crop", "value": )" << psnr
        << R"(, "unit": "dB", "bar": true}],
  "tables": [], "series": [{"title": "PSNR per frame", "x_label": "frame", "y_label": "dB",
  "lines": [{"name": "fixed", "x": [0, 1, 2], "y": [24, null, 25]}]}], "images": [], "notes": ["n"]})";
  }
  // A training loss log is plotted too.
  std::ofstream(t / "loss.jsonl") << R"({"iter":1,"time":1.0,"elapsed":1.0,"losses":{"g":1.0,"d":0.7}})" << "\n"
                                  << R"({"iter":2,"time":2.0,"elapsed":2.0,"losses":{"g":0.8,"d":0.69}})" << "\n";
  CmdRun r = Smile({"eval", "report", "-o", t / "report.html", "--inputs", t / "a.json", t / "b.json",
                    "--loss-log", t / "loss.jsonl", "--note", "manipulation: no model <bundled>", "--markdown",
                    t / "summary.md"});
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string html = ReadAll(t / "report.html");
  ExpectSelfContained(html, 4);  // bar chart, 2 series plots, loss curves
  EXPECT_NE(html.find("run a"), std::string::npos);
  EXPECT_NE(html.find("run b"), std::string::npos);
  EXPECT_NE(html.find("24.500"), std::string::npos);
  EXPECT_NE(html.find("manipulation: no model &lt;bundled&gt;"), std::string::npos);
  EXPECT_EQ(ReadAll(t / "summary.md"),
            "| fit run | PSNR, crop (dB) |\n| --- | --- |\n| run a | 24.500 |\n| run b | 26.000 |\n\n");
  { std::ofstream(t / "bad.json") << "{\"x\": 1}"; }
  CmdRun bad = Smile({"eval", "report", "-o", t / "r2.html", "--inputs", t / "bad.json"});
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.out.find("bad.json"), std::string::npos) << bad.out;
}

// Fit a tiny identity on d20, evaluate it on its held-out frames, swap it into the same clip,
// evaluate the swap as a video, and build the report from the two JSON files.
TEST(CliEvalMedia, FitVideoAndReport) {
  SKIP_WITHOUT_MEDIA();
  TempDir t;
  CmdRun fit = Smile({"--quiet", "fit", "--identity", Clip("d20"), "-o", t / "id.smile", "--config", "tiny",
                      "--iters", "10", "--max-samples", "24", "--every", "6"});
  ASSERT_EQ(fit.code, 0) << fit.out;
  CmdRun ev = Smile({"--quiet", "eval", "fit", "--model", t / "id.smile", "--video", Clip("d20"), "--frames", "4",
                     "--json", t / "fit.json"});
  ASSERT_EQ(ev.code, 0) << ev.out;
  for (const char* w : {"PSNR crop", "SSIM frame", "fixed", "own", "frames evaluated"})
    EXPECT_NE(ev.out.find(w), std::string::npos) << w << "\n" << ev.out;
  const std::string fj = ReadAll(t / "fit.json");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(fj, m, std::regex(R"("key": "crop_fixed_psnr",[^}]*"value": ([0-9.]+))"))) << fj.substr(0, 2000);
  const double psnr = std::stod(m[1]);
  EXPECT_GT(psnr, 5.0);
  EXPECT_LT(psnr, 40.0);
  EXPECT_TRUE(std::regex_search(fj, std::regex(R"("key": "frames",[^}]*"value": 4,)"))) << fj.substr(0, 600);
  // The model's recorded source is used when --video is left out.
  CmdRun ev2 = Smile({"--quiet", "eval", "fit", "--model", t / "id.smile", "--frames", "2"});
  EXPECT_EQ(ev2.code, 0) << ev2.out;

  CmdRun swap = Smile({"--quiet", "swap", "--identity", t / "id.smile", "--video", Clip("d20"), "-o",
                       t / "swap.mp4", "--max-frames", "12"});
  ASSERT_EQ(swap.code, 0) << swap.out;
  CmdRun vid = Smile({"--quiet", "eval", "video", "--input", Clip("d20"), "--output", t / "swap.mp4",
                      "--max-frames", "12", "--json", t / "video.json"});
  ASSERT_EQ(vid.code, 0) << vid.out;
  for (const char* w : {"flicker", "warping error", "landmark error", "identity similarity"})
    EXPECT_NE(vid.out.find(w), std::string::npos) << w << "\n" << vid.out;
  CmdRun rep = Smile({"eval", "report", "-o", t / "report.html", "--inputs", t / "fit.json", t / "video.json"});
  ASSERT_EQ(rep.code, 0) << rep.out;
  const std::string html = ReadAll(t / "report.html");
  ExpectSelfContained(html, 6);
  EXPECT_NE(html.find("self-reenactment"), std::string::npos);
  EXPECT_NE(html.find("d20.mp4 -&gt; swap.mp4"), std::string::npos);
}

// face descriptor distances tell people apart: a clip evaluated against itself as output is at
// distance ~0 from its input, nearer to its own footage than to another person's photo.
TEST(CliEvalMedia, IdentityDistancesSeparatePeople) {
  SKIP_WITHOUT_MEDIA();
  const std::string model_dir = std::string(std::getenv("HOME") ? std::getenv("HOME") : "/root") + "/.cache/smile/models";
  if (!fs::exists(fs::path(model_dir) / "faceres.json") && !std::getenv("SMILE_MODELS_DIR"))
    GTEST_SKIP() << "FaceRes not fetched (bash scripts/fetch_models.sh)";
  TempDir t;
  const std::string other = std::string(SMILE_MEDIA_DIR) + "/faces/lp_s0.jpg";
  CmdRun a = Smile({"--quiet", "eval", "video", "--input", Clip("d20"), "--output", Clip("d20"), "--identity", other,
                    "--max-frames", "6", "--json", t / "other.json"});
  ASSERT_EQ(a.code, 0) << a.out;
  CmdRun b = Smile({"--quiet", "eval", "video", "--input", Clip("d20"), "--output", Clip("d20"), "--identity",
                    Clip("d20"), "--max-frames", "6", "--json", t / "self.json"});
  ASSERT_EQ(b.code, 0) << b.out;
  const std::string oj = ReadAll(t / "other.json"), sj = ReadAll(t / "self.json");
  EXPECT_LT(MetricValue(oj, "id_dist_output_input"), 0.02) << oj.substr(0, 3000);
  EXPECT_EQ(MetricValue(oj, "id_closer_share"), 0.0);
  const double to_other = MetricValue(oj, "id_dist_output_identity"), to_self = MetricValue(sj, "id_dist_output_identity");
  EXPECT_GE(to_self, 0.0);
  EXPECT_LT(to_self + 0.2, to_other) << "self " << to_self << " other " << to_other;
  // Gaze (MediaPipe Iris, fetched with FaceRes): an output equal to its input follows its gaze exactly.
  if (fs::exists(fs::path(model_dir) / "iris.json")) {
    EXPECT_NEAR(MetricValue(oj, "gaze_corr_x"), 1.0, 1e-6) << oj.substr(0, 3000);
    EXPECT_NEAR(MetricValue(oj, "gaze_sd_output"), MetricValue(oj, "gaze_sd_input"), 1e-9);
    EXPECT_GT(MetricValue(oj, "gaze_sd_input"), 0.0);
  }
  CmdRun bad = Smile({"--quiet", "eval", "video", "--input", Clip("d20"), "--identity", t / "missing.jpg"});
  EXPECT_EQ(bad.code, 1) << bad.out;
  EXPECT_NE(bad.out.find("does not exist"), std::string::npos) << bad.out;
}

// Parsers against the CelebAMask-HQ ground truth, side by side: the geometric parser reaches its
// known level, and a parser compared with itself on its own output would be 1 (here: the truth).
TEST(CliEvalMedia, ParsersAgainstGroundTruth) {
  SKIP_WITHOUT_MEDIA();
  TempDir t;
  CmdRun r = Smile({"--quiet", "eval", "parser", "--data", std::string(SMILE_MEDIA_DIR) + "/celebamask", "--parser",
                    "geometric", "--parser", "learned", "--json", t / "parser.json"});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("IoU per class"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("u_lip"), std::string::npos) << r.out;
  const std::string j = ReadAll(t / "parser.json");
  EXPECT_GT(MetricValue(j, "miou_geometric"), 0.55) << j.substr(0, 2000);
  EXPECT_GT(MetricValue(j, "miou_learned"), 0.3) << j.substr(0, 2000);
  EXPECT_GT(MetricValue(j, "ms_learned"), 0.0);
}

// Expression landmark error has known answers on real footage: a clip against itself is 0 with
// perfectly correlated mouth and angle; another person who does not follow the driver is far
// from 0 (about the error of a still output).
TEST(CliEvalMedia, ReenactAgainstItselfAndAnUnrelatedClip) {
  SKIP_WITHOUT_MEDIA();
  TempDir t;
  CmdRun self = Smile({"--quiet", "eval", "reenact", "--driver", Clip("d20"), "--output", Clip("d20"), "--max-frames",
                       "20", "--json", t / "self.json"});
  ASSERT_EQ(self.code, 0) << self.out;
  for (const char* w : {"expression landmark error", "mouth openness correlation", "flicker", "warping error"})
    EXPECT_NE(self.out.find(w), std::string::npos) << w << "\n" << self.out;
  const std::string sj = ReadAll(t / "self.json");
  EXPECT_EQ(MetricValue(sj, "frames"), 20);
  EXPECT_EQ(MetricValue(sj, "face_rate_output"), 1.0);
  EXPECT_EQ(MetricValue(sj, "expr_error"), 0.0) << sj.substr(0, 3000);
  EXPECT_GT(MetricValue(sj, "expr_still"), 0.005);  // the driver does move
  EXPECT_NEAR(MetricValue(sj, "mouth_corr"), 1.0, 1e-9);
  EXPECT_EQ(MetricValue(sj, "angle_error"), 0.0);
  EXPECT_NEAR(MetricValue(sj, "flicker_output"), MetricValue(sj, "flicker_driver"), 1e-9);
  // d11 (512x512, another person) "driven" by d20 (480x480): different sizes are fine.
  CmdRun other = Smile({"--quiet", "eval", "reenact", "--driver", Clip("d20"), "--output", Clip("d11"),
                        "--max-frames", "20", "--json", t / "other.json"});
  ASSERT_EQ(other.code, 0) << other.out;
  const std::string oj = ReadAll(t / "other.json");
  EXPECT_GT(MetricValue(oj, "expr_error"), 0.5 * MetricValue(oj, "expr_still")) << oj.substr(0, 3000);
  CmdRun rep = Smile({"eval", "report", "-o", t / "report.html", "--inputs", t / "self.json", t / "other.json"});
  ASSERT_EQ(rep.code, 0) << rep.out;
  const std::string html = ReadAll(t / "report.html");
  ExpectSelfContained(html, 6);
  EXPECT_NE(html.find("d20.mp4 drives d11.mp4"), std::string::npos);
}

}  // namespace
