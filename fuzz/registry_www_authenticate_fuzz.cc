// Fuzzes the WWW-Authenticate parser: arbitrary header bytes from a hostile server.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "registry/www_authenticate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto challenges = mybuild::registry::parse_www_authenticate(
      std::string_view(reinterpret_cast<const char*>(data), size));
  for (const auto& c : challenges) {
    if (c.scheme.empty()) __builtin_trap();
  }
  return 0;
}
