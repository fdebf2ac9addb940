// When the parser fuzz targets drop ANTLR's caches (parser/internal/antlr_caches.h). The caches
// grow with every novel input (past 500 MB in minutes), so they are dropped after every
// kDefaultEvery-th input: memory stays bounded and re-learning the DFA is paid rarely. The DFA
// only caches the ATN's answers, so an input parses the same whatever the cache holds.
// Measured (fuzz_parser_words, 3000 runs, CPU seconds): clear after each input 4.0 s, never
// 2.5 s. The larger cost was libFuzzer's leak check, which treats an input that ends with more
// allocations than frees as a possible leak and runs LeakSanitizer's whole-process scan after
// it: 17.3 s with it on. The parser targets' .options therefore set detect_leaks = 0 (the
// ASan replays in `make test` still check leaks at exit).
// MYBUILD_FUZZ_ANTLR_CLEAR_EVERY=N overrides (1: after every input; 0: never).
#pragma once

#include <cstdlib>

namespace mybuild::fuzz {

inline constexpr long kDefaultEvery = 1000;

inline bool antlr_clear_due() {
  static const long every = [] {
    const char* v = std::getenv("MYBUILD_FUZZ_ANTLR_CLEAR_EVERY");
    return v ? std::strtol(v, nullptr, 10) : kDefaultEvery;
  }();
  static long inputs = 0;
  return every > 0 && ++inputs % every == 0;
}

}  // namespace mybuild::fuzz
