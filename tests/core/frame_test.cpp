#include "core/frame.h"

#include <gtest/gtest.h>

namespace smile {
namespace {

TEST(Frame, SharesPixelsAndCopiesMetadataOnWrite) {
  Frame f = Frame::FromMat(cv::Mat(4, 6, CV_8UC3, cv::Scalar(1, 2, 3)), 40000, 1);
  EXPECT_EQ(f.width(), 6);
  EXPECT_EQ(f.height(), 4);
  EXPECT_FALSE(f.empty());
  Frame g = f.WithMetadata("face", "found");
  EXPECT_EQ(g.image.get(), f.image.get()) << "pixels are shared, not copied";
  EXPECT_EQ(g.Meta("face"), "found");
  EXPECT_EQ(f.Meta("face"), "") << "the original frame is unchanged";
  EXPECT_GT(f.capture_us, 0);
  EXPECT_TRUE(Frame().empty());
}

}  // namespace
}  // namespace smile
