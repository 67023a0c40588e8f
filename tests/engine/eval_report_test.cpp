// JSON, records and the self-contained HTML report (engine/eval_json.h, engine/eval_report.h).
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "engine/eval_json.h"
#include <opencv2/imgproc.hpp>

#include "engine/eval_report.h"

namespace smile::engine {
namespace {

TEST(EvalJson, RoundTrip) {
  Json j = Json::Object();
  j.set("name", "a \"quoted\"\nline\t\\");
  j.set("n", 3.25);
  j.set("big", int64_t(1) << 40);
  j.set("inf", INFINITY);
  j.set("flag", true);
  j.set("list", Json(std::vector<double>{1, 2.5, NAN}));
  Json nested = Json::Array();
  nested.push_back(Json::Object()).set("k", "v");
  nested.push_back(Json());
  j.set("nested", nested);
  j.set("n", 4.5);  // replaces in place
  for (int indent : {-1, 2}) {
    auto back = Json::Parse(j.Dump(indent));
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(back->get("name").str(), "a \"quoted\"\nline\t\\");
    EXPECT_EQ(back->get("n").number(), 4.5);
    EXPECT_EQ(back->get("big").number(), double(int64_t(1) << 40));
    EXPECT_TRUE(back->get("inf").is_null());
    EXPECT_TRUE(back->get("flag").boolean());
    auto list = back->get("list").numbers();
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[1], 2.5);
    EXPECT_TRUE(std::isnan(list[2]));
    EXPECT_EQ(back->get("nested")[0].get("k").str(), "v");
    EXPECT_EQ(back->members().front().first, "name");  // key order kept
    EXPECT_EQ(back->Dump(indent), j.Dump(indent));
  }
  EXPECT_EQ(Json::Parse(R"({"u": "\u00e9"})")->get("u").str(), "\xc3\xa9");
}

TEST(EvalJson, ErrorsSayWhere) {
  for (const char* bad : {"{", "[1,]", "{\"a\" 1}", "tru", "[1] x", "\"open"}) {
    auto r = Json::Parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("offset"), std::string::npos);
  }
}

TEST(EvalReport, Base64KnownVectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("M"), "TQ==");
  EXPECT_EQ(Base64Encode("Ma"), "TWE=");
  EXPECT_EQ(Base64Encode("Man"), "TWFu");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
}

EvalRecord SampleRecord(const std::string& title, double psnr) {
  EvalRecord r;
  r.kind = "fit";
  r.title = title;
  r.info.set("video", "clip.mp4");
  r.AddMetric("crop_fixed_psnr", "PSNR, crop", psnr, "dB", true);
  r.AddMetric("perfect", "PSNR, identical", INFINITY, "dB");
  r.AddMetric("missing", "not measured", NAN);
  r.tables.push_back({"errors", {"style", "PSNR"}, {{"fixed", "24.00"}, {"own <b>", "26.10"}}});
  r.series.push_back({"PSNR per frame", "frame", "dB", {{"fixed", {0, 1, 2, 3}, {23, 24, NAN, 25}}}});
  cv::Mat img(40, 60, CV_8UC3, cv::Scalar(10, 200, 30));
  r.images.push_back(MakeEvalImage("frames", img));
  r.notes.push_back("a note");
  return r;
}

TEST(EvalReport, RecordJsonRoundTrip) {
  EvalRecord r = SampleRecord("run", 24.5);
  auto back = EvalRecord::FromJson(*Json::Parse(r.ToJson().Dump()));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->title, "run");
  ASSERT_EQ(back->metrics.size(), 3u);
  EXPECT_EQ(back->metrics[0].value, 24.5);
  EXPECT_TRUE(back->metrics[0].bar);
  EXPECT_TRUE(std::isinf(back->metrics[1].value));
  EXPECT_TRUE(std::isnan(back->metrics[2].value));
  EXPECT_EQ(back->tables[0].rows[1][0], "own <b>");
  EXPECT_EQ(back->series[0].lines[0].y.size(), 4u);
  EXPECT_EQ(back->images[0].png_base64, r.images[0].png_base64);
  EXPECT_EQ(back->info.get("video").str(), "clip.mp4");
  EXPECT_FALSE(EvalRecord::FromJson(*Json::Parse("{\"a\": 1}")).ok());
}

TEST(EvalReport, HtmlIsSelfContainedWithFigures) {
  std::vector<EvalRecord> records = {SampleRecord("first run", 24.0), SampleRecord("second run", 26.5)};
  ReportOptions o;
  o.extra_images.push_back(MakeEvalImage("loss curves", cv::Mat(30, 30, CV_8UC3, cv::Scalar::all(255))));
  const std::string path =
      (std::filesystem::temp_directory_path() / ("smile_report_" + std::to_string(::getpid()) + ".html")).string();
  ASSERT_TRUE(WriteHtmlReport(path, records, o).ok());
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string html = ss.str();
  std::filesystem::remove(path);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  // Every src= is an inline PNG.
  std::regex src("src=\"([^\"]{0,30})");
  int images = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), src); it != std::sregex_iterator(); ++it, ++images)
    EXPECT_EQ((*it)[1].str().rfind("data:image/png;base64,", 0), 0u) << (*it)[1].str();
  // 1 bar chart (the one bar metric) + 2 x (1 series plot + 1 frame image) + 1 extra image.
  EXPECT_EQ(images, 6);
  EXPECT_NE(html.find("<style>"), std::string::npos);
  EXPECT_NE(html.find("first run"), std::string::npos);
  EXPECT_NE(html.find("own &lt;b&gt;"), std::string::npos);  // escaped
  EXPECT_NE(html.find("loss curves"), std::string::npos);
  EXPECT_NE(html.find("inf"), std::string::npos);
  EXPECT_FALSE(WriteHtmlReport("/nonexistent/dir/r.html", records).ok());
}

TEST(EvalReport, MarkdownSummaryOneTablePerKind) {
  EvalRecord v;
  v.kind = "video";
  v.title = "a | b";
  v.AddMetric("flicker", "flicker", 1.23456, "0-255", true);
  v.AddMetric("hidden", "not a key metric", 7);
  std::vector<EvalRecord> records = {SampleRecord("first", 24.0), v, SampleRecord("second", NAN)};
  records[2].metrics.erase(records[2].metrics.begin());  // a run without the column
  const std::string md = MarkdownSummary(records, 2);
  EXPECT_EQ(md,
            "| fit run | PSNR, crop (dB) |\n| --- | --- |\n| first | 24.00 |\n| second | - |\n\n"
            "| video run | flicker (0-255) |\n| --- | --- |\n| a   b | 1.23 |\n\n");
}

TEST(EvalReport, PlotsDrawSomething) {
  LinePlot p{"t", "x", "y", {{"a", {0, 1, 2}, {1, 3, 2}}, {"b", {0, 1, 2}, {2, NAN, 1}}}};
  cv::Mat img = DrawLinePlot(p, 400, 200);
  ASSERT_EQ(img.size(), cv::Size(400, 200));
  cv::Mat gray;
  cv::cvtColor(img, gray, cv::COLOR_BGR2GRAY);
  EXPECT_GT(cv::countNonZero(gray < 200), 200);  // axes, text and lines
  cv::Mat bars = DrawBarChart("PSNR", {"a", "b"}, {24, NAN}, "dB", 300, 200);
  EXPECT_EQ(bars.size(), cv::Size(300, 200));
  auto ticks = PlotTicks(0.3, 9.7, 5);
  ASSERT_GE(ticks.size(), 3u);
  EXPECT_LE(ticks.front(), 2.0);
  EXPECT_GE(ticks.back(), 8.0);
  EXPECT_TRUE(DrawLinePlot({"empty", "", "", {}}).data != nullptr);
}

}  // namespace
}  // namespace smile::engine
