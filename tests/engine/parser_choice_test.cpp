#include "engine/parser_choice.h"

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "engine/face_analyzer.h"
#include "models/identity_model.h"
#include "tests/temp_path.h"

namespace smile::engine {
namespace {

// Points the TFJS model lookup at an empty folder for one test.
class NoModels {
 public:
  NoModels() {
    const char* old = std::getenv("SMILE_MODELS_DIR");
    had_ = old != nullptr;
    if (had_) old_ = old;
    dir_ = smile::testing::UniqueTempPath("smile_parser_choice_no_models");
    std::filesystem::create_directories(dir_);
    setenv("SMILE_MODELS_DIR", dir_.c_str(), 1);
  }
  ~NoModels() {
    if (had_) setenv("SMILE_MODELS_DIR", old_.c_str(), 1);
    else unsetenv("SMILE_MODELS_DIR");
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

 private:
  bool had_ = false;
  std::string old_;
  std::filesystem::path dir_;
};

TEST(ParserChoice, NamesAreCheckedWithTheList) {
  EXPECT_TRUE(CheckParserName("geometric").ok());
  EXPECT_TRUE(CheckParserName("mesh").ok());
  EXPECT_TRUE(CheckParserName("auto").ok());
  auto bad = CheckParserName("bisenet");
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("geometric, mesh, auto, learned or the path"), std::string::npos) << bad.message();
  EXPECT_TRUE(CheckParserName("learned").ok());
  EXPECT_TRUE(CheckParserName("runs/p/parser.ckpt").ok());
  EXPECT_EQ(ResolveParser("nope", true).status().code(), StatusCode::kInvalidArgument);
}

TEST(ParserChoice, WithoutModelsAutoAndFallbackGiveGeometricAndMeshSaysHowToFetch) {
  NoModels guard;
  EXPECT_EQ(ResolveParser("geometric", false).value(), "geometric");
  EXPECT_EQ(ResolveParser("auto", false).value(), "geometric");
  EXPECT_EQ(ResolveParser("mesh", true).value(), "geometric");  // a job still runs
  auto strict = ResolveParser("mesh", false);
  ASSERT_FALSE(strict.ok());
  EXPECT_EQ(strict.status().code(), StatusCode::kNotFound);
  EXPECT_NE(strict.status().message().find("fetch_models.sh"), std::string::npos) << strict.status().message();
  // an analyzer asked for mesh reports the same instead of parsing without it
  AnalyzerOptions o;
  o.parser = "mesh";
  EXPECT_EQ(FaceAnalyzer::Create(o).status().code(), StatusCode::kNotFound);
  o.parser = "";
  EXPECT_TRUE(FaceAnalyzer::Create(o).ok());  // empty = geometric outside a session
}

TEST(ParserChoice, WithModelsAutoIsMesh) {
  auto mesh = ResolveParser("mesh", false);
  if (!mesh.ok()) GTEST_SKIP() << "TFJS models not fetched (bash scripts/fetch_models.sh): " << mesh.status().message();
  EXPECT_EQ(ResolveParser("auto", false).value(), "mesh");
  auto opts = ParserOptionsFor("mesh");
  ASSERT_TRUE(opts.ok());
  EXPECT_NE(opts->parts, nullptr);
  EXPECT_NE(opts->person, nullptr);
  EXPECT_EQ(ParserOptionsFor("geometric")->parts, nullptr);
}

TEST(ParserChoice, IdentityModelsRecordTheirParser) {
  auto cfg = models::ModelConfig::Preset("tiny").value();
  models::IdentityModel model(cfg);
  model->parser = "mesh";
  const auto path = smile::testing::UniqueTempPath("smile_parser_choice_identity", ".smile").string();
  ASSERT_TRUE(models::SaveIdentityModel(path, model, {{"sources", "x.mp4"}}).ok());
  std::map<std::string, std::string> meta;
  auto back = models::LoadIdentityModel(path, &meta);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ((*back)->parser, "mesh");
  EXPECT_EQ(meta["parser"], "mesh");
  EXPECT_EQ(meta["sources"], "x.mp4");
  std::filesystem::remove(path);
  EXPECT_EQ(ParserOfMetadata(""), "geometric");  // models fitted before the field existed
}

}  // namespace
}  // namespace smile::engine
