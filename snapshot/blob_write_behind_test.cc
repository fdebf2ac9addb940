#include "snapshot/blob_write_behind.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/temp_dir.h"
#include "common/unique_fd.h"

namespace mybuild::snapshot {
namespace {

// Pages of the first `bytes` of `fd` that are in the page cache.
size_t resident_pages(int fd, size_t from, size_t bytes) {
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

// Written the way ContentWriter does (writeback started per 8 MiB, then written()): once
// finish() returns, everything is on the disk, the first kKeepCached bytes are still cached
// and what came after them is not.
TEST(BlobWriteBehind, KeepsTheStartCachedAndDropsTheRest) {
  common::TempDir dir("write-behind-");
  const std::string path = (dir.path() / "blob").string();
  common::UniqueFd fd(::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600));
  ASSERT_TRUE(fd);
  struct statfs info {};
  ASSERT_EQ(::fstatfs(fd.get(), &info), 0);
  if (info.f_type == TMPFS_MAGIC) GTEST_SKIP() << "tmpfs pages are the file: nothing to drop";
  const std::string chunk(8 << 20, 'b');
  const uint64_t total = BlobWriteBehind::kKeepCached + (64 << 20);
  {
    BlobWriteBehind behind(fd.get());
    for (uint64_t off = 0; off < total; off += chunk.size()) {
      ASSERT_EQ(::write(fd.get(), chunk.data(), chunk.size()), static_cast<ssize_t>(chunk.size()));
      ASSERT_EQ(::sync_file_range(fd.get(), static_cast<off64_t>(off), chunk.size(),
                                  SYNC_FILE_RANGE_WRITE),
                0);
      std::string_view call;
      ASSERT_EQ(behind.written(off + chunk.size(), call), 0) << call;
    }
    std::string_view call;
    ASSERT_EQ(behind.finish(call), 0) << call;
  }
  const size_t page = static_cast<size_t>(::getpagesize());
  EXPECT_GT(resident_pages(fd.get(), 0, 64 << 20), (60u << 20) / page) << "the start was dropped";
  EXPECT_LT(resident_pages(fd.get(), BlobWriteBehind::kKeepCached, 64 << 20), 64u)
      << "written pages past kKeepCached stayed cached";
}

}  // namespace
}  // namespace mybuild::snapshot
