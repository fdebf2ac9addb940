// libFuzzer target: layer extraction (snapshot/extract.h). Any bytes, as a registry might serve
// them, are applied with apply_layer onto an empty scratch root (plain, gzip or zstd tar,
// detected). The archive may be refused with common::Error; a crash, a sanitizer report, or
// anything written outside the root (fuzz/scratch_root.h) is a bug. Small limits keep a tar
// bomb from costing the fuzzer more than a few milliseconds.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error.h"
#include "common/io.h"
#include "fuzz/scratch_root.h"
#include "snapshot/extract.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mybuild;
  static fuzz::ScratchRoot scratch;
  static const snapshot::ExtractLimits limits{.max_entries = 64,
                                              .max_entry_size = 1 << 20,
                                              .max_total_size = 4 << 20,
                                              .max_ratio = 1000,
                                              .ratio_floor = 1 << 20};
  common::StringReader layer(std::string(reinterpret_cast<const char*>(data), size));
  const bool overlay = size > 0 && (data[size - 1] & 1);  // both whiteout forms
  snapshot::ApplyOptions options;
  options.whiteouts = overlay ? snapshot::WhiteoutMode::kOverlay : snapshot::WhiteoutMode::kApply;
  options.limits = limits;
  options.layer = "fuzz input";
  try {
    snapshot::apply_layer(layer, scratch.fresh(), options);
  } catch (const common::Error&) {
  }
  scratch.check_and_clear();
  return 0;
}
