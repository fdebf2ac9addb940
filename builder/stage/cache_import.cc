#include "builder/stage/cache_import.h"

#include "common/error.h"
#include "common/log.h"
#include "image/registry_options.h"
#include "registry/reference.h"

namespace mybuild::builder {

using common::Error;

CacheImports::CacheImports(const BuildRequest& request, const snapshot::ContentStore& content,
                           common::CancelToken& cancel)
    : request_(request), content_(content), cancel_(cancel) {}

CacheImports::~CacheImports() = default;

registry::Client& CacheImports::client() {
  if (!client_) {
    registry::ClientOptions options = image::registry_client_options(request_.registry);
    options.cancel = &cancel_;
    client_ = std::make_unique<registry::Client>(options);
  }
  return *client_;
}

std::optional<image::ImportedCache> CacheImports::read(const image::CacheSpec& spec,
                                                       const common::Platform& platform,
                                                       ProgressSink& progress) {
  const std::string name = spec.type == "local" ? spec.dir : spec.ref;
  std::optional<image::ImportedCache> cache;
  try {
    if (spec.type == "local") {
      cache = image::read_local_cache(spec.dir);
    } else if (spec.type == "inline") {
      cache = image::fetch_inline_cache(client(), registry::parse_reference(spec.ref), platform);
    } else {
      cache = image::fetch_registry_cache(client(), registry::parse_reference(spec.ref), platform);
    }
  } catch (const Error& e) {
    if (e.kind() == common::ErrorKind::kCancelled) throw;
    progress.message("ERROR: cannot use --cache-from " + name + ": " + e.what() +
                     " (building without it)");
    return std::nullopt;
  }
  if (!cache) progress.message("WARN: --cache-from " + name + " not found: nothing imported");
  return cache;
}

void CacheImports::load(ProgressSink& progress, std::span<const common::Platform> platforms) {
  for (const auto& spec : request_.cache_from) {
    const std::string name = spec.type == "local" ? spec.dir : spec.ref;
    std::optional<image::ImportedCache> first = read(spec, platforms.front(), progress);
    if (!first) continue;
    // An inline cache lives in each platform's config; a cache manifest or layout holds all.
    const bool per_platform = first->per_platform;
    add(progress, name, std::move(*first));
    if (!per_platform) continue;
    for (const common::Platform& platform : platforms.subspan(1)) {
      if (auto cache = read(spec, platform, progress)) add(progress, name, std::move(*cache));
    }
  }
  remote_.fetch = [this](const common::Descriptor& d) {
    if (!fetch(d))
      throw Error(common::ErrorKind::kNotFound,
                  "blob " + d.digest.str() + " is in no imported cache");
  };
}

void CacheImports::add(ProgressSink& progress, const std::string& name,
                       image::ImportedCache cache) {
  if (cache.per_platform && cache.entries.empty()) {
    progress.message("WARN: --cache-from " + name +
                     " is an image without an inline cache (pushed without --cache-to "
                     "type=inline or BUILDKIT_INLINE_CACHE=1): nothing imported");
    return;
  }
  size_t index = caches_.size();
  int layers = 0;
  for (const auto& e : cache.entries) {
    records_.try_emplace(e.key, index, e);
    if (e.layer && blobs_.try_emplace(e.layer->blob.digest, index).second) ++layers;
    if (e.layer && cache.repo) remote_.where.try_emplace(e.layer->blob.digest, *cache.repo);
  }
  for (const auto& m : cache.mounts) {
    mounts_.try_emplace(m.id, index, m);
    blobs_.try_emplace(m.layer.blob.digest, index);
    if (cache.repo) remote_.where.try_emplace(m.layer.blob.digest, *cache.repo);
  }
  std::string mounts = cache.mounts.empty()
                           ? std::string()
                           : ", " + std::to_string(cache.mounts.size()) + " cache mounts";
  progress.message("importing cache from " + name + ": " + std::to_string(cache.entries.size()) +
                   " records, " + std::to_string(layers) + " layers" + mounts +
                   " (fetched when needed)");
  caches_.push_back(std::move(cache));
}

std::optional<CacheRecord> CacheImports::lookup(const std::string& key) const {
  auto it = records_.find(key);
  if (it == records_.end()) return std::nullopt;
  const image::CacheEntry& e = it->second.second;
  CacheRecord r;
  r.key = e.key;
  r.layer = e.layer;
  r.inputs = e.inputs;
  r.created_at = e.created_at;
  return r;
}

std::optional<ImportedCacheMount> CacheImports::cache_mount(const std::string& id) const {
  auto it = mounts_.find(id);
  if (it == mounts_.end()) return std::nullopt;
  return ImportedCacheMount{it->second.second, caches_[it->second.first].source};
}

bool CacheImports::first_restore(const std::string& dir) {
  std::lock_guard lock(restore_mu_);
  return restored_.insert(dir).second;
}

bool CacheImports::fetch(const common::Descriptor& blob) {
  auto it = blobs_.find(blob.digest);
  if (it == blobs_.end()) return false;
  std::lock_guard lock(mu_);
  if (content_.contains(blob.digest)) return true;
  const image::ImportedCache& cache = caches_[it->second];
  common::log::info("fetching cached layer " + blob.digest.str() + " from " + cache.source);
  image::fetch_cache_blob(cache, cache.repo ? &client() : nullptr, content_, blob);
  bytes_fetched_ += blob.size;
  return true;
}

bool CacheImports::ensure(const std::vector<image::LayerRef>& layers, bool keep_remote) {
  bool all_local = true;
  for (const auto& l : layers) {
    if (content_.contains(l.blob.digest)) continue;
    if (keep_remote && remote_.where.count(l.blob.digest)) {
      all_local = false;
      continue;
    }
    fetch(l.blob);
  }
  return all_local;
}

const image::RemoteBlobs* CacheImports::remote_blobs() {
  return blobs_.empty() ? nullptr : &remote_;
}

}  // namespace mybuild::builder
