#include "core/args.h"

#include <gtest/gtest.h>

namespace smile {
namespace {

ArgParser MakeParser() {
  ArgParser a("copy", "Copy a video.");
  a.Positional("input", "video file");
  a.Positional("output", "output file", false);
  a.Option("fps", "N", "frame rate", "25");
  a.Option("config", "NAME", "model config", "", true);
  a.MultiOption("identity", "PHOTO", "identity photo");
  a.Flag("quiet", "no progress");
  return a;
}

TEST(SplitCommas, KeepsNonEmptyItemsInOrder) {
  EXPECT_EQ(SplitCommas("small,paper128"), (std::vector<std::string>{"small", "paper128"}));
  EXPECT_EQ(SplitCommas(",a,,b,"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(SplitCommas("").empty());
}

TEST(ArgParser, ParsesOptionsFlagsAndPositionals) {
  auto a = MakeParser();
  ASSERT_TRUE(a.Parse({"in.mp4", "--fps=30", "--config", "small", "--identity", "a.jpg", "--identity", "b.jpg",
                       "out.mp4", "--quiet"})
                  .ok());
  EXPECT_EQ(a.Get("input"), "in.mp4");
  EXPECT_EQ(a.Get("output"), "out.mp4");
  EXPECT_EQ(*a.GetInt("fps", 1, 240), 30);
  EXPECT_EQ(a.GetAll("identity").size(), 2u);
  EXPECT_TRUE(a.GetFlag("quiet"));
}

TEST(ArgParser, DefaultsAndRanges) {
  auto a = MakeParser();
  ASSERT_TRUE(a.Parse({"in.mp4", "--config", "x"}).ok());
  EXPECT_EQ(*a.GetInt("fps", 1, 240), 25);
  EXPECT_TRUE(a.Has("fps"));
  EXPECT_FALSE(a.Has("output"));
  auto b = MakeParser();
  ASSERT_TRUE(b.Parse({"in.mp4", "--config", "x", "--fps", "999"}).ok());
  auto r = b.GetInt("fps", 1, 240);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("between 1 and 240"), std::string::npos);
  auto c = MakeParser();
  ASSERT_TRUE(c.Parse({"in.mp4", "--config", "x", "--fps", "abc"}).ok());
  EXPECT_FALSE(c.GetDouble("fps", 0, 1).ok());
}

TEST(ArgParser, ErrorsSayTheFix) {
  auto a = MakeParser();
  Status s = a.Parse({"in.mp4", "--config", "x", "--fsp", "3"});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("did you mean '--fps'"), std::string::npos) << s.message();
  EXPECT_EQ(s.ExitCode(), 2);
  auto b = MakeParser();
  s = b.Parse({"in.mp4"});
  EXPECT_NE(s.message().find("missing option --config"), std::string::npos) << s.message();
  auto c = MakeParser();
  s = c.Parse({"--config", "x"});
  EXPECT_NE(s.message().find("missing <input>"), std::string::npos) << s.message();
  auto d = MakeParser();
  s = d.Parse({"in.mp4", "--config"});
  EXPECT_NE(s.message().find("needs a value"), std::string::npos) << s.message();
  auto e = MakeParser();
  s = e.Parse({"in", "out", "extra", "--config", "x"});
  EXPECT_NE(s.message().find("unexpected argument 'extra'"), std::string::npos) << s.message();
}

TEST(ArgParser, DashOIsShortForOutputWhenTheCommandHasIt) {
  ArgParser a("fit", "Fit.");
  a.Option("output", "FILE", "where");
  ASSERT_TRUE(a.Parse({"-o", "x.smile"}).ok());
  EXPECT_EQ(a.Get("output"), "x.smile");
  auto b = MakeParser();  // no --output option: -o stays an ordinary (unexpected) argument
  Status s = b.Parse({"in", "out", "-o", "--config", "x"});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

TEST(ArgParser, HelpListsEverything) {
  auto a = MakeParser();
  ASSERT_TRUE(a.Parse({"--help"}).ok());
  EXPECT_TRUE(a.help_requested());
  std::string h = a.Help();
  for (const char* s : {"usage: smile copy <input> [output]", "--fps N", "(default: 25)", "(required)",
                        "(repeatable)", "Copy a video."})
    EXPECT_NE(h.find(s), std::string::npos) << s << "\n" << h;
}

TEST(ArgParser, EditDistance) {
  EXPECT_EQ(EditDistance("fps", "fsp"), 2u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  EXPECT_EQ(EditDistance("same", "same"), 0u);
}

}  // namespace
}  // namespace smile
