#include "parser/dump.h"

#include <gtest/gtest.h>

namespace mybuild::parser {
namespace {

TEST(GoQuote, EscapesLikeGo) {
  EXPECT_EQ(go_quote("plain"), "\"plain\"");
  EXPECT_EQ(go_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(go_quote("\a\b\f\n\r\t\v"), "\"\\a\\b\\f\\n\\r\\t\\v\"");
  EXPECT_EQ(go_quote(std::string("\0\x1f\x7f", 3)), "\"\\x00\\x1f\\x7f\"");
  EXPECT_EQ(go_quote("\xe2\x99\xa5"), "\"\xe2\x99\xa5\"");     // ♥ stays
  EXPECT_EQ(go_quote("\xff\xc3"), "\"\\xff\\xc3\"");           // invalid UTF-8 bytes
  EXPECT_EQ(go_quote("\xc2\xa0"), "\"\\u00a0\"");              // NBSP is not printable
  EXPECT_EQ(go_quote("\xed\xa0\x80"), "\"\\xed\\xa0\\x80\"");  // a surrogate is invalid
  EXPECT_EQ(go_quote("'$`/<"), "\"'$`/<\"");
}

TEST(Dump, NodeWithFlagsNestedAndArgs) {
  Node inner;
  inner.keyword = "copy";
  inner.flags = {"--chown=1:1"};
  inner.args = {".", "/src"};
  Node outer;
  outer.keyword = "onbuild";
  outer.next.push_back(inner);
  Node bare;
  bare.keyword = "cmd";
  EXPECT_EQ(dump({outer, bare}), "(onbuild (copy [\"--chown=1:1\"] \".\" \"/src\"))\n(cmd)\n");
}

}  // namespace
}  // namespace mybuild::parser
