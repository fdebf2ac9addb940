#include "builder/stage/cache_prune.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "common/error.h"

namespace mybuild::builder {

namespace fs = std::filesystem;

namespace {

bool has_cache_table(snapshot::Database& db) {
  auto st = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'build_cache'");
  return st.step();
}

// Records by last use; a layer's bytes go on its most recently used record.
std::vector<CacheItem> record_items(snapshot::Database& db) {
  std::vector<CacheItem> items;
  if (!has_cache_table(db)) return items;
  auto st = db.prepare(
      "SELECT key, COALESCE(last_used, created_at), layer_digest, COALESCE(layer_size, 0) "
      "FROM build_cache ORDER BY COALESCE(last_used, created_at) DESC, rowid DESC");
  std::set<std::string> layer_seen;
  while (st.step()) {
    CacheItem item{.kind = CacheItem::Kind::kRecord,
                   .id = st.column_text(0),
                   .last_used = st.column_int(1),
                   .bytes = 0};
    if (!st.is_null(2) && layer_seen.insert(st.column_text(2)).second)
      item.bytes = st.column_int(3);
    items.push_back(std::move(item));
  }
  return items;
}

int64_t tree_bytes(const fs::path& dir, std::set<std::pair<dev_t, ino_t>>& seen) {
  int64_t total = 0;
  std::error_code ec;
  for (auto it =
           fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (seen.insert({st.st_dev, st.st_ino}).second) total += st.st_size;
  }
  return total;
}

// The directories under `dir` as items of `kind`, last used at their mtime (a git checkout's
// is touched each time a build uses it).
std::vector<CacheItem> dir_items(const fs::path& dir, CacheItem::Kind kind) {
  std::vector<CacheItem> items;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    struct stat st;
    if (::lstat(entry.path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    std::set<std::pair<dev_t, ino_t>> seen;
    items.push_back({.kind = kind,
                     .id = entry.path().string(),
                     .last_used = st.st_mtim.tv_sec,
                     .bytes = tree_bytes(entry.path(), seen)});
  }
  return items;
}

}  // namespace

std::vector<CacheItem> cache_items(snapshot::Database& db, const fs::path& root, bool mounts) {
  std::vector<CacheItem> items = record_items(db);
  std::reverse(items.begin(), items.end());  // oldest first, the older row first in a tie
  if (mounts) {
    for (auto [dir, kind] : {std::pair{root / "cache-mounts", CacheItem::Kind::kMountDir},
                             std::pair{root / "git" / "commits", CacheItem::Kind::kGitCheckout}}) {
      std::vector<CacheItem> dirs = dir_items(dir, kind);
      items.insert(items.end(), dirs.begin(), dirs.end());
    }
  }
  // Oldest first; stable, so records of one second keep their row order.
  std::stable_sort(items.begin(), items.end(), [](const CacheItem& a, const CacheItem& b) {
    return a.last_used < b.last_used;
  });
  return items;
}

void drop_cache_item(snapshot::Database& db, const CacheItem& item) {
  if (item.kind == CacheItem::Kind::kRecord) {
    db.prepare("DELETE FROM build_cache WHERE key = ?").bind(1, item.id).run();
    return;
  }
  std::error_code ec;
  fs::remove_all(item.id, ec);
  if (ec) {
    throw common::Error(common::ErrorKind::kResource,
                        "remove_all " + item.id + ": " + ec.message());
  }
}

int64_t store_usage(const fs::path& root) {
  std::set<std::pair<dev_t, ino_t>> seen;
  return tree_bytes(root, seen);
}

}  // namespace mybuild::builder
