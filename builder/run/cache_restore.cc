#include "builder/run/cache_restore.h"

#include <fcntl.h>
#include <sys/file.h>

#include "common/error.h"
#include "common/log.h"
#include "snapshot/extract.h"
#include "snapshot/extract_root.h"

namespace mybuild::builder {

using common::Error;

namespace {

common::UniqueFd open_dir(const std::filesystem::path& dir) {
  common::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) common::throw_errno("open", dir.string());
  return fd;
}

bool has_no_entries(const std::filesystem::path& dir) {
  return std::filesystem::directory_iterator(dir) == std::filesystem::directory_iterator();
}

// Removes what a failed restore left, never following a symlink it made.
void clear(const std::filesystem::path& dir) noexcept {
  try {
    common::UniqueFd fd = open_dir(dir);
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      names.push_back(e.path().filename().string());
    }
    for (const auto& name : names) snapshot::remove_all_at(fd.get(), name);
  } catch (const std::exception& e) {
    // The step then sees what is left: as good as any other stale cache content.
    common::log::warn("emptying cache mount " + dir.string() + ": " + e.what());
  }
}

}  // namespace

void restore_cache_mount(BuildSession& s, const std::string& id, const CacheInstance& instance,
                         const StepId& step) {
  if (!s.imports) return;
  std::optional<ImportedCacheMount> mount = s.imports->cache_mount(id);
  if (!mount) return;
  const std::filesystem::path& dir = instance.dir();
  common::UniqueFd lock;
  if (!instance.locked()) {
    lock = open_dir(dir);
    if (::flock(lock.get(), LOCK_EX) != 0) common::throw_errno("flock", dir.string());
  }
  if (!has_no_entries(dir) || !s.imports->first_restore(dir.string())) return;
  const image::LayerRef& layer = mount->entry.layer;
  try {
    s.imports->fetch(layer.blob);
    auto reader = s.store.content().open(layer.blob.digest);
    snapshot::ApplyOptions options;
    options.expected_diff_id = layer.diff_id;
    options.layer = "cache mount " + id;
    snapshot::ApplyResult r = snapshot::apply_layer(*reader, dir, options);
    s.progress.step_log(step, "restored cache mount " + id + " from " + mount->source + ": " +
                                  std::to_string(r.entries) + " entries, " +
                                  std::to_string(r.bytes) + " bytes (" +
                                  std::to_string(layer.blob.size) + " compressed)\n");
  } catch (const Error& e) {
    if (e.kind() == common::ErrorKind::kCancelled) throw;
    clear(dir);
    s.progress.message("ERROR: cannot restore cache mount " + id + " from " + mount->source + ": " +
                       e.what() + " (the step runs with it empty)");
  }
}

}  // namespace mybuild::builder
