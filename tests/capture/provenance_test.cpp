// Provenance marks: video metadata tags read back with libavformat, PNG tEXt
// chunks and JPEG comments read back from the bytes, and the visible watermark.
#include <gtest/gtest.h>

#include <fstream>

#include <opencv2/imgcodecs.hpp>

#include "capture/media_info.h"
#include "capture/provenance.h"
#include "capture/sink.h"
#include "capture/watermark.h"
#include "capture_test_util.h"

namespace smile::capture {
namespace {

using testing::TempDir;
using testing::TestImage;

Status WriteClip(const std::string& path, const SinkOptions& opts, int n = 3, int w = 96, int h = 64) {
  SMILE_ASSIGN_OR_RETURN(auto sink, OpenSink(path, opts));
  for (int i = 0; i < n; ++i) SMILE_RETURN_IF_ERROR(sink->Write(Frame::FromMat(TestImage(w, h, i), i * 40000, i)));
  return sink->Close();
}

TEST(Provenance, TagsSayWhatAndWho) {
  auto tags = ProvenanceTags(ProvenanceMark{});
  ASSERT_GE(tags.size(), 3u);
  EXPECT_EQ(tags[0], std::make_pair(std::string("synthetic"), std::string("true")));
  EXPECT_EQ(tags[1].first, "software");
  EXPECT_EQ(tags[1].second, std::string("smile ") + SmileVersionString());
  EXPECT_NE(tags[2].second.find("AI-generated"), std::string::npos);
  EXPECT_EQ(ProvenanceTags(NotSynthetic())[0].second, "false");
  ProvenanceMark off;
  off.enabled = false;
  EXPECT_TRUE(ProvenanceTags(off).empty());
}

TEST(Provenance, Crc32MatchesKnownValue) {
  const std::string s = "123456789";  // the standard CRC-32 check value
  EXPECT_EQ(Crc32(reinterpret_cast<const unsigned char*>(s.data()), s.size()), 0xCBF43926u);
}

TEST(Provenance, Mp4MkvAndMovCarrySyntheticTag) {
  TempDir dir;
  for (const char* ext : {"mp4", "mkv", "mov"}) {
    const std::string path = dir / (std::string("out.") + ext);
    SinkOptions o;
    o.provenance.note = "test";
    ASSERT_TRUE(WriteClip(path, o).ok()) << ext;
    auto info = ProbeMedia(path);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->tags["synthetic"], "true") << ext;
    EXPECT_EQ(info->tags["software"], std::string("smile ") + SmileVersionString()) << ext;
    EXPECT_NE(info->tags["comment"].find("AI-generated"), std::string::npos) << ext;
    EXPECT_EQ(info->tags["smile_job"], "test") << ext;
    EXPECT_NE(info->ToString().find("synthetic: true"), std::string::npos);
  }
}

TEST(Provenance, PlainCopyIsTaggedNotSynthetic) {
  TempDir dir;
  SinkOptions o;
  o.provenance = NotSynthetic("copy");
  ASSERT_TRUE(WriteClip(dir / "copy.mp4", o).ok());
  auto info = ProbeMedia(dir / "copy.mp4");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->tags["synthetic"], "false");
}

TEST(Provenance, PngSequenceCarriesTextChunk) {
  TempDir dir;
  SinkOptions o;
  ASSERT_TRUE(WriteClip(dir / "seq/%03d.png", o, 2).ok());
  for (const char* name : {"seq/000.png", "seq/001.png"}) {
    auto text = ReadPngTextFile(dir / name);
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    EXPECT_EQ((*text)["synthetic"], "true");
    EXPECT_EQ((*text)["software"], std::string("smile ") + SmileVersionString());
    // Still a valid image with the right pixels.
    cv::Mat back = cv::imread(dir / name, cv::IMREAD_COLOR);
    ASSERT_FALSE(back.empty());
    EXPECT_EQ(cv::norm(back, TestImage(96, 64, name[6] - '0'), cv::NORM_INF), 0);
  }
}

TEST(Provenance, WriteImageMarksPngAndJpeg) {
  TempDir dir;
  cv::Mat img = TestImage(40, 30, 1);
  ASSERT_TRUE(WriteImage(dir / "a.png", img).ok());
  auto text = ReadPngTextFile(dir / "a.png");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ((*text)["synthetic"], "true");
  ASSERT_TRUE(WriteImage(dir / "b.jpg", img, NotSynthetic()).ok());
  auto com = ReadJpegComment(dir / "b.jpg");
  ASSERT_TRUE(com.ok());
  EXPECT_NE(com->find("synthetic=false"), std::string::npos) << *com;
  EXPECT_FALSE(cv::imread(dir / "b.jpg").empty());
  // No temporary file is left behind.
  EXPECT_EQ(dir.List(), (std::vector<std::string>{"a.png", "b.jpg"}));
}

TEST(Provenance, PngTextRejectsBadInputAndBadCrc) {
  std::vector<unsigned char> junk = {1, 2, 3};
  EXPECT_EQ(InsertPngText(junk, {{"k", "v"}}).code(), StatusCode::kCorrupt);
  std::vector<unsigned char> png;
  ASSERT_TRUE(cv::imencode(".png", TestImage(8, 8, 0), png));
  EXPECT_EQ(InsertPngText(png, {{std::string(80, 'k'), "v"}}).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(InsertPngText(png, {{"synthetic", "true"}}).ok());
  ASSERT_TRUE(ReadPngText(png).ok());
  // Flip one byte of the text: the CRC no longer matches.
  auto it = std::search(png.begin(), png.end(), std::begin("true"), std::end("true") - 1);
  ASSERT_NE(it, png.end());
  *it = 'T';
  EXPECT_EQ(ReadPngText(png).status().code(), StatusCode::kCorrupt);
}

TEST(Watermark, DrawsTranslucentLabelInCorner) {
  cv::Mat img(480, 640, CV_8UC3, cv::Scalar(200, 120, 40));
  const cv::Mat before = img.clone();
  DrawWatermark(img);
  const cv::Rect r = WatermarkRect(img.size());
  ASSERT_GT(r.area(), 0);
  EXPECT_GT(r.x, img.cols / 2);  // bottom-right by default
  EXPECT_GT(r.y, img.rows / 2);
  EXPECT_LT(r.width, img.cols / 2);
  cv::Mat diff;
  cv::absdiff(img, before, diff);
  cv::Mat outside = diff.clone();
  outside(r).setTo(0);
  EXPECT_EQ(cv::countNonZero(outside.reshape(1)), 0) << "pixels changed outside the label box";
  EXPECT_GT(cv::countNonZero(diff(r).reshape(1)), r.area());  // the box changed
  // Translucent: the picture still shows through the box (not black).
  cv::Scalar mean_box = cv::mean(img(r));
  EXPECT_GT(mean_box[0], 30);
  // Tiny and gray frames do not crash.
  cv::Mat tiny(8, 8, CV_8UC1, cv::Scalar(100));
  DrawWatermark(tiny);
  cv::Mat empty;
  DrawWatermark(empty);
}

TEST(Watermark, SinkDefaultsOnlyForStreams) {
  SinkOptions o;
  EXPECT_FALSE(WatermarkEnabled(o, SinkKind::kVideoFile));
  EXPECT_FALSE(WatermarkEnabled(o, SinkKind::kImageSequence));
  EXPECT_TRUE(WatermarkEnabled(o, SinkKind::kGStreamer));
  o.watermark = WatermarkMode::kOff;
  EXPECT_FALSE(WatermarkEnabled(o, SinkKind::kGStreamer));
  o.watermark = WatermarkMode::kOn;
  EXPECT_TRUE(WatermarkEnabled(o, SinkKind::kVideoFile));
}

TEST(Watermark, OpenSinkDrawsItWhenAsked) {
  TempDir dir;
  SinkOptions o;
  o.watermark = WatermarkMode::kOn;
  cv::Mat flat(120, 160, CV_8UC3, cv::Scalar(0, 128, 255));
  {
    auto sink = OpenSink(dir / "wm/", o);
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Write(Frame::FromMat(flat.clone(), 0, 0)).ok());
    ASSERT_TRUE((*sink)->Close().ok());
  }
  cv::Mat back = cv::imread(dir / "wm/000000.png");
  ASSERT_FALSE(back.empty());
  const cv::Rect r = WatermarkRect(back.size());
  EXPECT_GT(cv::norm(back(r), flat(r), cv::NORM_INF), 50);
  cv::Mat top = back(cv::Rect(0, 0, 160, 40));
  EXPECT_EQ(cv::norm(top, flat(cv::Rect(0, 0, 160, 40)), cv::NORM_INF), 0);
}

}  // namespace
}  // namespace smile::capture
