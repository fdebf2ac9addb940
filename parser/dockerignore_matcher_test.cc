#include "parser/dockerignore_matcher.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace mybuild::parser {
namespace {

TEST(DockerignoreMatcher, ExceptionsInOrderLastMatchWins) {
  const DockerignoreMatcher m({"*.md", "!README.md", "docs", "!docs/keep/**"});
  EXPECT_TRUE(m.excluded("CHANGES.md"));
  EXPECT_FALSE(m.excluded("README.md"));
  EXPECT_TRUE(m.excluded("docs"));
  EXPECT_TRUE(m.excluded("docs/a.txt"));
  EXPECT_FALSE(m.excluded("docs/keep/a.txt"));
  EXPECT_FALSE(m.excluded("src/main.cc"));
  EXPECT_TRUE(m.has_exceptions());
}

TEST(DockerignoreMatcher, ParentDirectoryExcludesChildren) {
  const DockerignoreMatcher m({"node_modules"});
  EXPECT_TRUE(m.excluded("node_modules/a/b/c.js"));
  EXPECT_FALSE(m.excluded("src/node_modules_x"));
  EXPECT_FALSE(m.excluded("."));
}

TEST(DockerignoreMatcher, CanSkipDirOnlyWhenNoExceptionReachesInside) {
  const DockerignoreMatcher plain({"build", "*.o"});
  EXPECT_TRUE(plain.can_skip_dir("build"));
  EXPECT_FALSE(plain.can_skip_dir("src"));  // not excluded at all

  const DockerignoreMatcher reinclude({"docs", "!docs/README.md", "vendor"});
  EXPECT_FALSE(reinclude.can_skip_dir("docs"));  // docs/README.md comes back
  EXPECT_TRUE(reinclude.can_skip_dir("vendor"));

  const DockerignoreMatcher deep({"**", "!src/*/keep.txt"});
  EXPECT_FALSE(deep.can_skip_dir("src"));
  EXPECT_FALSE(deep.can_skip_dir("src/a"));
  EXPECT_TRUE(deep.can_skip_dir("other"));    // `src` cannot match `other`
  EXPECT_TRUE(deep.can_skip_dir("src/a/b"));  // keep.txt is one level up

  const DockerignoreMatcher anywhere({"**", "!**/keep.txt"});
  EXPECT_FALSE(anywhere.can_skip_dir("x/y/z"));
}

TEST(DockerignoreMatcher, MalformedPatternsThrow) {
  EXPECT_THROW(DockerignoreMatcher({"!"}), common::Error);
  EXPECT_THROW(DockerignoreMatcher({"a["}), common::Error);
  EXPECT_THROW(DockerignoreMatcher({"a\\"}), common::Error);
  try {
    DockerignoreMatcher({"[a-b-c]"});
    FAIL() << "no error";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kDockerfile);
    EXPECT_NE(e.message().find("[a-b-c]"), std::string::npos) << e.message();
  }
}

TEST(DockerignoreMatcher, FromFile) {
  const auto m = DockerignoreMatcher::from_file("# comment\n/tmp/\n!tmp/keep\n\n*.log\r\n");
  ASSERT_EQ(m.patterns().size(), 3u);
  EXPECT_TRUE(m.excluded("tmp/x"));
  EXPECT_FALSE(m.excluded("tmp/keep"));
  EXPECT_TRUE(m.excluded("a.log"));
}

TEST(DockerignoreMatcher, HostileInputDoesNotHang) {
  // Many stars against a long path: the NFA is linear, a backtracking matcher would not be.
  const DockerignoreMatcher m({std::string(200, '*') + "b"});
  EXPECT_FALSE(m.excluded(std::string(5000, 'a')));
  const DockerignoreMatcher invalid({"\xff\xfe*", std::string("a\0b", 3)});
  EXPECT_TRUE(invalid.excluded("\xff\xfexyz"));
  EXPECT_TRUE(invalid.excluded(std::string("a\0b", 3)));
}

// Regression (fuzz timeout): many general patterns against a path with hundreds of parents used
// to cost one NFA run per pattern per parent; parents are now prefixes checked in one pass.
TEST(DockerignoreMatcher, DeepPathWithManyPatternsIsLinearPerPattern) {
  std::vector<std::string> patterns;
  for (int i = 0; i < 300; ++i) patterns.push_back("*/q" + std::to_string(i) + "*");
  const DockerignoreMatcher m(patterns);
  std::string deep = "a";
  for (int i = 0; i < 1500; ++i) deep += "/b";
  EXPECT_FALSE(m.excluded(deep));
  EXPECT_TRUE(m.excluded("a/q7x/" + deep));  // a parent matches
}

}  // namespace
}  // namespace mybuild::parser
