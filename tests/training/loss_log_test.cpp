#include "training/loss_log.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "tests/training/test_util.h"

namespace smile::training {
namespace {

using testing::TempDir;

TEST(LossLog, WritesOneJsonLinePerIterationAndReadsBack) {
  TempDir dir;
  std::string path = (dir.path() / "losses.jsonl").string();
  {
    auto log = LossLog::Open(path);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    for (int i = 1; i <= 5; ++i) ASSERT_TRUE((*log)->Add(i, {{"d_adv", 1.0 / i}, {"g_adv", 2.0 * i}}).ok());
    EXPECT_EQ((*log)->lines_written(), 5);
  }
  std::ifstream in(path);
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first.rfind("{\"iter\":1,\"time\":", 0), 0u) << first;
  EXPECT_NE(first.find("\"losses\":{\"d_adv\":1,\"g_adv\":2}"), std::string::npos) << first;
  auto records = ReadLossLog(path);
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  ASSERT_EQ(records->size(), 5u);
  EXPECT_EQ((*records)[4].iteration, 5);
  EXPECT_NEAR((*records)[4].losses.at("d_adv"), 0.2, 1e-9);
  EXPECT_NEAR((*records)[4].losses.at("g_adv"), 10.0, 1e-9);
  EXPECT_GT((*records)[0].time, 1.6e9);
  EXPECT_GE((*records)[4].elapsed, (*records)[0].elapsed);
}

TEST(LossLog, EveryNWritesTheWindowMean) {
  TempDir dir;
  std::string path = (dir.path() / "l.jsonl").string();
  {
    auto log = LossLog::Open(path, 4);
    ASSERT_TRUE(log.ok());
    for (int i = 1; i <= 10; ++i) ASSERT_TRUE((*log)->Add(i, {{"x", static_cast<double>(i)}}).ok());
  }  // the partial window (9, 10) is flushed on close
  auto r = ReadLossLog(path);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].iteration, 4);
  EXPECT_DOUBLE_EQ((*r)[0].losses.at("x"), 2.5);
  EXPECT_EQ((*r)[1].iteration, 8);
  EXPECT_DOUBLE_EQ((*r)[1].losses.at("x"), 6.5);
  EXPECT_EQ((*r)[2].iteration, 10);
  EXPECT_DOUBLE_EQ((*r)[2].losses.at("x"), 9.5);
}

TEST(LossLog, ResumeDropsLinesAfterTheCheckpointAndAppends) {
  TempDir dir;
  std::string path = (dir.path() / "l.jsonl").string();
  {
    auto log = LossLog::Open(path);
    for (int i = 1; i <= 6; ++i) ASSERT_TRUE((*log)->Add(i, {{"x", 1.0 * i}}).ok());
  }
  {
    auto log = LossLog::Open(path, 1, /*resume_iteration=*/3);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    ASSERT_TRUE((*log)->Add(4, {{"x", 40.0}}).ok());
  }
  auto r = ReadLossLog(path);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[3].iteration, 4);
  EXPECT_DOUBLE_EQ((*r)[3].losses.at("x"), 40.0);
  EXPECT_GE((*r)[3].elapsed, (*r)[2].elapsed);
}

TEST(LossLog, NonFiniteValuesNamesAndTornLines) {
  LossRecord rec;
  rec.iteration = 9;
  rec.losses = {{"nan\"loss", std::nan("")}, {"r1", 0.125}};
  std::string line = FormatLossRecord(rec);
  EXPECT_NE(line.find("null"), std::string::npos) << line;
  auto back = ParseLossRecord(line);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(std::isnan(back->losses.at("nan\"loss")));
  EXPECT_DOUBLE_EQ(back->losses.at("r1"), 0.125);
  EXPECT_TRUE(ParseLossRecord("{\"iter\":3,\"extra\":[1,{\"a\":true}],\"losses\":{}}").ok());
  EXPECT_FALSE(ParseLossRecord("{\"losses\":{}}").ok());  // no iteration
  EXPECT_FALSE(ParseLossRecord("{\"iter\":3,").ok());

  TempDir dir;
  std::string path = (dir.path() / "torn.jsonl").string();
  testing::WriteBytes(path, FormatLossRecord(rec) + "\n{\"iter\":10,\"los");
  auto r = ReadLossLog(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->size(), 1u);
  testing::WriteBytes(path, "garbage\n" + FormatLossRecord(rec) + "\n");
  auto bad = ReadLossLog(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 1"), std::string::npos) << bad.status().message();
  EXPECT_FALSE(LossLog::Open((dir.path() / "no/such/dir/l.jsonl").string()).ok());
}

}  // namespace
}  // namespace smile::training
