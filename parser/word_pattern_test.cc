#include "parser/word_pattern.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace mybuild::parser {
namespace {

TEST(WordPattern, PrefixShortestAndLongest) {
  EXPECT_EQ(remove_prefix_pattern("a/b/c", "*/", false), "b/c");
  EXPECT_EQ(remove_prefix_pattern("a/b/c", "*/", true), "c");
  EXPECT_EQ(remove_prefix_pattern("abc", "x*", true), "abc");
}

TEST(WordPattern, SuffixShortestAndLongest) {
  EXPECT_EQ(remove_suffix_pattern("file.tar.gz", ".*", false), "file.tar");
  EXPECT_EQ(remove_suffix_pattern("file.tar.gz", ".*", true), "file");
  EXPECT_EQ(remove_suffix_pattern("한국어", "?", false), "한국");
}

TEST(WordPattern, StarsDoNotCrossNewlines) {
  // BuildKit uses Go regexps, whose `.` excludes `\n`.
  EXPECT_EQ(remove_prefix_pattern("a\nb", "*b", false), "a\nb");
  EXPECT_EQ(remove_prefix_pattern("a\nb", "a?b", false), "a\nb");
}

TEST(WordPattern, Replace) {
  EXPECT_EQ(replace_pattern("aXbXc", "X", "-", false), "a-bXc");
  EXPECT_EQ(replace_pattern("aXbXc", "X", "-", true), "a-b-c");
  EXPECT_EQ(replace_pattern("abc", "", "-", true), "-a-b-c-");  // as regexp.ReplaceAllString
  EXPECT_EQ(replace_pattern("abc", "b", "[$0]", true), "a[b]c");
  EXPECT_EQ(replace_pattern("abc", "b", "[$0]", false), "a[$0]c");  // first match: literal
  EXPECT_EQ(replace_pattern("abc", "b", "$$", true), "a$c");
}

TEST(WordPattern, InvalidEscape) {
  EXPECT_THROW(remove_prefix_pattern("x", "\\a", false), common::Error);
  EXPECT_THROW(remove_prefix_pattern("x", "a\\", false), common::Error);
}

TEST(WordPattern, ManyStarsStayFast) {
  // Memoised search: would be exponential as plain backtracking.
  const std::string value(1000, 'a');
  const std::string pattern = std::string(100, '*') + "b";
  EXPECT_EQ(remove_prefix_pattern(value, pattern, true), value);
  EXPECT_EQ(replace_pattern(value, pattern, "", true), value);
}

}  // namespace
}  // namespace mybuild::parser
