// CopyBuffer: a heap buffer for streaming reads, left uninitialized. A read overwrites it, and
// zeroing it first (as std::vector<char>(n) does) cost more than unpacking a small archive.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

namespace mybuild::common {

// The buffers that feed a decoder (libarchive's read callbacks) and take its output: 64 KiB,
// gzip's own output block. Unpacking a layer uses four; under ASan (the fuzzers, the sanitizer
// tests) each one past 128 KiB is mapped, poisoned and unmapped per archive, which was most of
// fuzz_snapshot_layer's time (perf: madvise, munmap, memset and page faults, 70% of samples).
inline constexpr size_t kDecodeBufferSize = 64 * 1024;

class CopyBuffer {
 public:
  explicit CopyBuffer(size_t size)
      : data_(std::make_unique_for_overwrite<char[]>(size)), size_(size) {}
  std::span<char> span() const { return {data_.get(), size_}; }
  char* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  std::unique_ptr<char[]> data_;
  size_t size_;
};

}  // namespace mybuild::common
