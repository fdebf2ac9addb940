#include "builder/context/checksum_memo.h"

#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <numeric>

#include "common/error.h"
#include "common/log.h"
#include "snapshot/database.h"

namespace mybuild::builder {
namespace {

int64_t as_ns(const struct timespec& ts) {
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// SQLite integers are signed 64-bit; device and inode numbers are stored bit for bit.
int64_t to_sql(uint64_t v) { return static_cast<int64_t>(v); }

// lookup_many scans a run of at least kMemoScanAtLeast wanted inodes of one device, each at
// most kMemoScanGap after the one before (so a scan reads at most that many rows per file it
// wants); other files are looked up one by one.
constexpr size_t kMemoScanAtLeast = 8;
constexpr uint64_t kMemoScanGap = 16;

// The identity in a row's columns first..first+2 (size, mtime, ctime) is `id`'s.
bool memo_row_matches(const snapshot::Statement& st, int first, const FileIdentity& id) {
  return st.column_int(first) == id.size && st.column_int(first + 1) == id.mtime_ns &&
         st.column_int(first + 2) == id.ctime_ns;
}

}  // namespace

FileIdentity file_identity(const struct stat& st) {
  return {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
          static_cast<int64_t>(st.st_size), as_ns(st.st_mtim), as_ns(st.st_ctim)};
}

int64_t realtime_now_ns() {
  // The clock inode timestamps come from (current_time() in the kernel; with multigrain
  // timestamps a ctime may be finer, never older). Against the fine clock a ctime lagged by
  // more than the reported tick on this VM (5.5 ms against 4 ms: late ticks), so a file written
  // just after hashing started could look older than the start; against the coarse clock itself
  // it cannot.
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return as_ns(ts);
}

bool safe_to_remember(const FileIdentity& id, int64_t started_ns) {
  // One tick more than the coarse clock needs: a margin that costs only a re-hash of files
  // changed in the tick before the build.
  struct timespec res {};
  int64_t tick = 10'000'000;  // 10 ms if the kernel does not say
  if (::clock_getres(CLOCK_REALTIME_COARSE, &res) == 0) tick = as_ns(res);
  return id.ctime_ns < started_ns - tick;
}

FileHashMemo::FileHashMemo(const std::filesystem::path& db_file)
    : db_(std::make_unique<snapshot::Database>(db_file)) {
  db_->migrate("builder_file_hashes",
               {"CREATE TABLE file_hashes (dev INTEGER NOT NULL, ino INTEGER NOT NULL, "
                "size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, "
                "digest TEXT NOT NULL, PRIMARY KEY (dev, ino)) WITHOUT ROWID"});
  // A table (and component) of its own, not a column of file_hashes: an older mybuild on the
  // same store keeps using file_hashes as it knows it (a new schema version would stop it with
  // "newer than this mybuild"; a new column would break its six-value INSERT). A row counts
  // only while its identity is the file_hashes row's, so one that an older mybuild left behind
  // when it replaced that row is never believed.
  db_->migrate("builder_file_no_xattrs",
               {"CREATE TABLE file_no_xattrs (dev INTEGER NOT NULL, ino INTEGER NOT NULL, "
                "size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, "
                "PRIMARY KEY (dev, ino)) WITHOUT ROWID"});
}

FileHashMemo::~FileHashMemo() {
  if (reading_) {
    try {
      db_->exec("COMMIT");
    } catch (const std::exception& e) {
      common::log::warn(std::string("file hash memo: ") + e.what());
    }
  }
}

void FileHashMemo::begin_reads() {
  if (reading_) return;
  db_->exec("BEGIN");
  reading_ = true;
}

void FileHashMemo::end_reads() {
  if (!reading_) return;
  reading_ = false;
  db_->exec("COMMIT");
}

std::optional<RememberedFile> FileHashMemo::lookup(const FileIdentity& id) {
  if (!lookup_) {
    lookup_ = db_->prepare(
        "SELECT h.size, h.mtime_ns, h.ctime_ns, h.digest, x.size, x.mtime_ns, x.ctime_ns "
        "FROM file_hashes h LEFT JOIN file_no_xattrs x ON x.dev = h.dev AND x.ino = h.ino "
        "WHERE h.dev = ? AND h.ino = ?");
  }
  snapshot::Statement& st = *lookup_;
  st.reset();
  st.bind(1, to_sql(id.dev)).bind(2, to_sql(id.ino));
  std::optional<RememberedFile> found;
  if (st.step() && st.column_int(0) == id.size && st.column_int(1) == id.mtime_ns &&
      st.column_int(2) == id.ctime_ns) {
    if (auto digest = common::Digest::try_parse(st.column_text(3))) {
      const bool none = !st.is_null(4) && st.column_int(4) == id.size &&
                        st.column_int(5) == id.mtime_ns && st.column_int(6) == id.ctime_ns;
      found = RememberedFile{std::move(*digest), none};
    }
  }
  st.reset();  // a statement left mid-step would hold its read snapshot open
  return found;
}

std::vector<std::optional<RememberedFile>> FileHashMemo::lookup_many(
    std::span<const FileIdentity> ids) {
  std::vector<std::optional<RememberedFile>> found(ids.size());
  // In the tables' own order: device, then inode as SQLite holds it (signed).
  std::vector<size_t> order(ids.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return std::pair(to_sql(ids[a].dev), to_sql(ids[a].ino)) <
           std::pair(to_sql(ids[b].dev), to_sql(ids[b].ino));
  });
  // Runs of one device whose inodes follow each other closely (a context's files, made
  // together) are scanned; the rest, and runs too short to be worth a scan, are looked up.
  auto ino_at = [&](size_t k) { return static_cast<uint64_t>(to_sql(ids[order[k]].ino)); };
  for (size_t begin = 0; begin < order.size();) {
    size_t end = begin + 1;
    while (end < order.size() && ids[order[end]].dev == ids[order[begin]].dev &&
           ino_at(end) - ino_at(end - 1) <= kMemoScanGap) {
      ++end;
    }
    const std::span<const size_t> run(order.data() + begin, end - begin);
    if (run.size() >= kMemoScanAtLeast) {
      scan_range(run, ids, found);
    } else {
      for (size_t i : run) found[i] = lookup(ids[i]);
    }
    begin = end;
  }
  return found;
}

// `order`: indexes into `ids` of one device, sorted by inode. Both tables are read in inode
// order and merged with it (an inode may be wanted more than once: hard links).
void FileHashMemo::scan_range(std::span<const size_t> order, std::span<const FileIdentity> ids,
                              std::vector<std::optional<RememberedFile>>& found) {
  if (!scan_hashes_) {
    scan_hashes_ = db_->prepare(
        "SELECT ino, size, mtime_ns, ctime_ns, digest FROM file_hashes "
        "WHERE dev = ? AND ino BETWEEN ? AND ? ORDER BY ino");
    scan_no_xattrs_ = db_->prepare(
        "SELECT ino, size, mtime_ns, ctime_ns FROM file_no_xattrs "
        "WHERE dev = ? AND ino BETWEEN ? AND ? ORDER BY ino");
  }
  const FileIdentity& low = ids[order.front()];
  const FileIdentity& high = ids[order.back()];
  std::vector<bool> no_xattrs(order.size(), false);
  // Calls `row(k)` for each wanted position k whose inode is the current row's.
  auto merge = [&](snapshot::Statement& st, auto&& row) {
    st.reset();
    st.bind(1, to_sql(low.dev)).bind(2, to_sql(low.ino)).bind(3, to_sql(high.ino));
    size_t k = 0;
    while (k < order.size() && st.step()) {
      const int64_t ino = st.column_int(0);
      while (k < order.size() && to_sql(ids[order[k]].ino) < ino) ++k;
      for (size_t j = k; j < order.size() && to_sql(ids[order[j]].ino) == ino; ++j) row(j);
    }
    st.reset();  // a statement left mid-step would hold its read snapshot open
  };
  merge(*scan_no_xattrs_,
        [&](size_t j) { no_xattrs[j] = memo_row_matches(*scan_no_xattrs_, 1, ids[order[j]]); });
  merge(*scan_hashes_, [&](size_t j) {
    if (!memo_row_matches(*scan_hashes_, 1, ids[order[j]])) return;
    if (auto digest = common::Digest::try_parse(scan_hashes_->column_text(4))) {
      found[order[j]] = RememberedFile{std::move(*digest), no_xattrs[j]};
    }
  });
}

void FileHashMemo::store(std::span<const std::pair<FileIdentity, RememberedFile>> entries) {
  if (entries.empty()) return;
  end_reads();
  snapshot::Transaction tx(*db_);
  auto hashes = db_->prepare(
      "INSERT OR REPLACE INTO file_hashes (dev, ino, size, mtime_ns, ctime_ns, digest) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  auto none = db_->prepare("INSERT OR REPLACE INTO file_no_xattrs VALUES (?, ?, ?, ?, ?)");
  auto some = db_->prepare("DELETE FROM file_no_xattrs WHERE dev = ? AND ino = ?");
  for (const auto& [id, file] : entries) {
    hashes.reset();
    hashes.bind(1, to_sql(id.dev)).bind(2, to_sql(id.ino)).bind(3, id.size);
    hashes.bind(4, id.mtime_ns).bind(5, id.ctime_ns).bind(6, file.content.str());
    hashes.run();
    snapshot::Statement& xattrs = file.no_layer_xattrs ? none : some;
    xattrs.reset();
    xattrs.bind(1, to_sql(id.dev)).bind(2, to_sql(id.ino));
    if (file.no_layer_xattrs) xattrs.bind(3, id.size).bind(4, id.mtime_ns).bind(5, id.ctime_ns);
    xattrs.run();
  }
  tx.commit();
}

}  // namespace mybuild::builder
