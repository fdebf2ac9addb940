#include "snapshot/blob_write_behind.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "common/temp_dir.h"
#include "common/unique_fd.h"
#include "snapshot/page_cache_test_util.h"

namespace mybuild::snapshot {
namespace {

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
  EXPECT_GT(test_cached_pages(fd.get(), 0, 64 << 20), (60u << 20) / page)
      << "the start was dropped";
  EXPECT_LT(test_cached_pages(fd.get(), BlobWriteBehind::kKeepCached, 64 << 20), 64u)
      << "written pages past kKeepCached stayed cached";
}

}  // namespace
}  // namespace mybuild::snapshot
