// libFuzzer target: the build-context tar reader (builder/context/tar.h), which unpacks
// `mybuild build - < context.tar` and ADD's local archives. Any bytes are unpacked into an empty
// scratch directory (plain, gzip, bzip2, xz or zstd, detected); refusing them with
// common::Error is fine, a crash, a sanitizer report or a file outside the directory
// (fuzz/scratch_root.h) is a bug. The last byte's low bit picks `keep_owners` (ADD's mode).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "builder/context/tar.h"
#include "common/error.h"
#include "common/io.h"
#include "fuzz/scratch_root.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mybuild;
  // The reader takes its limits from the environment (snapshot/extract_limits.h); small ones
  // keep a tar bomb cheap.
  static const bool limited = [] {
    setenv("MYBUILD_MAX_LAYER_ENTRIES", "64", 1);
    setenv("MYBUILD_MAX_LAYER_FILE_SIZE", "1M", 1);
    setenv("MYBUILD_MAX_LAYER_SIZE", "4M", 1);
    setenv("MYBUILD_LAYER_RATIO_FLOOR", "1M", 1);
    return true;
  }();
  (void)limited;
  static fuzz::ScratchRoot scratch;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  (void)builder::starts_like_archive(std::string_view(bytes).substr(0, 512));
  common::StringReader tar(bytes);
  try {
    builder::unpack_context_tar(tar, scratch.fresh(), size > 0 && (data[size - 1] & 1));
  } catch (const common::Error&) {
  }
  scratch.check_and_clear();
  return 0;
}
