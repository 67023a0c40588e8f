#include "capture/source.h"

#include <gtest/gtest.h>

#include <fstream>

#include <opencv2/imgcodecs.hpp>

#include "capture/media_info.h"
#include "capture_test_util.h"

namespace smile::capture {
namespace {

using testing::TempDir;
using testing::TestImage;

TEST(ClassifySource, PicksKindFromUri) {
  TempDir dir;
  EXPECT_EQ(*ClassifySource("gst:videotestsrc"), SourceKind::kGStreamer);
  EXPECT_EQ(*ClassifySource("videotestsrc ! videoconvert"), SourceKind::kGStreamer);
  EXPECT_EQ(*ClassifySource("0"), SourceKind::kWebcam);
  EXPECT_EQ(*ClassifySource("/dev/video3"), SourceKind::kWebcam);
  EXPECT_EQ(*ClassifySource("rtsp://cam.local/stream"), SourceKind::kUrl);
  EXPECT_EQ(*ClassifySource("https://example.com/a.mp4"), SourceKind::kUrl);
  EXPECT_EQ(*ClassifySource("frames/%05d.png"), SourceKind::kImageSequence);
  EXPECT_EQ(*ClassifySource(dir.path()), SourceKind::kImageFolder);
  EXPECT_EQ(*ClassifySource("face.JPG"), SourceKind::kImage);
  EXPECT_EQ(*ClassifySource("clip.mkv"), SourceKind::kVideoFile);
  EXPECT_FALSE(ClassifySource("").ok());
}

TEST(ImageSource, FolderIsReadInNaturalOrder) {
  TempDir dir;
  // 2 < 10 in natural order; a non-image file is ignored.
  for (int i : {10, 2, 1}) cv::imwrite(dir / ("img" + std::to_string(i) + ".png"), TestImage(40, 30, i));
  std::ofstream(dir / "notes.txt") << "not an image";
  auto src = OpenSource(dir.path());
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  EXPECT_EQ((*src)->info().kind, SourceKind::kImageFolder);
  EXPECT_EQ((*src)->info().frame_count, 3);
  EXPECT_EQ((*src)->info().width, 40);
  EXPECT_EQ((*src)->info().height, 30);
  std::vector<std::string> order;
  std::vector<int64_t> pts;
  while (true) {
    auto f = (*src)->Read();
    if (f.status().code() == StatusCode::kEndOfStream) break;
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    order.push_back(f->Meta("path").substr(dir.path().size() + 1));
    pts.push_back(f->pts_us);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"img1.png", "img2.png", "img10.png"}));
  EXPECT_EQ(pts, (std::vector<int64_t>{0, 40000, 80000}));  // 25 fps default
}

TEST(ImageSource, PrintfPatternStartsAtFirstExistingIndex) {
  TempDir dir;
  for (int i = 1; i <= 4; ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "%05d.png", i);
    cv::imwrite(dir / name, TestImage(16, 16, i));
  }
  SourceOptions o;
  o.image_fps = 10;
  auto src = OpenSource(dir / "%05d.png", o);
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  EXPECT_EQ((*src)->info().kind, SourceKind::kImageSequence);
  EXPECT_EQ((*src)->info().frame_count, 4);
  EXPECT_DOUBLE_EQ((*src)->info().fps, 10.0);
  int n = 0;
  while ((*src)->Read().ok()) ++n;
  EXPECT_EQ(n, 4);
  auto none = OpenSource(dir / "missing_%03d.png");
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
}

// JPEG with an EXIF APP1 segment saying "rotate 90° clockwise" (orientation 6).
std::vector<uchar> JpegWithOrientation(const cv::Mat& img, uint16_t orientation) {
  std::vector<uchar> jpg;
  cv::imencode(".jpg", img, jpg);
  const uchar tiff[] = {'I', 'I', 42, 0, 8, 0, 0, 0,  // little-endian TIFF header, IFD at 8
                        1, 0,                          // one entry
                        0x12, 0x01, 3, 0, 1, 0, 0, 0,  // tag 0x0112 SHORT count 1
                        static_cast<uchar>(orientation), 0, 0, 0,
                        0, 0, 0, 0};                   // no next IFD
  std::vector<uchar> app1 = {'E', 'x', 'i', 'f', 0, 0};
  app1.insert(app1.end(), std::begin(tiff), std::end(tiff));
  const size_t len = app1.size() + 2;
  std::vector<uchar> seg = {0xFF, 0xE1, static_cast<uchar>(len >> 8), static_cast<uchar>(len & 255)};
  seg.insert(seg.end(), app1.begin(), app1.end());
  jpg.insert(jpg.begin() + 2, seg.begin(), seg.end());  // right after SOI
  return jpg;
}

TEST(ImageSource, SingleImageHonoursExifOrientation) {
  TempDir dir;
  auto jpg = JpegWithOrientation(TestImage(64, 32, 1), 6);
  std::ofstream(dir / "rotated.jpg", std::ios::binary).write(reinterpret_cast<const char*>(jpg.data()), jpg.size());
  auto src = OpenSource(dir / "rotated.jpg");
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  EXPECT_EQ((*src)->info().kind, SourceKind::kImage);
  EXPECT_EQ((*src)->info().frame_count, 1);
  auto f = (*src)->Read();
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->width(), 32);  // 64x32 stored, shown upright as 32x64
  EXPECT_EQ(f->height(), 64);
  EXPECT_EQ((*src)->Read().status().code(), StatusCode::kEndOfStream);
}

TEST(ImageSource, UndecodableImageIsCorrupt) {
  TempDir dir;
  std::ofstream(dir / "bad.png") << "this is text";
  auto src = OpenSource(dir / "bad.png");
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(src.status().message().find("bad.png"), std::string::npos);
}

TEST(WebcamSource, MissingCameraFailsClearly) {
  auto src = OpenSource("/dev/video97");
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().code(), StatusCode::kNotFound);
  EXPECT_NE(src.status().message().find("/dev/video97"), std::string::npos);
  EXPECT_NE(src.status().message().find("webcam"), std::string::npos);
}

TEST(GstSource, VideoTestSrcGivesFramesThenEnds) {
  if (!OpenCvHasGStreamer()) GTEST_SKIP() << "OpenCV without GStreamer";
  auto src = OpenSource("gst:videotestsrc num-buffers=12 ! video/x-raw,width=96,height=64,framerate=30/1");
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  EXPECT_TRUE((*src)->info().is_live);
  EXPECT_EQ((*src)->info().width, 96);
  EXPECT_EQ((*src)->info().height, 64);
  int n = 0;
  int64_t last = -1;
  while (true) {
    auto f = (*src)->Read();
    if (!f.ok()) {
      EXPECT_EQ(f.status().code(), StatusCode::kEndOfStream);
      break;
    }
    EXPECT_EQ(f->sequence, n);
    EXPECT_GT(f->pts_us, last);
    last = f->pts_us;
    ++n;
  }
  EXPECT_EQ(n, 12);
  EXPECT_NEAR(last, 11 * 1e6 / 30, 2);  // timed at the nominal rate, not by arrival
}

TEST(GstSource, BadPipelineFailsClearly) {
  if (!OpenCvHasGStreamer()) GTEST_SKIP() << "OpenCV without GStreamer";
  auto src = OpenSource("gst:nosuchelement ! videoconvert");
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(src.status().message().find("nosuchelement"), std::string::npos);
  EXPECT_NE(src.status().message().find("gst-launch-1.0"), std::string::npos);
}

TEST(FfmpegSource, BadFilesFailWithClearMessages) {
  TempDir dir;
  auto missing = OpenSource(dir / "missing.mp4");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("missing.mp4"), std::string::npos);
  std::ofstream(dir / "empty.mp4");
  auto empty = OpenSource(dir / "empty.mp4");
  EXPECT_EQ(empty.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(empty.status().message().find("0 bytes"), std::string::npos);
  std::ofstream(dir / "text.mp4") << "just some text, not a video\n";
  auto text = OpenSource(dir / "text.mp4");
  EXPECT_EQ(text.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(text.status().message().find("text.mp4"), std::string::npos);
}

}  // namespace
}  // namespace smile::capture
