#include "models/tfjs_graph.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
// scripts/device/gpu_check.sh builds this file where only LibTorch exists (no OpenCV): the
// TensorFlow.js comparison needs OpenCV, the GPU test does not.
#if __has_include(<opencv2/imgcodecs.hpp>)
#define SMILE_TEST_HAS_OPENCV 1
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#endif

namespace smile::models {
namespace {

namespace fs = std::filesystem;

fs::path TempDir(const std::string& tag) {
  fs::path d = fs::temp_directory_path() / ("smile_tfjs_" + tag + "_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

void WriteFile(const fs::path& p, const std::string& s) {
  std::ofstream f(p, std::ios::binary);
  f << s;
}

uint16_t ToHalf(float v) { return torch::tensor({v}).to(torch::kHalf).view(torch::kShort).item<int16_t>(); }

// A tiny hand-written graph: Conv2D 2x2 (float16 weights, SAME, stride 1) -> AddV2 with a
// uint8-quantised constant -> MaxPool 2x2 stride 2 SAME -> sink.
// With a 3x3 input, TF pads SAME only at the bottom/right.
std::string TinyModel(const fs::path& dir, const std::string& extra_op = "") {
  std::string nodes =
      R"({"name":"x","op":"Placeholder","attr":{"dtype":{"type":"DT_FLOAT"},"shape":{"shape":{"dim":[{"size":"1"},{"size":"3"},{"size":"3"},{"size":"1"}]}}}},)"
      R"({"name":"w","op":"Const","attr":{"dtype":{"type":"DT_FLOAT"}}},)"
      R"({"name":"b","op":"Const","attr":{"dtype":{"type":"DT_FLOAT"}}},)"
      R"({"name":"conv","op":"Conv2D","input":["x","w"],"attr":{"padding":{"s":"U0FNRQ=="},"strides":{"list":{"i":["1","1","1","1"]}},"data_format":{"s":"TkhXQw=="}}},)"
      R"({"name":"add","op":"AddV2","input":["conv","b"]},)"
      R"({"name":"pool","op":"MaxPool","input":["add"],"attr":{"padding":{"s":"U0FNRQ=="},"ksize":{"list":{"i":["1","2","2","1"]}},"strides":{"list":{"i":["1","2","2","1"]}}}})";
  if (!extra_op.empty()) nodes += R"(,{"name":"odd","op":")" + extra_op + R"(","input":["pool"]})";
  const std::string json =
      R"({"format":"graph-model","modelTopology":{"node":[)" + nodes +
      R"(]},"weightsManifest":[{"paths":["tiny.bin"],"weights":[)"
      R"({"name":"w","shape":[2,2,1,1],"dtype":"float32","quantization":{"dtype":"float16","original_dtype":"float32"}},)"
      R"({"name":"b","shape":[1],"dtype":"float32","quantization":{"dtype":"uint8","scale":0.25,"min":-1.0,"original_dtype":"float32"}}]}]})";
  WriteFile(dir / "tiny.json", json);
  std::string bin;
  for (float v : {1.f, 2.f, 3.f, 4.f}) {  // w[kh][kw]
    const uint16_t h = ToHalf(v);
    bin.append(reinterpret_cast<const char*>(&h), 2);
  }
  bin.push_back(static_cast<char>(6));  // b = 6 * 0.25 - 1 = 0.5
  WriteFile(dir / "tiny.bin", bin);
  return (dir / "tiny.json").string();
}

TEST(TfjsGraph, RunsAHandWrittenGraphWithTfPaddingAndQuantisedWeights) {
  const fs::path dir = TempDir("tiny");
  auto g = TfjsGraph::Load(TinyModel(dir));
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->name(), "tiny");
  EXPECT_EQ(g->output_names(), std::vector<std::string>{"pool"});
  EXPECT_EQ(g->num_weights(), 5);
  const torch::Tensor x = -torch::arange(1, 10, torch::kFloat).reshape({1, 3, 3, 1});  // -1..-9
  auto out = g->Run(x);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  // conv[i][j] = sum over (di,dj) of w[di][dj] * x[i+di][j+dj], zeros beyond the bottom/right edge.
  float conv[3][3];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      float s = 0;
      for (int di = 0; di < 2; ++di)
        for (int dj = 0; dj < 2; ++dj)
          if (i + di < 3 && j + dj < 3) s += (1 + 2 * di + dj) * -(1 + 3 * (i + di) + (j + dj));
      conv[i][j] = s + 0.5f;
    }
  // MaxPool SAME on 3x3 -> 2x2; the padded cells never win (-inf), even though every value is negative.
  const torch::Tensor y = (*out)[0];
  ASSERT_EQ(y.sizes(), torch::IntArrayRef({1, 2, 2, 1}));
  EXPECT_FLOAT_EQ(y[0][0][0][0].item<float>(), std::max({conv[0][0], conv[0][1], conv[1][0], conv[1][1]}));
  EXPECT_FLOAT_EQ(y[0][0][1][0].item<float>(), std::max(conv[0][2], conv[1][2]));
  EXPECT_FLOAT_EQ(y[0][1][0][0].item<float>(), std::max(conv[2][0], conv[2][1]));
  EXPECT_FLOAT_EQ(y[0][1][1][0].item<float>(), conv[2][2]);
  // Intermediate nodes by name.
  auto mid = g->Run({{"x", x}}, {"conv:0"});
  ASSERT_TRUE(mid.ok()) << mid.status().ToString();
  EXPECT_FLOAT_EQ((*mid)[0][0][2][2][0].item<float>(), conv[2][2] - 0.5f);
  fs::remove_all(dir);
}

TEST(TfjsGraph, NamesTheUnknownOpAndTheModel) {
  const fs::path dir = TempDir("odd");
  auto g = TfjsGraph::Load(TinyModel(dir, "FancyNewOp"));
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("FancyNewOp"), std::string::npos) << g.status().ToString();
  EXPECT_NE(g.status().message().find("tiny"), std::string::npos) << g.status().ToString();
  auto missing = TfjsGraph::Load((dir / "nothing.json").string());
  EXPECT_FALSE(missing.ok());
  auto found = FindTfjsModel("facemesh", (dir / "empty").string());
  ASSERT_FALSE(found.ok());
  EXPECT_NE(found.status().message().find("scripts/fetch_models.sh"), std::string::npos);
  fs::remove_all(dir);
}

struct ModelCase {
  const char* name;
  int h, w;
};
const ModelCase kModels[] = {{"blazeface", 256, 256}, {"blazeface-front", 128, 128}, {"facemesh", 192, 192}, {"iris", 64, 64},
                             {"selfie", 256, 256},    {"meet", 144, 256},     {"mobilefacenet", 112, 112},
                             {"faceres", 224, 224}};

// ---------------------------------------------------------------- on CUDA (skipped without a GPU)
// Every pretrained graph gives the same outputs on the GPU as on the CPU (cuDNN's TF32 convs
// round to ~1e-3).
TEST(TfjsGraphGpu, EveryModelMatchesCpuOnCuda) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA GPU here (this LibTorch build or machine has none)";
  int tested = 0;
  for (const auto& m : kModels) {
    auto path = FindTfjsModel(m.name, "");
    if (!path.ok()) {
      std::printf("%s: not found, skipped (%s)\n", m.name, path.status().message().c_str());
      continue;
    }
    auto cpu = TfjsGraph::Load(*path, torch::kCPU);
    auto gpu = TfjsGraph::Load(*path, torch::kCUDA);
    ASSERT_TRUE(cpu.ok() && gpu.ok()) << m.name;
    EXPECT_TRUE(gpu->device().is_cuda());
    torch::manual_seed(2);
    auto x = torch::rand({1, m.h, m.w, 3});
    auto a = cpu->Run(x);
    auto b = gpu->Run(x.to(torch::kCUDA));
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    ASSERT_EQ(a->size(), b->size());
    for (size_t i = 0; i < a->size(); ++i) {
      auto ra = (*a)[i].to(torch::kFloat32), rb = (*b)[i].cpu().to(torch::kFloat32);
      ASSERT_EQ(ra.sizes(), rb.sizes()) << m.name << " output " << i;
      const double err = ((rb - ra).norm() / ra.norm().clamp_min(1e-6)).item<double>();
      std::printf("%s output %zu: relative difference CUDA vs CPU %.2e\n", m.name, i, err);
      EXPECT_LT(err, 2e-2) << m.name << " output " << i;  // H200: 8e-5 .. 8.4e-3 (faceres)
    }
    ++tested;
  }
  if (tested == 0) GTEST_SKIP() << "no pretrained models found; fetch them with scripts/fetch_models.sh";
}

#ifdef SMILE_TEST_HAS_OPENCV
// ---------------------------------------------------------------- against TensorFlow.js
const char* kPhotos[] = {"faces/lp_s0.jpg", "celebamask/0.jpg"};
constexpr int kNumPhotos = 2;

// Photo -> centre square crop -> model size, RGB in [0, 1], NHWC.
torch::Tensor PhotoInput(const cv::Mat& bgr, int h, int w) {
  const int side = std::min(bgr.cols, bgr.rows);
  cv::Mat sq = bgr(cv::Rect((bgr.cols - side) / 2, (bgr.rows - side) / 2, side, side)), rgb, f;
  cv::resize(sq, rgb, cv::Size(w, h), 0, 0, cv::INTER_AREA);
  cv::cvtColor(rgb, rgb, cv::COLOR_BGR2RGB);
  rgb.convertTo(f, CV_32FC3, 1.0 / 255);
  return torch::from_blob(f.data, {1, h, w, 3}, torch::kFloat).clone();
}

std::string Shell(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[512];
  while (fgets(buf, sizeof buf, p)) out += buf;
  if (pclose(p) != 0) return "";
  return out;
}

TEST(TfjsGraphMedia, MatchesTensorFlowJsOnRealPhotos) {
  if (!fs::exists(std::string(SMILE_MEDIA_DIR) + "/faces")) GTEST_SKIP() << "no shared media at " << SMILE_MEDIA_DIR;
  for (const auto& m : kModels)
    if (auto p = FindTfjsModel(m.name); !p.ok()) GTEST_SKIP() << p.status().ToString();
  if (Shell("command -v node").empty()) GTEST_SKIP() << "node is missing (sudo apt-get install nodejs npm)";
  std::string tfjs_dir = Shell("bash " SMILE_SOURCE_DIR "/tests/tfjs/install.sh 2>/dev/null");
  while (!tfjs_dir.empty() && std::isspace(static_cast<unsigned char>(tfjs_dir.back()))) tfjs_dir.pop_back();
  if (tfjs_dir.empty()) GTEST_SKIP() << "could not install @tensorflow/tfjs with npm (tests/tfjs/install.sh)";

  torch::set_num_threads(std::getenv("SMILE_THREADS") ? std::atoi(std::getenv("SMILE_THREADS")) : 2);
  const fs::path dir = TempDir("ref");
  std::ofstream job(dir / "job.txt");
  std::map<std::string, torch::Tensor> inputs;
  for (const auto& m : kModels)
    for (int k = 0; k < kNumPhotos; ++k) {
      const cv::Mat img = cv::imread(std::string(SMILE_MEDIA_DIR) + "/" + kPhotos[k]);
      ASSERT_FALSE(img.empty()) << kPhotos[k];
      const torch::Tensor x = PhotoInput(img, m.h, m.w);
      const std::string tag = std::string(m.name) + "_" + std::to_string(k);
      WriteFile(dir / (tag + ".in"), std::string(static_cast<const char*>(x.data_ptr()), x.numel() * sizeof(float)));
      job << *FindTfjsModel(m.name) << " " << (dir / (tag + ".in")).string() << " 1," << m.h << "," << m.w << ",3 "
          << (dir / tag).string() << "\n";
      inputs[tag] = x;
    }
  job.close();
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = std::system(("NODE_PATH='" + tfjs_dir + "/node_modules' node " SMILE_SOURCE_DIR
                              "/tests/tfjs/reference.js '" + (dir / "job.txt").string() + "' 2>" +
                              (dir / "node.log").string())
                                 .c_str());
  ASSERT_EQ(rc, 0) << "node reference failed, see " << (dir / "node.log").string();
  std::printf("tfjs reference: %.1f s for %zu runs\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), inputs.size());

  for (const auto& m : kModels) {
    auto g = TfjsGraph::Load(*FindTfjsModel(m.name));
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    double worst = 0, scale = 0;
    for (int k = 0; k < kNumPhotos; ++k) {
      const std::string tag = std::string(m.name) + "_" + std::to_string(k);
      std::ifstream man(dir / (tag + ".txt"));
      ASSERT_TRUE(man) << "no tfjs output for " << tag;
      std::string node, dims, file;
      std::vector<std::string> names;
      std::vector<torch::Tensor> refs;
      while (man >> node >> dims >> file) {
        std::vector<int64_t> shape;
        std::stringstream ds(dims);
        for (std::string d; std::getline(ds, d, ',');) shape.push_back(std::stoll(d));
        std::ifstream f(file, std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        const std::string raw = ss.str();
        torch::Tensor r = torch::from_blob(const_cast<char*>(raw.data()), {int64_t(raw.size() / 4)}, torch::kFloat).clone();
        names.push_back(node);
        refs.push_back(r.reshape(shape));
      }
      ASSERT_FALSE(names.empty());
      auto out = g->Run({{g->input_names()[0], inputs[tag]}}, names);
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      for (size_t o = 0; o < names.size(); ++o) {
        const torch::Tensor c = (*out)[o].to(torch::kCPU).contiguous();
        ASSERT_EQ(c.sizes(), refs[o].sizes()) << m.name << " " << names[o];
        const double err = (c - refs[o]).abs().max().item<double>();
        worst = std::max(worst, err);
        scale = std::max(scale, refs[o].abs().max().item<double>());
        EXPECT_LE(err, 1e-3) << m.name << " output " << names[o] << " photo " << kPhotos[k];
      }
    }
    // Speed of one call (2 threads), after a warm-up.
    const torch::Tensor x = inputs[std::string(m.name) + "_0"];
    ASSERT_TRUE(g->Run(x).ok());
    // Wall time and process CPU time (the latter is less distorted on a shared, loaded machine).
    const int reps = 5;
    const auto s0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    for (int r = 0; r < reps; ++r) ASSERT_TRUE(g->Run(x).ok());
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s0).count() / reps;
    const double cpu_ms = 1000.0 * double(std::clock() - c0) / CLOCKS_PER_SEC / reps;
    std::string ops;
    for (const auto& o : g->ops()) ops += o + " ";
    std::printf("%-14s %dx%d  max |C++ - tfjs| %.2e (outputs up to %.3g)  %.2f ms/call (cpu %.2f ms, %d threads)  ops: %s\n",
                m.name, m.h, m.w, worst, scale, ms, cpu_ms, torch::get_num_threads(), ops.c_str());
  }
  fs::remove_all(dir);
}

#endif  // SMILE_TEST_HAS_OPENCV

}  // namespace
}  // namespace smile::models
