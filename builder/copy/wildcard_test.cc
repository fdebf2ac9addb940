#include "builder/copy/wildcard.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace mybuild::builder {
namespace {

// Cases from Go's path/filepath match_test.go semantics (written here, not copied).
TEST(WildcardMatch, GoFilepathMatchSemantics) {
  EXPECT_TRUE(wildcard_match("abc", "abc"));
  EXPECT_TRUE(wildcard_match("*", "abc"));
  EXPECT_TRUE(wildcard_match("*c", "abc"));
  EXPECT_FALSE(wildcard_match("a*", "ab/c"));  // '*' never crosses '/'
  EXPECT_TRUE(wildcard_match("a*/b", "abc/b"));
  EXPECT_FALSE(wildcard_match("a*/b", "a/c/b"));
  EXPECT_TRUE(wildcard_match("a*b*c*d*e*/f", "axbxcxdxe/f"));
  EXPECT_FALSE(wildcard_match("a*b*c*d*e*/f", "axbxcxdxexxx/fff"));
  EXPECT_TRUE(wildcard_match("a?c", "abc"));
  EXPECT_FALSE(wildcard_match("a?c", "a/c"));
  EXPECT_TRUE(wildcard_match("[a-c]x", "bx"));
  EXPECT_FALSE(wildcard_match("[^a-c]x", "bx"));
  EXPECT_TRUE(wildcard_match("[^a-c]x", "dx"));
  EXPECT_TRUE(wildcard_match("a\\*b", "a*b"));
  EXPECT_FALSE(wildcard_match("a\\*b", "axb"));
  EXPECT_TRUE(wildcard_match("[\\]]", "]"));
  EXPECT_TRUE(wildcard_match("[x\\-]", "-"));
  EXPECT_TRUE(wildcard_match("*.txt", ".hidden.txt"));  // no dotfile rule in Go
  EXPECT_TRUE(wildcard_match("?", "\xc3\xa9"));         // one code point, two bytes
  EXPECT_FALSE(wildcard_match("??", "\xc3\xa9"));
}

TEST(WildcardMatch, MalformedPatternsFailWhateverTheName) {
  for (const char* bad : {"[", "[]", "[^]", "a[", "\\", "[a-]", "[z-a]", "[\\"}) {
    try {
      wildcard_match(bad, "zzz");
      ADD_FAILURE() << bad << " was accepted";
    } catch (const common::Error& e) {
      EXPECT_EQ(e.kind(), common::ErrorKind::kDockerfile);
      EXPECT_NE(e.message().find("syntax error in pattern"), std::string::npos);
    }
  }
}

TEST(WildcardMatch, DetectsUnescapedWildcardsOnly) {
  EXPECT_TRUE(has_wildcards("src/*.c"));
  EXPECT_TRUE(has_wildcards("a?"));
  EXPECT_TRUE(has_wildcards("[ab]"));
  EXPECT_FALSE(has_wildcards("a\\*b"));
  EXPECT_FALSE(has_wildcards("plain/path"));
  EXPECT_EQ(unescape_wildcards("a\\*b"), "a*b");
}

}  // namespace
}  // namespace mybuild::builder
