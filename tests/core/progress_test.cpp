#include "core/progress.h"

#include <gtest/gtest.h>

namespace smile {
namespace {

TEST(ProgressBar, RendersPercentRateAndEta) {
  ProgressBar bar("copy", 200);
  std::string line = bar.Render(50, 2.0, "x", 20);
  EXPECT_NE(line.find("[#####...............]"), std::string::npos) << line;
  EXPECT_NE(line.find(" 25%"), std::string::npos) << line;
  EXPECT_NE(line.find("50/200 frames"), std::string::npos) << line;
  EXPECT_NE(line.find("25.0 fps"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA 0:06"), std::string::npos) << line;
  EXPECT_NE(line.find("  x"), std::string::npos) << line;
}

TEST(ProgressBar, UnknownTotalShowsElapsed) {
  ProgressBar bar("train", 0, "it");
  std::string line = bar.Render(30, 10.0, "");
  EXPECT_NE(line.find("30 it  3.0 it/s  elapsed 0:10"), std::string::npos) << line;
}

// A resumed job (smile fit --resume at iteration 1196): the rate and the ETA count only this run's work.
TEST(ProgressBar, ResumedJobCountsOnlyThisRunsRate) {
  ProgressBar bar("fit", 2000, "it");
  bar.ResumeFrom(1200);
  std::string line = bar.Render(1230, 10.0, "");
  EXPECT_NE(line.find("1230/2000 it  3.0 it/s"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA 4:17"), std::string::npos) << line;  // 770 left at 3 it/s
  ProgressBar open("fit", 0, "it");
  open.ResumeFrom(1196);
  line = open.Render(1243, 30.0, "");
  EXPECT_NE(line.find("1243 it  1.6 it/s"), std::string::npos) << line;  // not 41.4
}

TEST(ProgressBar, FormatsDurations) {
  EXPECT_EQ(ProgressBar::FormatDuration(5), "0:05");
  EXPECT_EQ(ProgressBar::FormatDuration(3725), "1:02:05");
  EXPECT_EQ(ProgressBar::FormatDuration(-1), "--:--");
}

TEST(ProgressBar, QuietOrNonTtyDisablesDrawing) {
  ProgressBar::SetQuiet(true);
  ProgressBar bar("x", 10);
  EXPECT_FALSE(bar.enabled());
  bar.Update(5);  // must not draw or crash
  ProgressBar::SetQuiet(false);
}

}  // namespace
}  // namespace smile
