// FileHashMemo: remembers the SHA-256 of a file's content by its identity (device, inode,
// size, mtime ns, ctime ns), persisted in SQLite so that an unchanged context is not re-read on
// the next run (DEVELOPERS.md, "Hash contexts once").
//
// Why this can never give a stale digest: any write to a file changes its ctime, and ctime
// cannot be set from user space (utimensat restores mtime, not ctime). One gap remains: ctime
// comes from the kernel's coarse clock, so a write in the same clock tick as an earlier
// hashing leaves it unchanged (git's "racy clean" problem). Callers therefore only remember a
// digest whose ctime is older than the moment hashing started minus one coarse tick
// (`safe_to_remember`); such a file cannot change without getting a newer ctime. That moment
// is read from the coarse clock itself (realtime_now_ns): the fine clock ran ahead of inode
// ctimes by more than a tick here.
//
// The memo also remembers whether the file had no xattrs that reach a layer, so that the walk
// of an unchanged context need not list them (one llistxattr per file, issue 17). The same
// argument holds: setxattr and removexattr change ctime, and a listing is remembered only under
// the racy-clean rule above, timed from before the listing. That fact has a table of its own
// (file_no_xattrs, keyed and checked by the same identity), so that the store stays usable by
// a mybuild from before it (checksum_memo.cc).
//
// The database is its own file (default <state root>/builder/file-hashes.db), written through
// snapshot::Database; the table is owned by this class. Not thread-safe: one thread looks up
// and stores (the hashing itself runs on a pool, see file_checksum.h).
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "common/digest.h"
#include "snapshot/database.h"

namespace mybuild::builder {

struct FileIdentity {
  uint64_t dev = 0;
  uint64_t ino = 0;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
};

// From a stat result.
FileIdentity file_identity(const struct stat& st);

// Whether a digest of a file with identity `id`, whose reading started at `started_ns`
// (CLOCK_REALTIME), may be remembered: see the racy-clean note above.
bool safe_to_remember(const FileIdentity& id, int64_t started_ns);
int64_t realtime_now_ns();  // CLOCK_REALTIME_COARSE, the clock of inode times

// What the memo knows of a file with a given identity.
struct RememberedFile {
  common::Digest content;
  // True when the file had no xattrs a layer keeps (builder/context/file_checksum.cc); false
  // when it had some or it is not known (rows written before this was remembered).
  bool no_layer_xattrs = false;
};

class FileHashMemo {
 public:
  // Opens or creates the memo database. Throws Error(kResource) naming the file.
  explicit FileHashMemo(const std::filesystem::path& db_file);
  ~FileHashMemo();
  FileHashMemo(const FileHashMemo&) = delete;
  FileHashMemo& operator=(const FileHashMemo&) = delete;

  // What is remembered when every field of `id` matches; nullopt otherwise.
  std::optional<RememberedFile> lookup(const FileIdentity& id);
  // lookup() of each of `ids`, in their order. Inodes of one device that lie close together
  // (a context's files, made together) are read in one ordered scan of each table instead of
  // two b-tree searches per file: the memo lookups were a fifth of a no-op build (issue 17).
  std::vector<std::optional<RememberedFile>> lookup_many(std::span<const FileIdentity> ids);
  // Remembers files in one transaction (replacing older entries for the same inode).
  void store(std::span<const std::pair<FileIdentity, RememberedFile>> entries);

  // Groups many lookups in one read transaction (much faster for 100,000 files).
  void begin_reads();
  void end_reads();

 private:
  void scan_range(std::span<const size_t> order, std::span<const FileIdentity> ids,
                  std::vector<std::optional<RememberedFile>>& found);

  std::unique_ptr<snapshot::Database> db_;
  std::optional<snapshot::Statement> lookup_;  // declared after db_: destroyed before them
  std::optional<snapshot::Statement> scan_hashes_, scan_no_xattrs_;
  bool reading_ = false;
};

}  // namespace mybuild::builder
