// Caps on what unpacking an untrusted archive may cost: a layer (apply_layer) or a build
// context / ADD archive (builder's context tar reader). Each trips with Error(kResource) naming
// what was unpacked (a layer's digest, "build context") and the limit, so the user knows which
// knob to turn. The defaults are generous: a debootstrap Debian layer is ~30 000 entries and
// 3:1 compressed, a multi-GB layer is normal; what they stop is a tar bomb (millions of empty
// files, a 1 TB sparse file, a few KB of zstd that inflate to terabytes).
//
// Overridable per process from the environment (read when ExtractLimits::from_env is called):
//   MYBUILD_MAX_LAYER_ENTRIES     entries per archive                  (default 5000000)
//   MYBUILD_MAX_LAYER_FILE_SIZE   bytes of one file                    (default 256G)
//   MYBUILD_MAX_LAYER_SIZE        bytes of all files together          (default 1T)
//   MYBUILD_MAX_LAYER_RATIO       uncompressed:compressed, 0 = no check (default 1000)
//   MYBUILD_LAYER_RATIO_FLOOR     size below which the ratio is not checked (default 64M)
// Sizes take K, M, G or T (powers of 1024). A malformed value is an Error(kUsage).
#pragma once

#include <cstdint>
#include <string>

namespace mybuild::snapshot {

struct ExtractLimits {
  uint64_t max_entries = 5'000'000;
  int64_t max_entry_size = int64_t{256} << 30;  // 256 GiB
  int64_t max_total_size = int64_t{1} << 40;    // 1 TiB
  // gzip cannot exceed ~1032:1; real layers are 2-10:1. Checked only past `ratio_floor`
  // uncompressed bytes, so small archives of zeros stay fine.
  int64_t max_ratio = 1000;
  int64_t ratio_floor = int64_t{64} << 20;  // 64 MiB

  // The defaults above with the environment's overrides.
  static ExtractLimits from_env();
};

// Counts one archive's cost against the limits. `what` names the archive in errors:
// "layer sha256:…", "build context". Not thread-safe (one per extraction).
class ExtractBudget {
 public:
  ExtractBudget(const ExtractLimits& limits, std::string what)
      : limits_(limits), what_(std::move(what)) {}

  // Before each entry; `name` is the entry's path (for the message).
  void add_entry(const std::string& name);
  // The declared size of a regular file entry, before its content is written.
  void check_file_size(const std::string& name, int64_t size) const;
  // Content bytes written for `name`, `written_in_file` of them so far for this file.
  void add_bytes(const std::string& name, int64_t n, int64_t written_in_file);
  // Compressed bytes read so far against uncompressed bytes produced (0 compressed: plain).
  void check_ratio(uint64_t compressed, uint64_t uncompressed) const;

  uint64_t entries() const { return entries_; }
  int64_t total() const { return total_; }

 private:
  [[noreturn]] void exceeded(const std::string& detail, const std::string& var) const;

  ExtractLimits limits_;
  std::string what_;
  uint64_t entries_ = 0;
  int64_t total_ = 0;
};

}  // namespace mybuild::snapshot
