// ReadDropBehind (read_drop_behind.h).
#include "snapshot/read_drop_behind.h"

#include <fcntl.h>

namespace mybuild::snapshot {

ReadDropBehind::ReadDropBehind(common::UniqueFd fd, uint64_t size)
    : in_(std::move(fd)), drop_(size >= kMinSize) {}

size_t ReadDropBehind::read(std::span<char> buf) {
  const size_t n = in_.read(buf);
  read_ += n;
  if (drop_ && read_ - writeback_to_ >= kStep) step();
  return n;
}

// Both calls are hints: a failure (a file system without sync_file_range, say) leaves the pages
// cached, which is how every file was read before. A write error of these pages is the
// unmount's syncfs to report, not the reader's.
void ReadDropBehind::step() {
  const int fd = in_.fd();
  (void)::sync_file_range(fd, static_cast<off64_t>(writeback_to_),
                          static_cast<off64_t>(read_ - writeback_to_), SYNC_FILE_RANGE_WRITE);
  writeback_to_ = read_;
  if (read_ < kLag || read_ - kLag <= dropped_to_) return;
  const uint64_t to = read_ - kLag;
  (void)::posix_fadvise(fd, static_cast<off64_t>(dropped_to_),
                        static_cast<off64_t>(to - dropped_to_), POSIX_FADV_DONTNEED);
  dropped_to_ = to;
}

}  // namespace mybuild::snapshot
