#include "engine/mask_editor.h"

#include <filesystem>
#include <thread>

#include <unistd.h>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "engine/labels.h"
#include "engine/session.h"
#include "models/checkpoint.h"
#include "models/manip.h"

namespace smile::engine {
namespace {

namespace fs = std::filesystem;

// A plausible aligned face layout (side px); `shift` moves the face a little (a "video").
cv::Mat FaceMask(int side, int shift = 0, bool glasses = false, bool hat = false) {
  cv::Mat m(side, side, CV_8U, cv::Scalar(kBackground));
  const double s = side / 64.0;
  auto P = [&](double x, double y) { return cv::Point(cvRound((x + shift) * s), cvRound(y * s)); };
  auto S = [&](double w, double h) { return cv::Size(cvRound(w * s), cvRound(h * s)); };
  cv::rectangle(m, P(20, 50), P(44, 64), cv::Scalar(kCloth), -1);
  cv::rectangle(m, P(27, 44), P(37, 56), cv::Scalar(kNeck), -1);
  cv::ellipse(m, P(32, 24), S(20, 20), 0, 180, 360, cv::Scalar(kHair), -1);
  cv::ellipse(m, P(32, 30), S(14, 18), 0, 0, 360, cv::Scalar(kSkin), -1);
  cv::ellipse(m, P(25, 25), S(4, 1), 0, 0, 360, cv::Scalar(kRBrow), -1);
  cv::ellipse(m, P(39, 25), S(4, 1), 0, 0, 360, cv::Scalar(kLBrow), -1);
  cv::ellipse(m, P(25, 28), S(3, 1.5), 0, 0, 360, cv::Scalar(kREye), -1);
  cv::ellipse(m, P(39, 28), S(3, 1.5), 0, 0, 360, cv::Scalar(kLEye), -1);
  cv::ellipse(m, P(32, 34), S(2, 4), 0, 0, 360, cv::Scalar(kNose), -1);
  cv::ellipse(m, P(32, 40), S(5, 1), 0, 0, 360, cv::Scalar(kULip), -1);
  cv::ellipse(m, P(32, 42), S(5, 1.2), 0, 0, 360, cv::Scalar(kLLip), -1);
  if (glasses) {
    cv::rectangle(m, P(20, 26), P(30, 31), cv::Scalar(kEyeG), cvRound(s));
    cv::rectangle(m, P(34, 26), P(44, 31), cv::Scalar(kEyeG), cvRound(s));
    cv::line(m, P(30, 28), P(34, 28), cv::Scalar(kEyeG), cvRound(s));
  }
  if (hat) cv::ellipse(m, P(32, 16), S(22, 12), 0, 180, 360, cv::Scalar(kHat), -1);
  return m;
}

models::ModelConfig Tiny() {
  auto c = models::ModelConfig::Preset("tiny");
  EXPECT_TRUE(c.ok());
  return *c;
}

std::unique_ptr<MaskEditor> RandomEditor(const std::string& set, uint64_t seed = 0, cv::Mat ref = {},
                                         bool composite = true, bool attribute_scope = false, int draws = 16) {
  MaskEditorOptions o;
  o.style_candidates = draws;
  auto spec = ParseEditSpec(set);
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  o.spec = *spec;
  o.seed = seed;
  o.reference_labels = ref;
  o.composite = composite;
  o.attribute_scope = attribute_scope;
  auto e = MaskEditor::CreateRandom(Tiny(), 5, o);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return e.ok() ? std::move(e).value() : nullptr;
}

TEST(EditSpec, ParsesSignsNamesAndDomains) {
  auto s = ParseEditSpec("+eyeglasses,-hat, +Bangs");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->edits.size(), 3u);
  EXPECT_EQ(s->Choice(1), 1);
  EXPECT_EQ(s->Choice(5), 0);
  EXPECT_EQ(s->Choice(3), 1);
  EXPECT_EQ(s->Choice(0), -1);
  EXPECT_EQ(s->ToString(), "+eyeglasses,-hat,+bangs");
  auto g = ParseEditSpec("+glasses,+female,-hair,+earrings");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->Choice(1), 1);
  EXPECT_EQ(g->Choice(0), 1);
  EXPECT_EQ(g->Choice(2), 0);
  EXPECT_EQ(g->Choice(4), 1);
  EXPECT_EQ(ParseEditSpec("+male")->Choice(0), 0);
  EXPECT_EQ(ParseEditSpec("-female")->Choice(0), 0);
  EXPECT_EQ(ParseEditSpec("hat")->Choice(5), 1);  // a bare domain name chooses that domain
  auto d = ParseEditSpec("NOT_Hat,Much_Hair");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->Choice(5), 0);
  EXPECT_EQ(d->Choice(2), 1);
}

TEST(EditSpec, ErrorsAreOneLineAndListTheValidNames) {
  for (const char* bad : {"", "  ", "+wings", "+eyeglasses,+moustache", "glasses", "+hat,-hat", "+hat,,+bangs",
                          "+", "*hat"}) {
    auto s = ParseEditSpec(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << bad;
    const std::string msg = s.status().message();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    if (std::string(bad) != "+hat,-hat") {
      EXPECT_NE(msg.find("+/-eyeglasses"), std::string::npos) << msg;
    }
  }
  EXPECT_NE(ParseEditSpec("+wings").status().message().find("'+wings'"), std::string::npos);
  EXPECT_NE(ParseEditSpec("glasses").status().message().find("needs a sign"), std::string::npos);
  EXPECT_NE(ParseEditSpec("+hat,-hat").status().message().find("Hat twice"), std::string::npos);
}

TEST(MaskEditor, MaskDomainsReadsTheDrawnAttributes) {
  auto plain = MaskDomains(FaceMask(128));
  EXPECT_EQ(plain[0], -1);  // gender is not in a mask
  EXPECT_EQ(plain[1], 0);
  EXPECT_EQ(plain[5], 0);
  EXPECT_EQ(plain[2], 1);   // much hair
  auto worn = MaskDomains(FaceMask(128, 0, true, true));
  EXPECT_EQ(worn[1], 1);
  EXPECT_EQ(worn[5], 1);
  cv::Mat empty(64, 64, CV_8U, cv::Scalar(0));
  for (int v : MaskDomains(empty)) EXPECT_EQ(v, -1);
}

TEST(MaskEditor, OutputHasTheInputsSizeAndValidLabels) {
  auto e = RandomEditor("+eyeglasses,-hat");
  ASSERT_TRUE(e);
  for (int side : {32, 64, 256}) {
    cv::Mat in = FaceMask(side);
    auto out = e->Edit(in);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(out->size(), in.size());
    EXPECT_EQ(out->type(), CV_8UC1);
    double mx = 0;
    cv::minMaxLoc(*out, nullptr, &mx);
    EXPECT_LT(mx, kNumLabels);
  }
  EXPECT_EQ(e->stats().frames, 3);
  EXPECT_FALSE(e->Edit(cv::Mat(32, 48, CV_8U, cv::Scalar(0))).ok());  // not square
  EXPECT_FALSE(e->Edit(cv::Mat(32, 32, CV_8UC3, cv::Scalar(0))).ok());
}

TEST(MaskEditor, StyleIsFixedAtTheFirstFrameAndConstantAfterwards) {
  auto e = RandomEditor("+eyeglasses", 3);
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->style_fixed());
  EXPECT_TRUE(e->style().empty());
  ASSERT_TRUE(e->Edit(FaceMask(64, 0)).ok());
  ASSERT_TRUE(e->style_fixed());
  const std::vector<float> first = e->style();
  ASSERT_EQ(first.size(), static_cast<size_t>(models::kManipStyleDim));
  for (int shift = -3; shift <= 3; ++shift) {
    ASSERT_TRUE(e->Edit(FaceMask(64, shift, false, shift > 0)).ok());
    EXPECT_EQ(e->style(), first) << shift;  // bit-identical: computed once
  }
  // The domains were read from the first mask; only the edited attribute's target differs.
  EXPECT_EQ(e->source_choices()[1], 0);
  EXPECT_EQ(e->target_choices()[1], 1);
  for (int a : {0, 2, 3, 4, 5}) EXPECT_EQ(e->source_choices()[a], e->target_choices()[a]) << a;
}

TEST(MaskEditor, SameSeedSameEditOtherSeedOrReferenceOtherStyle) {
  auto a = RandomEditor("+hat", 7), b = RandomEditor("+hat", 7), c = RandomEditor("+hat", 8);
  auto r = RandomEditor("+hat", 7, FaceMask(64, 2, true, true));
  ASSERT_TRUE(a && b && c && r);
  cv::Mat in = FaceMask(64);
  auto oa = a->Edit(in), ob = b->Edit(in), oc = c->Edit(in), orf = r->Edit(in);
  ASSERT_TRUE(oa.ok() && ob.ok() && oc.ok() && orf.ok());
  EXPECT_EQ(cv::countNonZero(*oa != *ob), 0);
  EXPECT_EQ(a->style(), b->style());
  EXPECT_NE(a->style(), c->style());
  EXPECT_NE(a->style(), r->style());
  // Only the edited attribute's slice (Hat, the last 16 values) depends on the seed or reference;
  // the kept attributes come from the first frame's own mask.
  const int hat = models::StyleOffset(5);
  for (int i = 0; i < hat; ++i) {
    EXPECT_EQ(a->style()[i], c->style()[i]) << i;
    EXPECT_EQ(a->style()[i], r->style()[i]) << i;
  }
  bool differs = false;
  for (int i = hat; i < models::kManipStyleDim; ++i) differs |= a->style()[i] != c->style()[i];
  EXPECT_TRUE(differs);
}

TEST(MaskEditor, CompositeKeepsTheInputOrTakesTheNetworksClass) {
  auto comp = RandomEditor("+eyeglasses", 1, {}, true), whole = RandomEditor("+eyeglasses", 1, {}, false);
  ASSERT_TRUE(comp && whole);
  cv::Mat in = FaceMask(128);
  auto c = comp->Edit(in), w = whole->Edit(in);
  ASSERT_TRUE(c.ok() && w.ok());
  // Every composited pixel is the input's class or the network's (upsampled) class.
  EXPECT_EQ(cv::countNonZero((*c != in) & (*c != *w)), 0);
  // and it is never further from the input than the network's whole mask.
  EXPECT_LE(cv::countNonZero(*c != in), cv::countNonZero(*w != in));
}

// Attribute scope: of the changed pixels, only those from or to the edited attributes' classes
// are kept (an untrained network changes classes everywhere); gender is not restricted.
TEST(MaskEditor, AttributeScopeKeepsOnlyChangesOfTheEditedClasses) {
  cv::Mat in = FaceMask(128);
  for (const std::string set : {"+eyeglasses", "-hat", "+bangs,+earrings"}) {
    auto scoped = RandomEditor(set, 1, {}, true, true), changed = RandomEditor(set, 1, {}, true, false);
    ASSERT_TRUE(scoped && changed);
    auto a = scoped->Edit(in), c = changed->Edit(in);
    ASSERT_TRUE(a.ok() && c.ok());
    std::vector<int> classes;
    const auto spec = ParseEditSpec(set);
    ASSERT_TRUE(spec.ok());
    for (const auto& e : spec->edits)
      for (int k : AttributeClasses(e.attribute)) classes.push_back(k);
    cv::Mat allowed = cv::Mat::zeros(in.size(), CV_8UC1);
    for (int k : classes) allowed |= (in == k) | (*c == k);
    const cv::Mat diff = *a != in;
    EXPECT_EQ(cv::countNonZero(diff & ~allowed), 0) << set << ": a change outside the edited classes";
    // Where it changes, it takes the unscoped composite's class.
    EXPECT_EQ(cv::countNonZero(diff & (*a != *c)), 0) << set;
    EXPECT_LE(cv::countNonZero(diff), cv::countNonZero(*c != in)) << set;
    std::printf("%s: %d pixels changed unscoped, %d scoped\n", set.c_str(), cv::countNonZero(*c != in),
                cv::countNonZero(diff));
  }
  EXPECT_EQ(AttributeClasses(0), std::vector<int>{});  // gender: unrestricted
  auto g_scoped = RandomEditor("+female", 1, {}, true, true), g_changed = RandomEditor("+female", 1, {}, true, false);
  auto gs = g_scoped->Edit(in), gc = g_changed->Edit(in);
  ASSERT_TRUE(gs.ok() && gc.ok());
  EXPECT_EQ(cv::countNonZero(*gs != *gc), 0);
}

// The bundled manipulation model and the two CelebAMask-HQ ground-truth maps at 256 px; false
// (with the reason) when either is absent.
bool BundledModelAndMaps(std::string* model, std::vector<cv::Mat>* maps, std::string* why) {
  *model = std::string(SMILE_SOURCE_DIR) + "/assets/models/manip.smile";
  if (!fs::exists(*model)) return *why = "no bundled manipulation model at " + *model, false;
  const fs::path dir = fs::path(SMILE_MEDIA_DIR) / "celebamask";
  for (int i = 0; i < 2; ++i) {
    cv::Mat gt = cv::imread((dir / (std::to_string(i) + ".png")).string(), cv::IMREAD_GRAYSCALE);
    if (gt.empty()) return *why = "shared media not found at " + dir.string(), false;
    cv::resize(gt, gt, cv::Size(256, 256), 0, 0, cv::INTER_NEAREST);
    maps->push_back(gt);
  }
  return true;
}

// --style-draws: the kept draw is the best of the N by CheckEdit on the first mask (asked, then margin),
// draw k is the k-th latent of the seed (so N = 1 is the seed's plain draw and a larger N only adds
// candidates), and a reference style is never replaced.
TEST(MaskEditor, StyleDrawsKeepTheDrawThatBestDoesWhatWasAsked) {
  const cv::Mat in = FaceMask(64);
  const auto spec = *ParseEditSpec("+eyeglasses");
  auto score = [&](MaskEditor& e) {
    auto out = e.Edit(in);
    EXPECT_TRUE(out.ok());
    const EditCheck c = CheckEdit(in, *out, spec);
    return (c.asked_ok ? 10.0 : 0.0) + c.margin;
  };
  auto one = RandomEditor("+eyeglasses", 3, {}, true, false, 1);
  ASSERT_TRUE(one);
  const double s1 = score(*one);
  EXPECT_EQ(one->style_candidate(), 0);
  double previous = s1;
  for (int draws : {2, 4, 16}) {
    auto many = RandomEditor("+eyeglasses", 3, {}, true, false, draws);
    ASSERT_TRUE(many);
    const double s = score(*many);
    EXPECT_GE(s, previous - 1e-9) << draws << " draws scored below fewer draws";
    EXPECT_LT(many->style_candidate(), draws);
    previous = s;
    // Keeping only the draws up to the kept one gives the same style (draw k does not depend on N).
    auto prefix = RandomEditor("+eyeglasses", 3, {}, true, false, many->style_candidate() + 1);
    ASSERT_TRUE(prefix);
    ASSERT_TRUE(prefix->Edit(in).ok());
    EXPECT_EQ(prefix->style(), many->style()) << draws;
    std::printf("%2d draws: kept draw %d, score %.3f (1 draw: %.3f)\n", draws, many->style_candidate(), s, s1);
  }
  auto ref = RandomEditor("+eyeglasses", 3, FaceMask(64, 2, true, false), true, false, 16);
  ASSERT_TRUE(ref);
  ASSERT_TRUE(ref->Edit(in).ok());
  EXPECT_EQ(ref->style_candidate(), 0);
  auto ref1 = RandomEditor("+eyeglasses", 3, FaceMask(64, 2, true, false), true, false, 1);
  ASSERT_TRUE(ref1->Edit(in).ok());
  EXPECT_EQ(ref->style(), ref1->style());
}

// The bundled model adds eyeglasses to both CelebAMask-HQ ground-truth maps with the default 16
// draws, further inside the area rule than its first draw (which passes here only just, and on
// 36 % of the held-out video frames for seed 0: issue #8).
TEST(MaskEditorMedia, BundledModelAddsEyeglassesWithStyleDraws) {
  std::string model, why;
  std::vector<cv::Mat> maps;
  if (!BundledModelAndMaps(&model, &maps, &why)) GTEST_SKIP() << why;
  for (int i = 0; i < 2; ++i) {
    const cv::Mat& gt = maps[i];
    for (uint64_t seed : {0, 3}) {
      for (int draws : {1, 16}) {
        MaskEditorOptions o;
        o.spec = *ParseEditSpec("+eyeglasses");
        o.seed = seed;
        o.style_candidates = draws;
        auto e = MaskEditor::Load(model, o);
        ASSERT_TRUE(e.ok()) << e.status().ToString();
        auto out = (*e)->Edit(gt);
        ASSERT_TRUE(out.ok());
        const EditCheck c = CheckEdit(gt, *out, o.spec);
        std::printf("map %d seed %llu, %2d draws (kept %d): eye_g %.1f %% of the mask, asked %d, margin %.2f\n", i,
                    static_cast<unsigned long long>(seed), draws, (*e)->style_candidate(),
                    100.0 * cv::countNonZero(*out == kEyeG) / out->total(), c.asked_ok, c.margin);
        if (draws > 1) {
          EXPECT_TRUE(c.ok()) << "map " << i << " seed " << seed;
        }
      }
    }
  }
}

// The bundled manipulation model (assets/models/manip.smile, trained by scripts/train_manip.sh on
// the shared clips' masks) on the two CelebAMask-HQ ground-truth maps it never saw: a hat appears
// with a sensible area, and a drawn hat (the classes of models/attributes.h) goes away again.
TEST(MaskEditorMedia, BundledModelAddsAndRemovesAHatOnGroundTruthMaps) {
  std::string model, why;
  std::vector<cv::Mat> maps;
  if (!BundledModelAndMaps(&model, &maps, &why)) GTEST_SKIP() << why;
  for (int i = 0; i < 2; ++i) {
    const cv::Mat& gt = maps[i];
    MaskEditorOptions o;
    o.spec = *ParseEditSpec("+hat");
    auto add = MaskEditor::Load(model, o);
    ASSERT_TRUE(add.ok()) << add.status().ToString();
    auto hat = (*add)->Edit(gt);
    ASSERT_TRUE(hat.ok());
    const EditCheck c = CheckEdit(gt, *hat, o.spec);
    std::printf("map %d +hat: %.1f %% of the mask is hat, other regions' IoU %.3f\n", i,
                100.0 * cv::countNonZero(*hat == kHat) / hat->total(), c.other_iou);
    EXPECT_TRUE(c.ok()) << "map " << i;
    o.spec = *ParseEditSpec("-hat");
    auto remove = MaskEditor::Load(model, o);
    ASSERT_TRUE(remove.ok());
    auto back = (*remove)->Edit(*hat);
    ASSERT_TRUE(back.ok());
    std::printf("map %d -hat: %.2f %% hat left\n", i, 100.0 * cv::countNonZero(*back == kHat) / back->total());
    EXPECT_TRUE(CheckEdit(*hat, *back, o.spec).asked_ok) << "map " << i;
  }
}

TEST(MaskEditor, LoadsTheCheckpointThatTheTrainerExports) {
  const std::string dir = (fs::temp_directory_path() / ("smile-mask-editor-" + std::to_string(::getpid()))).string();
  fs::create_directories(dir);
  const models::ModelConfig cfg = Tiny();
  torch::manual_seed(5);
  models::ManipGenerator g(cfg);
  models::ManipMapping f(cfg);
  models::ManipStyleEncoder enc(cfg);
  struct Group : torch::nn::Module {} group;
  group.register_module("generator", g.ptr());
  group.register_module("mapping", f.ptr());
  group.register_module("encoder", enc.ptr());
  const std::string path = dir + "/manip.ckpt";
  ASSERT_TRUE(models::SaveCheckpoint(path, models::kKindManip, cfg, group).ok());
  MaskEditorOptions o;
  o.spec = *ParseEditSpec("+eyeglasses");
  o.seed = 2;
  auto loaded = MaskEditor::Load(path, o);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  auto fresh = MaskEditor::CreateRandom(cfg, 5, o);  // the same weights (same seed, same order)
  ASSERT_TRUE(fresh.ok());
  cv::Mat in = FaceMask(64);
  auto a = (*loaded)->Edit(in), b = (*fresh)->Edit(in);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(cv::countNonZero(*a != *b), 0);
  EXPECT_EQ((*loaded)->style(), (*fresh)->style());
  EXPECT_NE((*loaded)->Describe().find("+eyeglasses"), std::string::npos);
  // Wrong kind / missing file: errors that say how to get a model.
  ASSERT_TRUE(models::SaveCheckpoint(dir + "/parser.ckpt", models::kKindParser, cfg, group).ok());
  for (const std::string& bad : {dir + "/parser.ckpt", dir + "/missing.ckpt"}) {
    auto r = MaskEditor::Load(bad, o);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("smile train manip"), std::string::npos) << r.status().message();
  }
  MaskEditorOptions none;
  EXPECT_EQ(MaskEditor::Load(path, none).status().code(), StatusCode::kInvalidArgument);
  fs::remove_all(dir);
}

TEST(MaskEditor, CheckEditJudgesAreaAndOtherRegions) {
  cv::Mat plain = FaceMask(128), glasses = FaceMask(128, 0, true, false), hat = FaceMask(128, 0, false, true);
  auto add = *ParseEditSpec("+eyeglasses"), remove = *ParseEditSpec("-eyeglasses"), add_hat = *ParseEditSpec("+hat");
  EditCheck c = CheckEdit(plain, glasses, add);
  EXPECT_TRUE(c.asked_ok);
  EXPECT_GT(c.other_iou, 0.95);
  EXPECT_TRUE(c.ok());
  EXPECT_GT(c.margin, 0);
  EXPECT_FALSE(CheckEdit(plain, plain, add).asked_ok);  // nothing drawn
  EXPECT_LT(CheckEdit(plain, plain, add).margin, 0);
  EXPECT_DOUBLE_EQ(CheckEdit(glasses, plain, remove).margin, 3.0);  // none left: capped
  EXPECT_TRUE(CheckEdit(glasses, plain, remove).ok());
  EXPECT_FALSE(CheckEdit(glasses, glasses, remove).asked_ok);
  EXPECT_TRUE(CheckEdit(plain, hat, add_hat).ok());
  // Glasses drawn, but the rest of the face moved away: asked, yet the other regions fail.
  EditCheck moved = CheckEdit(plain, FaceMask(128, 12, true, false), add);
  EXPECT_TRUE(moved.asked_ok);
  EXPECT_LT(moved.other_iou, 0.8);
  EXPECT_FALSE(moved.ok());
}

// ---- the edit stage inside engine::Session
class MaskSource : public capture::FrameSource {
 public:
  explicit MaskSource(int n) : n_(n) {
    info_.uri = "masks";
    info_.width = info_.height = 64;
    info_.fps = 25;
    info_.frame_count = n;
  }
  const capture::SourceInfo& info() const override { return info_; }
  Result<Frame> Read() override {
    if (read_ >= n_) return EndOfStream();
    cv::Mat m(64, 64, CV_8UC3, cv::Scalar(90, 120, 160));
    Frame f = Frame::FromMat(m, read_ * 40000, read_);
    ++read_;
    return f;
  }
  int64_t frames_read() const override { return read_; }

 private:
  capture::SourceInfo info_;
  int n_;
  int64_t read_ = 0;
};

class CountSink : public capture::FrameSink {
 public:
  Status Write(const Frame& f) override { frames.push_back(f); return Status::Ok(); }
  Status Close() override { return Status::Ok(); }
  void Abort() override {}
  int64_t frames_written() const override { return static_cast<int64_t>(frames.size()); }
  std::string target() const override { return "memory"; }
  std::vector<Frame> frames;
};

TEST(MaskEditor, SessionRunsTheEditStageBetweenAnalyseAndSynthesise) {
  for (bool fused : {false, true}) {
    auto cfg = Tiny();
    torch::manual_seed(1);
    models::IdentityModel model(cfg);
    model->eval();
    SessionOptions so;
    so.progress = false;
    so.fused = fused;
    const AnalyzerOptions ao;  // named: GCC 12 wrongly warns about a temporary's strings
    auto session = Session::Create(model, so, ao);
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    // A reference editor with the same weights and seed shows what the stage must produce.
    auto stage_editor = RandomEditor("+eyeglasses,-hat", 4);
    auto reference = RandomEditor("+eyeglasses,-hat", 4);
    ASSERT_TRUE(stage_editor && reference);
    (*session)->SetMaskEditor(std::shared_ptr<MaskEditor>(std::move(stage_editor)));
    Alignment identity;
    identity.to_aligned = identity.to_frame = cv::Matx23d(1, 0, 0, 0, 1, 0);
    identity.size = 64;
    std::vector<cv::Mat> analysed, seen;
    AnalyseFn analyse = [&](SessionItem& item) -> Status {
      item.render = true;
      item.labels = FaceMask(64, static_cast<int>(item.input.sequence % 3), false, item.input.sequence == 0);
      item.alignment = identity;
      analysed.push_back(item.labels.clone());
      return Status::Ok();
    };
    OutputHook hook = [&](SessionItem& item) -> Status {
      seen.push_back(item.labels.clone());
      EXPECT_FALSE(item.region.empty());
      return Status::Ok();
    };
    MaskSource src(6);
    CountSink sink;
    SessionReport r = (*session)->Run(src, sink, analyse, hook);
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_EQ(r.frames_written, 6);
    EXPECT_EQ(r.frames_rendered, 6);
    if (!fused) {
      EXPECT_NE(r.Summary().find("stage edit"), std::string::npos) << r.Summary();
      EXPECT_NE(r.Summary().find("queue edited"), std::string::npos) << r.Summary();
    }
    ASSERT_EQ(seen.size(), 6u);
    ASSERT_EQ(analysed.size(), 6u);
    for (size_t i = 0; i < 6; ++i) {
      auto expect = reference->Edit(analysed[i]);
      ASSERT_TRUE(expect.ok());
      EXPECT_EQ(cv::countNonZero(seen[i] != *expect), 0) << i;
    }
    EXPECT_EQ((*session)->mask_editor()->stats().frames, 6);
  }
}

}  // namespace
}  // namespace smile::engine
