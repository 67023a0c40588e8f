// Bad input tried systematically against the smile binary (SMILE_BIN): one test
// per case. Inputs are made here with the project's own sink / OpenCV / by hand
// (no external tools), so these run without the shared media. Each case either
// works (and the output is checked) or fails with a one-line error, a non-zero
// exit code and nothing left under the output name.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "capture/media_info.h"
#include "capture/sink.h"
#include "capture/source.h"
#include "cli_util.h"

namespace {

using namespace smile_cli;
using smile::Frame;

cv::Mat Gradient(int w, int h, int i) {
  cv::Mat m(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      m.at<cv::Vec3b>(y, x) = cv::Vec3b((x * 255 / std::max(1, w - 1) + i * 9) & 255, (y * 255 / std::max(1, h - 1)) & 255,
                                        (i * 40) & 255);
  return m;
}

// Writes a video with the project's sink; pts in microseconds (default 25 fps).
void MakeVideo(const std::string& path, int n, int w, int h, std::vector<int64_t> pts = {}, double fps = 25) {
  smile::capture::SinkOptions o;
  o.fps = fps;
  o.preset = "ultrafast";
  auto sink = smile::capture::OpenSink(path, o);
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  for (int i = 0; i < n; ++i) {
    const int64_t t = pts.empty() ? static_cast<int64_t>(i * 1e6 / fps) : pts[i];
    ASSERT_TRUE((*sink)->Write(Frame::FromMat(Gradient(w, h, i), t, i)).ok());
  }
  ASSERT_TRUE((*sink)->Close().ok());
}

std::string ReadBytes(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
void WriteBytes(const std::string& p, const std::string& b) { std::ofstream(p, std::ios::binary) << b; }

size_t Lines(const std::string& s) { return std::count(s.begin(), s.end(), '\n'); }

// A failing run: non-zero exit, "error:" on one line naming `mention`, no output left.
void ExpectCleanFailure(const CmdRun& r, const std::string& out, const std::string& mention, int code = -1) {
  EXPECT_NE(r.code, 0) << r.out;
  if (code >= 0) EXPECT_EQ(r.code, code) << r.out;
  EXPECT_NE(r.out.find("error: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(mention), std::string::npos) << r.out;
  EXPECT_EQ(Lines(r.out), 1u) << "expected one line:\n" << r.out;
  if (!out.empty()) EXPECT_FALSE(fs::exists(out)) << out;
}

// Video frames / size / tags of an output, read back with libavformat.
smile::capture::MediaInfo Probe(const std::string& p) {
  auto info = smile::capture::ProbeMedia(p, /*count_packets=*/true);
  EXPECT_TRUE(info.ok()) << info.status().ToString();
  return info.ok() ? *info : smile::capture::MediaInfo{};
}
int64_t Frames(const smile::capture::MediaInfo& m) { return m.video() ? m.video()->frame_count : -1; }

// ---------------------------------------------------------------- media files

TEST(BadInput, ZeroByteVideo) {
  TempDir t;
  WriteBytes(t / "zero.mp4", "");
  ExpectCleanFailure(Smile({"--quiet", "copy", t / "zero.mp4", t / "o.mp4"}), t / "o.mp4", "zero.mp4");
  ExpectCleanFailure(Smile({"probe", t / "zero.mp4"}), "", "zero.mp4");
}

TEST(BadInput, ZeroByteImage) {
  TempDir t;
  WriteBytes(t / "zero.png", "");
  ExpectCleanFailure(Smile({"--quiet", "copy", t / "zero.png", t / "o.mp4"}), t / "o.mp4", "zero.png");
}

TEST(BadInput, TruncatedMidFrameMp4KeepsWhatDecodes) {
  TempDir t;
  MakeVideo(t / "full.mp4", 30, 160, 120);
  const std::string b = ReadBytes(t / "full.mp4");
  WriteBytes(t / "cut.mp4", b.substr(0, b.size() * 6 / 10));  // index first (faststart): the cut is inside mdat
  CmdRun r = Smile({"--quiet", "copy", t / "cut.mp4", t / "o.mp4"});
  if (r.code == 0) {
    const int64_t n = Frames(Probe(t / "o.mp4"));
    EXPECT_GT(n, 0);
    EXPECT_LE(n, 30);
  } else {
    ExpectCleanFailure(r, t / "o.mp4", "cut.mp4");
  }
}

TEST(BadInput, TruncatedMidFrameMkvKeepsWhatDecodes) {
  TempDir t;
  MakeVideo(t / "full.mkv", 30, 160, 120);
  const std::string b = ReadBytes(t / "full.mkv");
  WriteBytes(t / "cut.mkv", b.substr(0, b.size() / 2));
  CmdRun r = Smile({"--quiet", "copy", t / "cut.mkv", t / "o.mp4"});
  ASSERT_EQ(r.code, 0) << r.out;
  const int64_t n = Frames(Probe(t / "o.mp4"));
  EXPECT_GT(n, 3);
  EXPECT_LT(n, 30);
}

TEST(BadInput, VideoWithImageExtension) {
  TempDir t;
  MakeVideo(t / "v.mp4", 5, 64, 48);
  fs::rename(t / "v.mp4", t / "video.png");
  CmdRun r = Smile({"--quiet", "copy", t / "video.png", t / "o.mp4"});
  ASSERT_EQ(r.code, 0) << r.out;  // OpenCV cannot decode it, so it is read as the video it is
  EXPECT_NE(r.out.find("not an image"), std::string::npos) << r.out;
  EXPECT_EQ(Frames(Probe(t / "o.mp4")), 5);
}

TEST(BadInput, ImageWithVideoExtension) {
  TempDir t;
  cv::imwrite(t / "img.png", Gradient(64, 48, 0));
  fs::rename(t / "img.png", t / "photo.mp4");
  CmdRun r = Smile({"--quiet", "copy", t / "photo.mp4", t / "o.mp4"});
  if (r.code == 0) {
    EXPECT_EQ(Frames(Probe(t / "o.mp4")), 1);
  } else {
    ExpectCleanFailure(r, t / "o.mp4", "photo.mp4");
  }
}

TEST(BadInput, TextFileWithVideoExtension) {
  TempDir t;
  WriteBytes(t / "notes.mkv", "just some text, not a video\n");
  ExpectCleanFailure(Smile({"--quiet", "copy", t / "notes.mkv", t / "o.mp4"}), t / "o.mp4", "notes.mkv");
}

TEST(BadInput, UnsupportedVideoCodec) {
  TempDir t;
  MakeVideo(t / "v.mkv", 5, 64, 48);
  std::string b = ReadBytes(t / "v.mkv");
  const size_t at = b.find("V_MPEG4/ISO/AVC");
  ASSERT_NE(at, std::string::npos);
  b.replace(at, 15, "V_SMILE/UNKNOWN");  // same length: a codec no decoder knows
  WriteBytes(t / "odd.mkv", b);
  CmdRun r = Smile({"--quiet", "copy", t / "odd.mkv", t / "o.mp4"});
  ExpectCleanFailure(r, t / "o.mp4", "odd.mkv");
}

TEST(BadInput, OneFrameVideo) {
  TempDir t;
  MakeVideo(t / "one.mp4", 1, 96, 64);
  CmdRun r = Smile({"--quiet", "copy", t / "one.mp4", t / "o.mp4"});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(Frames(Probe(t / "o.mp4")), 1);
}

TEST(BadInput, VariableFrameRateKeepsEveryFrameAndTiming) {
  TempDir t;
  const std::vector<int64_t> pts = {0, 40000, 50000, 200000, 210000, 600000, 633000, 1000000};
  MakeVideo(t / "vfr.mkv", static_cast<int>(pts.size()), 96, 64, pts);
  CmdRun r = Smile({"--quiet", "copy", t / "vfr.mkv", t / "o.mkv"});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(Frames(Probe(t / "o.mkv")), static_cast<int64_t>(pts.size()));
  auto src = smile::capture::OpenSource(t / "o.mkv");
  ASSERT_TRUE(src.ok());
  for (int64_t want : pts) {
    auto f = (*src)->Read();
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    EXPECT_NEAR(f->pts_us, want, 1001) << "frame " << f->sequence;
  }
}

TEST(BadInputSlow, Frame4KVideo) {
  TempDir t;
  MakeVideo(t / "uhd.mp4", 2, 3840, 2160);
  CmdRun r = Smile({"--quiet", "copy", t / "uhd.mp4", t / "o.mp4", "--preset", "ultrafast"});
  ASSERT_EQ(r.code, 0) << r.out;
  auto m = Probe(t / "o.mp4");
  ASSERT_TRUE(m.video());
  EXPECT_EQ(m.video()->width, 3840);
  EXPECT_EQ(m.video()->height, 2160);
  EXPECT_EQ(m.video()->frame_count, 2);
}

TEST(BadInputSlow, Frame8KImage) {
  TempDir t;
  cv::Mat big;
  cv::resize(Gradient(64, 36, 3), big, cv::Size(7680, 4320), 0, 0, cv::INTER_NEAREST);
  ASSERT_TRUE(cv::imwrite(t / "8k.png", big, {cv::IMWRITE_PNG_COMPRESSION, 1}));
  CmdRun r = Smile({"--quiet", "copy", t / "8k.png", t / "o.mp4", "--preset", "ultrafast"});
  ASSERT_EQ(r.code, 0) << r.out;
  auto m = Probe(t / "o.mp4");
  ASSERT_TRUE(m.video());
  EXPECT_EQ(m.video()->width, 7680);
  EXPECT_EQ(m.video()->height, 4320);
}

TEST(BadInput, OddSize641x479) {
  TempDir t;
  ASSERT_TRUE(cv::imwrite(t / "odd.png", Gradient(641, 479, 0)));
  // To PNG: the size is kept exactly.
  CmdRun png = Smile({"--quiet", "copy", t / "odd.png", t / "frames/"});
  ASSERT_EQ(png.code, 0) << png.out;
  cv::Mat back = cv::imread(t / "frames/000000.png");
  EXPECT_EQ(back.size(), cv::Size(641, 479));
  // To H.264 (4:2:0 needs even sizes): padded to 642x480, never refused.
  CmdRun mp4 = Smile({"--quiet", "copy", t / "odd.png", t / "o.mp4"});
  ASSERT_EQ(mp4.code, 0) << mp4.out;
  auto m = Probe(t / "o.mp4");
  ASSERT_TRUE(m.video());
  EXPECT_EQ(m.video()->width, 642);
  EXPECT_EQ(m.video()->height, 480);
}

TEST(BadInput, OddSizeVideo641x479) {
  TempDir t;
  MakeVideo(t / "odd.mkv", 3, 641, 479);
  CmdRun r = Smile({"--quiet", "copy", t / "odd.mkv", t / "o.mp4"});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(Frames(Probe(t / "o.mp4")), 3);
}

TEST(BadInput, GrayscaleImages) {
  TempDir t;
  cv::Mat gray;
  cv::cvtColor(Gradient(80, 60, 0), gray, cv::COLOR_BGR2GRAY);
  ASSERT_TRUE(cv::imwrite(t / "g.png", gray));
  ASSERT_TRUE(cv::imwrite(t / "g.jpg", gray));
  for (const char* name : {"g.png", "g.jpg"}) {
    CmdRun r = Smile({"--quiet", "copy", t / name, t / (std::string(name) + "_out/")});
    ASSERT_EQ(r.code, 0) << name << ": " << r.out;
    cv::Mat back = cv::imread(t / (std::string(name) + "_out/000000.png"), cv::IMREAD_UNCHANGED);
    ASSERT_FALSE(back.empty());
    EXPECT_EQ(back.channels(), 3);
    EXPECT_LT(cv::norm(back.reshape(1, 0).col(0), cv::NORM_INF), 256);
  }
}

TEST(BadInput, CmykJpeg) {
  TempDir t;
  // 64x48 Adobe CMYK JPEG (written with libjpeg): left half cyan ink, right half no ink.
  const std::string in = std::string(SMILE_SOURCE_DIR) + "/tests/apps/data/cmyk_64x48.jpg";
  ASSERT_TRUE(fs::exists(in));
  CmdRun r = Smile({"--quiet", "copy", in, t / "out/"});
  ASSERT_EQ(r.code, 0) << r.out;
  cv::Mat back = cv::imread(t / "out/000000.png");
  ASSERT_EQ(back.size(), cv::Size(64, 48));
  const cv::Vec3b left = back.at<cv::Vec3b>(24, 8), right = back.at<cv::Vec3b>(24, 56);
  EXPECT_GT(right[0], 200);  // white
  EXPECT_GT(right[2], 200);
  EXPECT_GT(left[0], 150) << "cyan: blue high";  // BGR
  EXPECT_LT(left[2], 100) << "cyan: red low";
}

TEST(BadInput, SixteenBitPng) {
  TempDir t;
  cv::Mat img16;
  Gradient(64, 48, 1).convertTo(img16, CV_16UC3, 257.0);
  ASSERT_TRUE(cv::imwrite(t / "deep.png", img16));
  ASSERT_EQ(cv::imread(t / "deep.png", cv::IMREAD_UNCHANGED).depth(), CV_16U);
  CmdRun r = Smile({"--quiet", "copy", t / "deep.png", t / "out/"});
  ASSERT_EQ(r.code, 0) << r.out;
  cv::Mat back = cv::imread(t / "out/000000.png", cv::IMREAD_UNCHANGED);
  ASSERT_EQ(back.depth(), CV_8U);
  EXPECT_LE(cv::norm(back, Gradient(64, 48, 1), cv::NORM_INF), 1);
}

TEST(BadInput, ExifRotatedPhotoIsShownUpright) {
  TempDir t;
  std::vector<uchar> jpg;
  cv::imencode(".jpg", Gradient(64, 32, 0), jpg);
  const uchar tiff[] = {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0};
  std::vector<uchar> seg = {0xFF, 0xE1, 0, static_cast<uchar>(6 + sizeof(tiff) + 2), 'E', 'x', 'i', 'f', 0, 0};
  seg.insert(seg.end(), std::begin(tiff), std::end(tiff));
  jpg.insert(jpg.begin() + 2, seg.begin(), seg.end());
  WriteBytes(t / "rot.jpg", std::string(jpg.begin(), jpg.end()));
  CmdRun r = Smile({"--quiet", "copy", t / "rot.jpg", t / "out/"});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(cv::imread(t / "out/000000.png").size(), cv::Size(32, 64));  // 64x32 stored, rotated 90°
}

TEST(BadInput, VideoWithoutAudio) {
  TempDir t;
  MakeVideo(t / "silent.mp4", 4, 64, 48);
  CmdRun r = Smile({"--quiet", "copy", t / "silent.mp4", t / "o.mp4"});
  ASSERT_EQ(r.code, 0) << r.out;
  auto m = Probe(t / "o.mp4");
  EXPECT_EQ(Frames(m), 4);
  EXPECT_EQ(m.audio(), nullptr);
}

// A 0.5 s mono 16-bit PCM WAV written by hand.
void WriteWav(const std::string& path) {
  const uint32_t rate = 16000, n = rate / 2;
  std::string b = "RIFF____WAVEfmt ";
  auto u32 = [&](uint32_t v) { b.append(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&](uint16_t v) { b.append(reinterpret_cast<const char*>(&v), 2); };
  u32(16), u16(1), u16(1), u32(rate), u32(rate * 2), u16(2), u16(16);
  b += "data";
  u32(n * 2);
  for (uint32_t i = 0; i < n; ++i) u16(static_cast<uint16_t>(static_cast<int16_t>(8000 * std::sin(i * 0.2))));
  const uint32_t riff = static_cast<uint32_t>(b.size() - 8);
  std::memcpy(&b[4], &riff, 4);
  WriteBytes(path, b);
}

TEST(BadInput, AudioOnlyFile) {
  TempDir t;
  WriteWav(t / "voice.wav");
  // probe describes the audio stream, then says why smile cannot use the file (exit 1).
  CmdRun probe = Smile({"probe", t / "voice.wav"});
  EXPECT_EQ(probe.code, 1) << probe.out;
  EXPECT_NE(probe.out.find("audio pcm_s16le, 16000 Hz"), std::string::npos) << probe.out;
  EXPECT_NE(probe.out.find("no video stream"), std::string::npos) << probe.out;
  CmdRun r = Smile({"--quiet", "copy", t / "voice.wav", t / "o.mp4"});
  ExpectCleanFailure(r, t / "o.mp4", "voice.wav");
  EXPECT_NE(r.out.find("video"), std::string::npos) << r.out;
}

TEST(BadInput, VeryLongFileNames) {
  TempDir t;
  const std::string stem(245, 'L');  // NAME_MAX is 255 on Linux: "o" + stem + ".mp4" is 250 bytes
  MakeVideo(t / (stem + ".mp4"), 3, 64, 48);
  CmdRun r = Smile({"--quiet", "copy", t / (stem + ".mp4"), t / ("o" + stem + ".mp4")});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(Frames(Probe(t / ("o" + stem + ".mp4"))), 3);
  EXPECT_EQ(std::distance(fs::directory_iterator(t / ""), fs::directory_iterator()), 2) << "no temporary file left";
  CmdRun pngs = Smile({"--quiet", "copy", t / (stem + ".mp4"), t / (stem + "/%05d.png")});
  ASSERT_EQ(pngs.code, 0) << pngs.out;
  EXPECT_TRUE(fs::exists(t / (stem + "/00002.png")));
  // A name over NAME_MAX: a clear one-line error, not a crash.
  const std::string too_long(300, 'x');
  ExpectCleanFailure(Smile({"--quiet", "copy", t / (stem + ".mp4"), t / (too_long + ".mp4")}), "", "xxxx");
}

TEST(BadInput, NonAsciiPaths) {
  TempDir t;
  fs::create_directories(t / "vidéos 日本語");
  const std::string in = t / "vidéos 日本語/clip ñ 😀.mp4";
  MakeVideo(in, 3, 64, 48);
  CmdRun r = Smile({"--quiet", "copy", in, t / "sortie é/résultat ü.mkv"});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(Frames(Probe(t / "sortie é/résultat ü.mkv")), 3);
  cv::imwrite(t / "vidéos 日本語/фото.png", Gradient(32, 32, 0));
  CmdRun img = Smile({"--quiet", "copy", t / "vidéos 日本語/фото.png", t / "кадры/"});
  ASSERT_EQ(img.code, 0) << img.out;
  EXPECT_TRUE(fs::exists(t / "кадры/000000.png"));
}

// ------------------------------------------------------------------- outputs

TEST(BadInput, OutputsCarryTheProvenanceTag) {
  TempDir t;
  MakeVideo(t / "in.mp4", 2, 64, 48);
  CmdRun r = Smile({"--quiet", "copy", t / "in.mp4", t / "copy.mp4"});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(Probe(t / "copy.mp4").tags["synthetic"], "false") << "a plain copy is not synthetic";
  CmdRun probe = Smile({"probe", t / "copy.mp4"});
  EXPECT_NE(probe.out.find("synthetic: false"), std::string::npos) << probe.out;
}

}  // namespace
