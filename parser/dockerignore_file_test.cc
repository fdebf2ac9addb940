#include "parser/dockerignore_file.h"

#include <gtest/gtest.h>

namespace mybuild::parser {
namespace {

TEST(DockerignoreFile, CleanPathLikeGo) {
  EXPECT_EQ(clean_path(""), ".");
  EXPECT_EQ(clean_path("a//b/../c/"), "a/c");
  EXPECT_EQ(clean_path("./a/./b"), "a/b");
  EXPECT_EQ(clean_path("../../a/.."), "../..");
  EXPECT_EQ(clean_path("/../a"), "/a");
  EXPECT_EQ(clean_path("/"), "/");
  EXPECT_EQ(clean_path("a/.."), ".");
  EXPECT_EQ(clean_path("**/"), "**");
}

TEST(DockerignoreFile, Lines) {
  const std::string text =
      "\xEF\xBB\xBF# bom then comment\n"
      "  # not a comment after spaces\n"
      "\t/abs/path/ \n"
      "!  keep//me\r\n"
      "!\n"
      "\n"
      "last";
  const std::vector<std::string> expected = {"# not a comment after spaces", "abs/path", "!keep/me",
                                             "!", "last"};
  EXPECT_EQ(read_dockerignore(text), expected);
}

TEST(DockerignoreFile, GarbageNeverThrows) {
  const std::string garbage("\0\xff\n!\xfe/..\n\x80", 9);
  EXPECT_NO_THROW(read_dockerignore(garbage));
  EXPECT_TRUE(read_dockerignore("").empty());
}

}  // namespace
}  // namespace mybuild::parser
