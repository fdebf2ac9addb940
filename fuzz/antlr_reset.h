// When the parser fuzz targets drop ANTLR's caches (parser/internal/antlr_caches.h). The caches
// grow with every novel input, and libFuzzer takes an input that ends with more allocations
// than frees as a possible leak and runs LeakSanitizer's whole-process scan (ptrace stops
// and all) after it: that, not parsing, held the targets to a few inputs a second. So the
// caches are dropped at the END of the input that grew them (the targets call this after
// parsing): every input frees what it allocated, memory stays flat, and leak detection only
// fires on real leaks. MYBUILD_FUZZ_ANTLR_CLEAR_EVERY=N clears after every Nth input instead
// (0: never), for measuring.
#pragma once

#include <cstdlib>

namespace mybuild::fuzz {

inline constexpr long kDefaultEvery = 1;

inline bool antlr_clear_due() {
  static const long every = [] {
    const char* v = std::getenv("MYBUILD_FUZZ_ANTLR_CLEAR_EVERY");
    return v ? std::strtol(v, nullptr, 10) : kDefaultEvery;
  }();
  static long inputs = 0;
  return every > 0 && ++inputs % every == 0;
}

}  // namespace mybuild::fuzz
