#include "parser/dockerignore_pattern.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace mybuild::parser {
namespace {

bool match(const char* pattern, const char* path) {
  return DockerignorePattern(pattern, false).matches(path);
}

TEST(DockerignorePattern, Globs) {
  EXPECT_TRUE(match("*.go", "main.go"));
  EXPECT_FALSE(match("*.go", "cmd/main.go"));  // `*` stops at `/`
  EXPECT_TRUE(match("a?c", "abc"));
  EXPECT_TRUE(match("a?c",
                    "a\xe2\x98\xba"
                    "c"));  // one code point
  EXPECT_FALSE(match("a?c", "a/c"));
  EXPECT_TRUE(match("[a-c]x", "bx"));
  EXPECT_TRUE(match("[^a-c]x", "dx"));
  EXPECT_TRUE(match("a\\*b", "a*b"));
  EXPECT_FALSE(match("a\\*b", "axb"));
}

TEST(DockerignorePattern, DoubleStar) {
  EXPECT_TRUE(match("**/x", "x"));
  EXPECT_TRUE(match("**/x", "a/b/x"));
  EXPECT_TRUE(match("a/**/x", "a/x"));
  EXPECT_TRUE(match("a/**/x", "a/b/c/x"));
  EXPECT_FALSE(match("a/**", "a"));
  EXPECT_TRUE(match("a/**", "a/b/c"));
  // patternmatcher's suffix fast path compares text, so `**file` matches `xfile` too.
  EXPECT_TRUE(match("**file", "dir/xfile"));
}

TEST(DockerignorePattern, RegexpCharactersAreLiteral) {
  EXPECT_TRUE(match("a.b", "a.b"));
  EXPECT_FALSE(match("a.b*", "axb"));
  EXPECT_TRUE(match("(x)+$*", "(x)+$yz"));
}

TEST(DockerignorePattern, ReversedRangeFailsOnUse) {
  DockerignorePattern p("[z-a]", false);  // accepted when built, like patternmatcher
  EXPECT_THROW(p.matches("b"), common::Error);
}

TEST(DockerignorePattern, MayMatchBelow) {
  EXPECT_TRUE(DockerignorePattern("a/b/c", true).may_match_below("a"));
  EXPECT_TRUE(DockerignorePattern("a/b/c", true).may_match_below("a/b"));
  EXPECT_FALSE(DockerignorePattern("a/b/c", true).may_match_below("a/b/c"));
  EXPECT_FALSE(DockerignorePattern("a/b/c", true).may_match_below("x"));
  EXPECT_TRUE(DockerignorePattern("*/b", true).may_match_below("zz"));
  EXPECT_TRUE(DockerignorePattern("**/b", true).may_match_below("q/r/s"));
}

}  // namespace
}  // namespace mybuild::parser
