#include "parser/word_utf8.h"

#include <gtest/gtest.h>

namespace mybuild::parser {
namespace {

TEST(WordUtf8, DecodesValidAndReplacesInvalidBytesOneByOne) {
  EXPECT_EQ(decode_utf8("a\xed\x95\x9c"), U"a\uD55C");
  EXPECT_EQ(decode_utf8("\xff"
                        "a"),
            std::u32string({kReplacementChar, U'a'}));
  EXPECT_EQ(decode_utf8("\xc0\xaf"), std::u32string(2, kReplacementChar));      // overlong
  EXPECT_EQ(decode_utf8("\xed\xa0\x80"), std::u32string(3, kReplacementChar));  // surrogate
  EXPECT_EQ(decode_utf8("\xe2\x82"), std::u32string(2, kReplacementChar));      // truncated
}

TEST(WordUtf8, RoundTrip) {
  const std::string text = "x\xf0\x9f\x98\x80y\xc3\xa9";
  EXPECT_EQ(encode_utf8(decode_utf8(text)), text);
  EXPECT_EQ(encode_utf8(std::u32string(1, char32_t{0x110000})), "\xef\xbf\xbd");
}

TEST(WordUtf8, UnicodeSpace) {
  EXPECT_TRUE(is_unicode_space(U' '));
  EXPECT_TRUE(is_unicode_space(0x3000));
  EXPECT_TRUE(is_unicode_space(0x85));
  EXPECT_FALSE(is_unicode_space(U'x'));
  EXPECT_FALSE(is_unicode_space(0x200B));  // zero width space is not white space in Go
}

}  // namespace
}  // namespace mybuild::parser
