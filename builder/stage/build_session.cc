#include "builder/stage/build_session.h"

#include <ctime>
#include <mutex>

#include "builder/stage/oci_layout_source.h"
#include "common/error.h"
#include "image/registry_options.h"
#include "registry/reference.h"

namespace mybuild::builder {

using common::Error;
using common::ErrorKind;

image::LocalImage BuildSession::base_image(const std::string& ref_text,
                                           const common::Platform& platform, const StepId& step) {
  // --build-context NAME=docker-image://REF: the name, as FROM or --from writes it, means REF.
  std::string text = ref_text;
  if (const std::string* dir = named_context_dir(request, ref_text)) {
    throw Error(ErrorKind::kUsage, "build context " + ref_text + " is the directory " + *dir +
                                       ": it can be a COPY --from or a mount source, not an image");
  }
  if (auto it = request.named_contexts.find(ref_text); it != request.named_contexts.end()) {
    if (it->second.starts_with(kOciLayoutContext)) {
      std::lock_guard lock(pull_mu);
      progress.step_log(step, "loading " + it->second + " for " + platform.str() + "\n");
      return load_oci_layout_image(store.content(), it->second, platform);
    }
    text = it->second.substr(kDockerImageContext.size());
  }
  registry::Reference ref = registry::parse_reference(text);
  std::string key = ref.str() + "|" + platform.str();
  std::lock_guard lock(pull_mu);
  if (auto it = pulled.find(key); it != pulled.end()) return it->second;
  std::optional<image::LocalImage> image;
  if (!request.pull) {
    image = store.with_db([&](snapshot::Database&, snapshot::ImageStore& images) {
      return image::find_local_image(store.content(), images, ref, platform);
    });
  }
  if (!image) {
    progress.step_log(step, "pulling " + ref.str() + " for " + platform.str() + "\n");
    if (!client) {
      registry::ClientOptions options = image::registry_client_options(request.registry);
      options.cancel = &cancel;
      client = std::make_unique<registry::Client>(options);
    }
    // A connection of its own: the pull streams for a while and must not hold the store's
    // lock that other stages need for their cache lookups.
    snapshot::Database db(snapshot::metadata_path(store.root()));
    snapshot::ImageStore images(store.content(), db);
    auto bytes = [&](const common::Descriptor& layer, int64_t current, bool completed) {
      progress.step_transfer(step, {.id = layer.digest.str(),
                                    .action = "",
                                    .current = current,
                                    .total = layer.size,
                                    .completed = completed});
    };
    image = image::pull_image(store.content(), images, *client, ref, platform, {}, bytes);
  }
  pulled[key] = *image;
  return *image;
}

std::optional<CacheRecord> BuildSession::cache_lookup(const std::string& key) {
  return store.with_db(
      [&](snapshot::Database& db, snapshot::ImageStore&) { return BuildCache(db).lookup(key); });
}

std::optional<CacheRecord> BuildSession::cache_last(const std::string& locator) {
  return store.with_db([&](snapshot::Database& db, snapshot::ImageStore&) {
    return BuildCache(db).last_for(locator);
  });
}

void BuildSession::use_imports(CacheImports& i, std::span<const common::Platform> platforms) {
  if (request.cache_from.empty()) return;
  i.load(progress, platforms);
  imports = &i;
  store.fetch_missing = [&i](const common::Descriptor& blob) { i.fetch(blob); };
}

std::optional<CacheRecord> BuildSession::cache_hit(const std::string& key) {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  std::optional<CacheRecord> hit = cache_lookup(key);
  if (hit && within_cache_ttl(*hit, request.cache_ttl, now) &&
      (!hit->layer || store.content().contains(hit->layer->blob.digest))) {
    return hit;
  }
  if (!imports) return std::nullopt;
  hit = imports->lookup(key);
  if (hit && !within_cache_ttl(*hit, request.cache_ttl, now)) return std::nullopt;
  return hit;
}

void BuildSession::cache_store(const CacheRecord& record) {
  store.with_db([&](snapshot::Database& db, snapshot::ImageStore&) {
    BuildCache(db).store(record);
    return 0;
  });
}

}  // namespace mybuild::builder
