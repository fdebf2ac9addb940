// For tests of what stays in the page cache (blob_write_behind_test, read_drop_behind_test).
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mybuild::snapshot {

// Pages of [from, from + bytes) of `fd` that are in the page cache; SIZE_MAX when mincore fails.
inline size_t test_cached_pages(int fd, size_t from, size_t bytes) {
  void* map = ::mmap(nullptr, from + bytes, PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) return SIZE_MAX;
  std::vector<unsigned char> in_core((from + bytes) / ::getpagesize());
  const bool ok = ::mincore(map, from + bytes, in_core.data()) == 0;
  ::munmap(map, from + bytes);
  if (!ok) return SIZE_MAX;
  const auto first = in_core.begin() + static_cast<long>(from / ::getpagesize());
  return static_cast<size_t>(
      std::count_if(first, in_core.end(), [](unsigned char c) { return (c & 1) != 0; }));
}

}  // namespace mybuild::snapshot
