#include "parser/word_expansion.h"

#include <gtest/gtest.h>

#include "common/error.h"

// The ANTLR C++ runtime 4.9 (Debian 12) leaks the config set of LexerATNSimulator::
// computeTargetState when a lexer predicate (here: the escape token) rejects every
// alternative; fixed upstream after 4.9. Suppressed by name for LeakSanitizer in this test
// binary, so the ASan run still catches leaks of our own code. Weak: another test file may
// define the same hook.
extern "C" __attribute__((weak)) const char* __lsan_default_suppressions() {
  return "leak:antlr4::atn::LexerATNSimulator::computeTargetState\n";
}

namespace mybuild::parser {
namespace {

const Env kEnv{{"NAME", "web"}, {"EMPTY", ""}, {"SPACED", " a  b "}, {"PATH", "/usr/bin:/bin"}};

std::string expansion_error(std::string_view text, const WordOptions& options = {}) {
  try {
    expand_word(text, kEnv, options);
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kDockerfile);
    return e.full_message();
  }
  ADD_FAILURE() << "no error for " << text;
  return "";
}

TEST(WordExpansion, Basics) {
  EXPECT_EQ(expand_word("app-${NAME}:${TAG:-latest}", kEnv), "app-web:latest");
  EXPECT_EQ(expand_word("${EMPTY-x}${EMPTY:-y}", kEnv), "y");
  EXPECT_EQ(expand_word("${PATH%%:*}|${PATH#*:}|${PATH//\\//-}", kEnv),
            "/usr/bin|/bin|-usr-bin:-bin");
  EXPECT_EQ(expand_word("'$NAME' \"$NAME\"", kEnv), "$NAME web");
}

TEST(WordExpansion, BacktickEscape) {
  const WordOptions backtick{.escape = '`'};
  EXPECT_EQ(expand_word("C:\\dir`$NAME", kEnv, backtick), "C:\\dir$NAME");
  EXPECT_EQ(expand_word("\"a`\"b\"", kEnv, backtick), "a\"b");
  EXPECT_EQ(expand_word("\"a\\tb\"", kEnv, backtick), "a\\tb");
  EXPECT_THROW(expand_word("x", kEnv, WordOptions{.escape = '!'}), common::Error);
}

TEST(WordExpansion, SplittingOnlyOutsideQuotes) {
  EXPECT_EQ(expand_words("a${SPACED}z", kEnv), (std::vector<std::string>{"a", "a", "b", "z"}));
  EXPECT_EQ(expand_words("a\"${SPACED}\"z", kEnv), (std::vector<std::string>{"a a  b z"}));
  EXPECT_EQ(expand_words("  x\\ y  ''  ", kEnv), (std::vector<std::string>{"x y"}));
  EXPECT_TRUE(expand_words("", kEnv).empty());
}

TEST(WordExpansion, ReportsVariablesUsed) {
  VariableUse use;
  expand_word("$NAME ${MISSING:-$EMPTY} ${NAME} $1", kEnv, {}, &use);
  EXPECT_EQ(use.set, (std::vector<std::string>{"NAME", "EMPTY"}));
  EXPECT_EQ(use.unset, (std::vector<std::string>{"MISSING", "1"}));
}

TEST(WordExpansion, ErrorsSayWhat) {
  EXPECT_NE(expansion_error("${NOPE:?must be set}").find("NOPE: must be set"), std::string::npos);
  EXPECT_NE(expansion_error("${NOPE?}").find("is not allowed to be unset"), std::string::npos);
  EXPECT_NE(expansion_error("${EMPTY:?}").find("is not allowed to be empty"), std::string::npos);
  EXPECT_NE(expansion_error("${X:=y}").find("unsupported modifier (:=)"), std::string::npos);
  EXPECT_NE(expansion_error("${}").find("bad substitution"), std::string::npos);
  EXPECT_NE(expansion_error("'abc").find("unterminated single quote"), std::string::npos);
  EXPECT_NE(expansion_error("\"abc").find("unterminated double quote"), std::string::npos);
  EXPECT_NE(expansion_error("${X:-abc").find("missing '}'"), std::string::npos);
  EXPECT_NE(expansion_error("${X/abc").find("missing '/'"), std::string::npos);
  EXPECT_NE(expansion_error("${X#\\a}").find("invalid"), std::string::npos);
  // The word itself is in the context, for the builder's message.
  EXPECT_NE(expansion_error("${}").find("expanding \"${}\""), std::string::npos);
}

TEST(WordExpansion, HostileInput) {
  // Deep nesting is refused instead of overflowing the stack.
  std::string deep;
  for (int i = 0; i < 2000; ++i) deep += "${X:-";
  EXPECT_NE(expansion_error(deep).find("too deeply nested"), std::string::npos);
  // NUL bytes and invalid UTF-8 pass through (invalid bytes as U+FFFD, as BuildKit's scanner).
  EXPECT_EQ(expand_word(std::string("a\0b", 3), kEnv), std::string("a\0b", 3));
  EXPECT_EQ(expand_word("\xff$NAME", kEnv), "\xef\xbf\xbdweb");
  // A long word is linear work.
  const std::string big(1 << 18, 'x');
  EXPECT_EQ(expand_word(big + "$NAME", kEnv).size(), big.size() + 3);
}

}  // namespace
}  // namespace mybuild::parser
