#include "engine/session.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "capture/source.h"

namespace smile::engine {
namespace {

// A tiny identity model with random weights (speed and plumbing do not depend on training).
models::IdentityModel TinyModel() {
  auto cfg = models::ModelConfig::Preset("tiny");
  EXPECT_TRUE(cfg.ok());
  torch::manual_seed(1);
  models::IdentityModel m(*cfg);
  m->style.copy_(torch::randn_like(m->style));
  m->eval();
  return m;
}

// N synthetic frames (no faces), optionally `delay_ms` per read and `live`.
class FakeSource : public capture::FrameSource {
 public:
  FakeSource(int n, int delay_ms = 0, bool live = false) : n_(n), delay_ms_(delay_ms) {
    info_.uri = "fake";
    info_.width = 96, info_.height = 64, info_.fps = 25, info_.frame_count = live ? -1 : n;
    info_.is_live = live;
  }
  const capture::SourceInfo& info() const override { return info_; }
  Result<Frame> Read() override {
    if (read_ >= n_) return EndOfStream();
    if (delay_ms_) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
    cv::Mat m(64, 96, CV_8UC3, cv::Scalar(read_ % 256, 40, 200));
    cv::circle(m, {48, 32}, 10 + read_ % 8, cv::Scalar(0, 255, 0), -1);
    Frame f = Frame::FromMat(m, read_ * 40000, read_);
    ++read_;
    return f;
  }
  int64_t frames_read() const override { return read_; }

 private:
  capture::SourceInfo info_;
  int n_, delay_ms_;
  int64_t read_ = 0;
};

// Keeps copies of what it is given; optional delay per write and a failure at frame k.
class KeepSink : public capture::FrameSink {
 public:
  explicit KeepSink(int delay_ms = 0, int fail_at = -1) : delay_ms_(delay_ms), fail_at_(fail_at) {}
  Status Write(const Frame& f) override {
    if (fail_at_ >= 0 && static_cast<int>(frames.size()) == fail_at_) return IoError("disk full (test)");
    if (delay_ms_) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
    frames.push_back(f);
    return Status::Ok();
  }
  void MarkInputComplete() override { complete = true; }
  Status Close() override { closed = true; return Status::Ok(); }
  void Abort() override { aborted = true; }
  int64_t frames_written() const override { return static_cast<int64_t>(frames.size()); }
  std::string target() const override { return "memory"; }
  std::vector<Frame> frames;
  bool complete = false, closed = false, aborted = false;

 private:
  int delay_ms_, fail_at_;
};

std::unique_ptr<Session> MakeSession(SessionOptions o = {}) {
  o.progress = false;
  auto s = Session::Create(TinyModel(), o, AnalyzerOptions{});
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

double MaxDiff(const cv::Mat& a, const cv::Mat& b) {
  double m = 0;
  cv::minMaxLoc(cv::abs(a - b), nullptr, &m);
  cv::Mat d;
  cv::absdiff(a, b, d);
  cv::minMaxLoc(d.reshape(1), nullptr, &m);
  return m;
}

TEST(Session, UsesTheFastFixedStylePath) {
  auto s = MakeSession();
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->renderer().fast()) << s->renderer().path();
  // The fast path renders what the plain forward renders.
  HeadRenderer plain(s->model()->network, s->model()->style, false);
  cv::Mat labels(32, 32, CV_8U, cv::Scalar(kSkin));
  labels(cv::Rect(8, 8, 16, 10)).setTo(kHair);
  labels(cv::Rect(12, 20, 8, 4)).setTo(kULip);
  auto a = s->renderer().Render(labels), b = plain.Render(labels);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_LE(MaxDiff(*a, *b), 1.0);
}

TEST(Session, FacelessFramesPassThroughUnchangedAndAreCounted) {
  for (bool fused : {false, true}) {
    SessionOptions o;
    o.fused = fused;
    auto s = MakeSession(o);
    ASSERT_TRUE(s);
    FakeSource src(9);
    KeepSink sink;
    SessionReport r = s->RunSwap(src, sink);
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_EQ(r.frames_read, 9);
    EXPECT_EQ(r.frames_written, 9);
    EXPECT_EQ(r.frames_no_face, 9);
    EXPECT_EQ(r.frames_rendered, 0);
    EXPECT_EQ(r.frames_dropped, 0);
    EXPECT_TRUE(sink.complete && sink.closed);
    ASSERT_EQ(sink.frames.size(), 9u);
    for (int i = 0; i < 9; ++i) {
      EXPECT_EQ(sink.frames[i].sequence, i);
      cv::Mat expect(64, 96, CV_8UC3, cv::Scalar(i, 40, 200));
      cv::circle(expect, {48, 32}, 10 + i % 8, cv::Scalar(0, 255, 0), -1);
      EXPECT_EQ(MaxDiff(*sink.frames[i].image, expect), 0) << i;
    }
    EXPECT_NE(r.Summary().find("9 without a face"), std::string::npos) << r.Summary();
    EXPECT_NE(r.Summary().find(fused ? "stage work" : "stage synthesise"), std::string::npos) << r.Summary();
  }
}

TEST(Session, BlockModeLosesNothingBehindASlowSink) {
  SessionOptions o;
  o.queue_capacity = 2;
  o.max_frames = 20;
  auto s = MakeSession(o);
  ASSERT_TRUE(s);
  FakeSource src(50);
  KeepSink sink(3);
  SessionReport r = s->RunSwap(src, sink);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.frames_read, 20);
  EXPECT_EQ(r.frames_written, 20);
  EXPECT_EQ(r.frames_dropped, 0);
  EXPECT_FALSE(sink.complete) << "cut by max_frames: not the natural end";
  for (size_t i = 0; i < sink.frames.size(); ++i) EXPECT_EQ(sink.frames[i].sequence, static_cast<int64_t>(i));
}

TEST(Session, LiveDropsOldestAndBoundsLatency) {
  SessionOptions o;
  o.live = true;
  o.max_in_flight = 1;
  auto s = MakeSession(o);
  ASSERT_TRUE(s);
  FakeSource src(60, 2, true);  // 500 fps source
  KeepSink sink(15);            // ~60 fps sink
  SessionReport r = s->RunSwap(src, sink);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.frames_read, 60);
  EXPECT_GT(r.frames_dropped, 20);
  EXPECT_EQ(r.frames_written + r.frames_dropped, r.frames_read);
  // One frame in flight: a frame waits at most for the one ahead of it, so its latency stays within
  // about two frames' work (this run's own stage times, so a loaded machine does not fail it); a
  // queue that built up would reach 60 frames x 15 ms.
  double per_frame = 0;
  for (const char* stage : {"analyse", "synthesise", "compose", "encode"}) per_frame += r.StageMs(stage);
  EXPECT_LT(r.latency_max_ms, 2 * std::max(per_frame, 15.0) + 40) << r.Summary();
  EXPECT_LT(r.latency_max_ms, 400) << r.Summary();
  for (size_t i = 1; i < sink.frames.size(); ++i) EXPECT_GT(sink.frames[i].sequence, sink.frames[i - 1].sequence);
}

TEST(Session, EffectOffPassesThrough) {
  auto s = MakeSession();
  ASSERT_TRUE(s);
  s->set_effect(false);
  FakeSource src(5);
  KeepSink sink;
  SessionReport r = s->RunSwap(src, sink);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.frames_effect_off, 5);
  EXPECT_EQ(r.frames_no_face, 0);
}

TEST(Session, SinkErrorAbortsTheOutput) {
  auto s = MakeSession();
  ASSERT_TRUE(s);
  FakeSource src(30);
  KeepSink sink(0, 4);
  SessionReport r = s->RunSwap(src, sink);
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("disk full"), std::string::npos);
  EXPECT_TRUE(sink.aborted);
  EXPECT_FALSE(sink.closed);
}

TEST(Session, AnalyseErrorNamesTheStage) {
  auto s = MakeSession();
  ASSERT_TRUE(s);
  FakeSource src(10);
  KeepSink sink;
  SessionReport r = s->Run(src, sink, [](SessionItem& item) -> Status {
    if (item.input.sequence == 3) throw std::runtime_error("boom");
    return Status::Ok();
  });
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("analyse"), std::string::npos) << r.status.message();
  EXPECT_TRUE(sink.aborted);
}

// ---- real clips ----

std::string Clip(const std::string& n) { return std::string(SMILE_MEDIA_DIR) + "/video/" + n + ".mp4"; }
#define SKIP_WITHOUT_CLIPS() \
  if (!std::filesystem::exists(Clip("d11"))) GTEST_SKIP() << "shared media not found at " << SMILE_MEDIA_DIR

// Blanks frames [from, to] (the face leaves the picture).
class BlankRange : public capture::FrameSource {
 public:
  BlankRange(std::unique_ptr<capture::FrameSource> in, int from, int to) : in_(std::move(in)), from_(from), to_(to) {}
  const capture::SourceInfo& info() const override { return in_->info(); }
  Result<Frame> Read() override {
    SMILE_ASSIGN_OR_RETURN(Frame f, in_->Read());
    if (f.sequence >= from_ && f.sequence <= to_) {
      Frame g = Frame::FromMat(cv::Mat(f.image->size(), CV_8UC3, cv::Scalar(30, 30, 30)), f.pts_us, f.sequence);
      return g;
    }
    return f;
  }
  int64_t frames_read() const override { return in_->frames_read(); }

 private:
  std::unique_ptr<capture::FrameSource> in_;
  int from_, to_;
};

TEST(SessionMedia, PipelinedEqualsOneStageAndCountsFacelessFrames) {
  SKIP_WITHOUT_CLIPS();
  std::vector<std::vector<Frame>> outs;
  for (bool fused : {true, false}) {
    SessionOptions o;
    o.fused = fused;
    o.max_frames = 8;
    auto s = MakeSession(o);
    ASSERT_TRUE(s);
    auto src = capture::OpenSource(Clip("d11"));
    ASSERT_TRUE(src.ok());
    BlankRange blank(std::move(src).value(), 2, 7);
    KeepSink sink;
    SessionReport r = s->RunSwap(blank, sink);
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_EQ(r.frames_written, 8);
    // The tracker coasts over a few missed frames (TrackerOptions::max_missed); after
    // that the blank frames have no face and pass through unchanged.
    const int max_missed = TrackerOptions{}.max_missed;
    EXPECT_GE(r.frames_no_face, 6 - max_missed) << r.Summary();
    EXPECT_EQ(r.frames_rendered + r.frames_no_face, 8) << r.Summary();
    for (const auto& st : r.stages) EXPECT_GT(st.items, 0u) << st.name;
    int unchanged = 0;
    for (const Frame& f : sink.frames) unchanged += cv::mean(*f.image)[0] == 30 && cv::mean(*f.image)[2] == 30;
    EXPECT_EQ(unchanged, r.frames_no_face) << "frames without a face are passed through unchanged";
    outs.push_back(sink.frames);
  }
  ASSERT_EQ(outs[0].size(), outs[1].size());
  for (size_t i = 0; i < outs[0].size(); ++i)
    EXPECT_LE(MaxDiff(*outs[0][i].image, *outs[1][i].image), 0) << "frame " << i << ": stages change the result";
  // And the swap really rendered something: a rendered frame differs from its input in the middle.
  auto src = capture::OpenSource(Clip("d11"));
  ASSERT_TRUE(src.ok());
  auto f0 = (*src)->Read();
  ASSERT_TRUE(f0.ok());
  cv::Mat d;
  cv::absdiff(*f0->image, *outs[1][0].image, d);
  const double centre = cv::mean(d(cv::Rect(176, 160, 160, 200)))[0], corner = cv::mean(d(cv::Rect(0, 0, 48, 48)))[0];
  EXPECT_GT(centre, 3 * corner + 5) << centre << " " << corner;
}

// --stabilize: the first rendered frame is the plain render; later frames blend in the previous
// render, so the head changes less from frame to frame than with the stabiliser off.
TEST(SessionMedia, StabiliserDampsFrameToFrameChangesOfTheHead) {
  SKIP_WITHOUT_CLIPS();
  std::vector<std::vector<Frame>> outs;
  for (double st : {0.0, 0.6}) {
    SessionOptions o;
    o.stabilize = st;
    o.max_frames = 6;
    auto s = MakeSession(o);
    ASSERT_TRUE(s);
    auto src = capture::OpenSource(Clip("d11"));
    ASSERT_TRUE(src.ok());
    KeepSink sink;
    SessionReport r = s->RunSwap(**src, sink);
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    ASSERT_EQ(r.frames_rendered, 6) << r.Summary();
    outs.push_back(sink.frames);
  }
  const cv::Rect centre(176, 160, 160, 200);
  EXPECT_LE(MaxDiff(*outs[0][0].image, *outs[1][0].image), 0) << "the first frame is the plain render";
  double change[2] = {0, 0}, differs = 0;
  for (int k = 0; k < 2; ++k)
    for (size_t i = 1; i < outs[k].size(); ++i) {
      cv::Mat d;
      cv::absdiff((*outs[k][i].image)(centre), (*outs[k][i - 1].image)(centre), d);
      change[k] += cv::mean(d)[0];
    }
  for (size_t i = 1; i < outs[0].size(); ++i) differs += MaxDiff(*outs[0][i].image, *outs[1][i].image);
  std::printf("head change per frame: off %.3f, stabilised %.3f levels\n", change[0] / 5, change[1] / 5);
  EXPECT_GT(differs, 0);
  EXPECT_LT(change[1], change[0]);
}

}  // namespace
}  // namespace smile::engine

namespace smile::engine {
namespace {

// An identity model with the iris class (smile fit --iris): the swap finds the driver's irises and
// paints them inside the eyes of the mask it renders; a 19-class model's masks never get one.
TEST(SessionMedia, IrisModelRendersTheDriversIrises) {
  SKIP_WITHOUT_CLIPS();
  if (auto m = IrisModel::Load(); !m.ok()) GTEST_SKIP() << "iris model not fetched (scripts/fetch_models.sh)";
  for (bool with_iris : {true, false}) {
    auto cfg = models::ModelConfig::Preset("tiny");
    ASSERT_TRUE(cfg.ok());
    if (with_iris) cfg->num_classes = kNumLabelsWithIris;
    torch::manual_seed(1);
    models::IdentityModel model(*cfg);
    model->style.copy_(torch::randn_like(model->style));
    model->eval();
    SessionOptions o;
    o.progress = false;
    o.max_frames = 6;
    auto s = Session::Create(std::move(model), o, AnalyzerOptions{});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ((*s)->iris(), with_iris);
    auto src = capture::OpenSource(Clip("d3"));  // d3 looks around
    ASSERT_TRUE(src.ok());
    KeepSink sink;
    int rendered = 0, with_disc = 0;
    std::vector<double> iris_x;
    SessionReport r = (*s)->RunSwap(**src, sink, [&](SessionItem& item) {
      if (!item.render) return Status::Ok();
      ++rendered;
      const cv::Mat iris = item.labels == kIris, eyes = (item.labels == kLEye) | (item.labels == kREye) | iris;
      const int n = cv::countNonZero(iris);
      if (n > 0) {
        ++with_disc;
        EXPECT_LT(n, cv::countNonZero(eyes)) << "the iris is a part of the eye, not all of it";
        EXPECT_TRUE(item.iris.valid);
      }
      return Status::Ok();
    });
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    ASSERT_GT(rendered, 3);
    if (with_iris) {
      EXPECT_EQ(with_disc, rendered) << "every rendered frame of an open-eyed driver gets irises";
    } else {
      EXPECT_EQ(with_disc, 0);
    }
  }
}

}  // namespace
}  // namespace smile::engine
