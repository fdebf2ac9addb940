// libFuzzer target: Docker shell-word expansion (parser/word_expansion.h) on arbitrary bytes.
// The first byte picks the escape token and the entry point (one word or a word list); the
// rest is the word. Expansion may reject input with common::Error; anything else that escapes,
// a crash, a hang or a sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/error.h"
#include "fuzz/antlr_reset.h"
#include "parser/internal/antlr_caches.h"
#include "parser/word_expansion.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mybuild::parser;
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  static const Env env{{"PWD", "/home"},
                       {"NULL", ""},
                       {"SPACED", " a  b "},
                       {"GLOB", "*?[x]\\"},
                       {"KOREAN", "한국어"}};
  const WordOptions options{.escape = (mode & 1) ? '`' : '\\'};
  VariableUse use;
  try {
    if (mode & 2) {
      expand_words(text, env, options, &use);
    } else {
      expand_word(text, env, options, &use);
    }
  } catch (const mybuild::common::Error&) {
  }
  if (mybuild::fuzz::antlr_clear_due()) internal::clear_word_antlr_caches();  // antlr_reset.h
  return 0;
}
