// Fuzzes reference parsing: any input either parses into a reference that re-parses to itself
// or throws common::Error; never crashes or throws anything else.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error.h"
#include "registry/reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto ref = mybuild::registry::parse_reference(text);
    auto again = mybuild::registry::parse_reference(ref.str());
    if (!(again == ref)) __builtin_trap();
  } catch (const mybuild::common::Error&) {
  }
  return 0;
}
