// Which directory a RUN --mount=type=cache gets, by its sharing mode (BuildKit's
// cache mount sharing):
//   shared   one directory for every step at once
//   locked   one step at a time: the next waits until the holder releases it
//   private  a step that finds it in use gets an instance of its own (BuildKit's "a new mount
//            if there are multiple writers"), kept for later steps like the first
// Instances are <root>/<id_hash>, <root>/<id_hash>-1, ...; "in use" is an flock on the
// directory, held by the CacheInstance until it goes.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "common/unique_fd.h"

namespace mybuild::builder {

class CacheInstance {
 public:
  CacheInstance(std::filesystem::path dir, common::UniqueFd lock)
      : dir_(std::move(dir)), lock_(std::move(lock)) {}
  const std::filesystem::path& dir() const { return dir_; }
  bool locked() const { return static_cast<bool>(lock_); }  // holds the flock (not shared)

 private:
  std::filesystem::path dir_;
  common::UniqueFd lock_;  // empty for shared
};

// The directory name of cache mount `id` under the cache-mount root (the first instance; a
// hash, so any id makes a safe name).
std::string cache_mount_id_hash(const std::string& id);

// Makes a missing instance directory with its first content (builder/run/cache_seed.h); it
// must appear whole or not at all.
using CacheSeeder = std::function<void(const std::filesystem::path& dir)>;

// Creates the directory when missing (through `seed` when given). Blocks for `locked`. Throws
// common::Error naming the call (open, flock) and the path.
CacheInstance acquire_cache_instance(const std::filesystem::path& root, const std::string& id_hash,
                                     const std::string& sharing, const CacheSeeder& seed = {});

}  // namespace mybuild::builder
