#include "training/train_progress.h"

#include <gtest/gtest.h>

namespace smile::training {
namespace {

TEST(TrainingProgress, ShowsIterationLossesRateAndEta) {
  TrainingProgress p("train", 1000, 0);
  std::string line = p.Render(100, 20.0, {{"g_adv", 1.23456}, {"d_adv", 0.5}});
  EXPECT_NE(line.find("100/1000 it"), std::string::npos) << line;
  EXPECT_NE(line.find("5.0 it/s"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA 3:00"), std::string::npos) << line;
  EXPECT_NE(line.find("iter 100  d_adv 0.5 g_adv 1.235"), std::string::npos) << line;
}

TEST(TrainingProgress, ResumedRunsCountFromTheResumedIteration) {
  TrainingProgress p("train", 1000, 600);
  std::string line = p.Render(700, 10.0, {});
  EXPECT_NE(line.find("100/400 it"), std::string::npos) << line;
  EXPECT_NE(line.find("10.0 it/s"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA 0:30"), std::string::npos) << line;
  EXPECT_NE(line.find("iter 700"), std::string::npos) << line;
  p.Update(701, {{"x", 1}});  // no terminal in tests: must not crash
  p.Finish();
}

TEST(TrainingProgress, FormatsLosses) {
  EXPECT_EQ(FormatLosses({}), "");
  EXPECT_EQ(FormatLosses({{"b", 2e-5}, {"a", 123456.0}}), "a 1.235e+05 b 2e-05");
}

}  // namespace
}  // namespace smile::training
