// ReadDropBehind: the reader of a large snapshot file for its layer, which drops the pages it
// has read from the page cache once they are on the disk (issue 17).
//
// Why: a RUN that writes 1 GiB leaves 1 GiB of the upper dir's pages in the cache, and the diff
// then writes a 1 GiB blob into pages never used before. In a VM whose balloon takes free pages
// back (and any host that zeroes them), touching fresh memory is what that write costs: perf of
// `RUN dd ... of=/big bs=1M count=1024` showed 1.1 s of the diff's 3.2 s in
// copy_folio_from_iter_atomic. Pages of the file already read and written back are freed here,
// and the blob's next megabytes land in them. The unmount beside the diff writes the same pages
// back anyway (its syncfs makes the snapshot durable), so starting that writeback per kStep
// adds no I/O; a page that is not clean yet when its turn comes stays cached (fadvise is only a
// hint), and nothing here ever waits for the disk.
//
// Files under kMinSize are read as they are: a layer of many small files is read back soon
// (the next RUN step, a COPY --from) and their pages are few.
#pragma once

#include <cstdint>
#include <span>

#include "common/io.h"
#include "common/unique_fd.h"

namespace mybuild::snapshot {

class ReadDropBehind final : public common::Reader {
 public:
  static constexpr uint64_t kMinSize = 64 << 20;  // smaller files: no drop-behind
  static constexpr uint64_t kStep = 16 << 20;     // writeback started and pages dropped per step
  static constexpr uint64_t kLag = 64 << 20;      // dropped this far behind the reading

  // `size`: the file's size when the diff looked (decides whether to drop at all).
  ReadDropBehind(common::UniqueFd fd, uint64_t size);
  size_t read(std::span<char> buf) override;

 private:
  void step();

  common::FdReader in_;
  const bool drop_;
  uint64_t read_ = 0;          // bytes read so far
  uint64_t writeback_to_ = 0;  // writeback started up to here
  uint64_t dropped_to_ = 0;    // dropped (as far as the pages were clean) up to here
};

}  // namespace mybuild::snapshot
