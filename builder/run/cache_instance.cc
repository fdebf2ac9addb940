#include "builder/run/cache_instance.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "common/digest.h"
#include "common/error.h"

namespace mybuild::builder {

namespace {
// A private mount past this many busy instances waits for the last one instead.
constexpr int kMaxPrivateInstances = 64;

// The directory's mtime is its last use for prune --keep-storage/--filter until
// (builder/stage/cache_prune.h): a step that only reads a cache still counts as using it.
CacheInstance touched(CacheInstance instance) {
  if (::utimensat(AT_FDCWD, instance.dir().c_str(), nullptr, 0) != 0) {
    common::throw_errno("utimensat", instance.dir().string());
  }
  return instance;
}
}  // namespace

std::string cache_mount_id_hash(const std::string& id) {
  return std::string(common::Digest::sha256_of(id).hex().substr(0, 24));
}

CacheInstance acquire_cache_instance(const std::filesystem::path& root, const std::string& id_hash,
                                     const std::string& sharing, const CacheSeeder& seed) {
  for (int instance = 0;; ++instance) {
    std::string name = id_hash;
    if (instance > 0) name.append("-").append(std::to_string(instance));
    std::filesystem::path candidate = root / name;
    std::error_code ec;
    if (seed && !std::filesystem::exists(std::filesystem::symlink_status(candidate, ec))) {
      std::filesystem::create_directories(root);
      seed(candidate);
    }
    std::filesystem::create_directories(candidate);
    if (sharing == "shared") return touched(CacheInstance(candidate, common::UniqueFd()));
    common::UniqueFd fd(::open(candidate.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) common::throw_errno("open", candidate.string());
    const bool try_only = sharing == "private" && instance < kMaxPrivateInstances;
    if (::flock(fd.get(), try_only ? LOCK_EX | LOCK_NB : LOCK_EX) != 0) {
      if (errno == EWOULDBLOCK && try_only) continue;  // in use: the next instance
      common::throw_errno("flock", candidate.string());
    }
    return touched(CacheInstance(candidate, std::move(fd)));
  }
}

}  // namespace mybuild::builder
