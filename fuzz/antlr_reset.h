// When the parser fuzz targets drop ANTLR's caches (parser/internal/antlr_caches.h). Left alone
// the caches grow with every novel input (RSS climbing past 500 MB in minutes); cleared before
// every input, each input re-learns the DFA from the ATN, which costs more than the parse.
// Clearing every kDefaultEvery inputs bounds memory at a small share of the cost; the DFA only
// caches the ATN's answers, so an input parses the same way whatever the cache holds.
// MYBUILD_FUZZ_ANTLR_CLEAR_EVERY=N overrides (1: before every input; 0: never) for measuring.
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
  return every > 0 && inputs++ % every == 0;
}

}  // namespace mybuild::fuzz
