#include "image/cache_transfer.h"

#include <fcntl.h>

#include <nlohmann/json.hpp>
#include <set>

#include "common/error.h"
#include "common/io.h"
#include "common/media_types.h"
#include "image/cache_spec.h"
#include "image/config.h"

namespace mybuild::image {

using common::Descriptor;
using common::Error;
using common::ErrorKind;
using nlohmann::json;

namespace {

// The config descriptor of a cache manifest; kIntegrity when it is not one.
Descriptor cache_config_of(const std::string& body, const std::string& what) {
  json m = json::parse(body, nullptr, false);
  if (!m.is_object() || !m.contains("config") || !m["config"].is_object()) {
    throw Error(ErrorKind::kIntegrity, what + ": not an image manifest");
  }
  Descriptor config;
  try {
    config = m["config"].get<Descriptor>();
  } catch (const json::exception& e) {
    throw Error(ErrorKind::kIntegrity, what + ": malformed config descriptor: " + e.what());
  }
  if (config.media_type != kCacheConfigMediaType) {
    throw Error(ErrorKind::kIntegrity, what + ": config media type is \"" + config.media_type +
                                           "\", not a mybuild cache (" +
                                           std::string(kCacheConfigMediaType) + ")");
  }
  if (config.size > (16 << 20)) throw Error(ErrorKind::kIntegrity, what + ": config too large");
  return config;
}

// An index, or a manifest whose config is an image's (not a cache's records).
bool names_an_image(const std::string& manifest_body) {
  json m = json::parse(manifest_body, nullptr, false);
  if (!m.is_object()) return false;
  if (m.contains("manifests")) return true;
  if (!m.contains("config") || !m["config"].is_object()) return false;
  const json& type = m["config"]["mediaType"];
  return type.is_string() && type.get<std::string>() != kCacheConfigMediaType;
}

std::string fetch_small(registry::Client& client, const registry::Reference& repo,
                        const Descriptor& d) {
  common::StringWriter sink;
  client.fetch_blob(repo, d, sink);
  return sink.str();
}

void copy_blob(const snapshot::ContentStore& content, const std::filesystem::path& from,
               const Descriptor& d) {
  common::UniqueFd fd = common::open_file(from, O_RDONLY);
  common::FdReader in(std::move(fd));
  auto w = content.writer("cache blob " + d.digest.str());
  common::copy_stream(in, *w);
  w->commit(d.size, d.digest);
}

std::filesystem::path blob_file(const std::filesystem::path& dir, const common::Digest& d) {
  return dir / "blobs" / std::string(d.algorithm()) / std::string(d.hex());
}

}  // namespace

std::optional<ImportedCache> fetch_registry_cache(registry::Client& client,
                                                  const registry::Reference& ref,
                                                  const common::Platform& platform) {
  std::string what = "cache " + ref.str();
  registry::RawManifest m;
  try {
    m = client.fetch_manifest(ref);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kNotFound) return std::nullopt;
    throw;
  }
  if (names_an_image(m.body)) return fetch_inline_cache(client, ref, platform);
  Descriptor config = cache_config_of(m.body, what);
  ImportedCache out;
  out.source = ref.str();
  out.repo = ref;
  std::string records = fetch_small(client, ref, config);
  out.entries = decode_cache_records(records, what);
  out.mounts = decode_cache_mounts(records, what);
  return out;
}

std::optional<ImportedCache> fetch_inline_cache(registry::Client& client,
                                                const registry::Reference& ref,
                                                const common::Platform& platform) {
  std::string what = "inline cache " + ref.str();
  registry::ResolvedImage img;
  try {
    img = client.resolve(ref, platform);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kNotFound) return std::nullopt;
    throw;
  }
  ImageConfig config = ImageConfig::parse(fetch_small(client, ref, img.config));
  ImportedCache out;
  out.source = ref.str();
  out.repo = ref;
  out.per_platform = true;
  if (!config.extra.contains(kInlineCacheKey)) return out;  // an image without records
  std::vector<LayerRef> layers;
  for (size_t i = 0; i < img.layers.size() && i < config.diff_ids.size(); ++i) {
    layers.push_back({img.layers[i], config.diff_ids[i]});
  }
  const json& records = config.extra[std::string(kInlineCacheKey)];
  out.entries = decode_cache_records(
      records.is_string() ? records.get<std::string>() : records.dump(), what, layers);
  return out;
}

std::optional<ImportedCache> read_local_cache(const std::filesystem::path& dir) {
  std::string what = "cache " + dir.string();
  if (!std::filesystem::exists(dir / "index.json")) return std::nullopt;
  json index = json::parse(common::read_file(dir / "index.json", 4 << 20), nullptr, false);
  if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array() ||
      index["manifests"].empty()) {
    throw Error(ErrorKind::kIntegrity, what + ": index.json names no manifest");
  }
  Descriptor manifest;
  try {
    manifest = index["manifests"][0].get<Descriptor>();
  } catch (const json::exception& e) {
    throw Error(ErrorKind::kIntegrity, what + ": malformed index.json: " + e.what());
  }
  std::string body = common::read_file(blob_file(dir, manifest.digest), 4 << 20);
  if (common::Digest::sha256_of(body) != manifest.digest) {
    throw Error(ErrorKind::kIntegrity, what + ": manifest does not match its digest");
  }
  Descriptor config = cache_config_of(body, what);
  std::string records = common::read_file(blob_file(dir, config.digest), 16 << 20);
  if (common::Digest::sha256_of(records) != config.digest) {
    throw Error(ErrorKind::kIntegrity, what + ": cache records do not match their digest");
  }
  ImportedCache out;
  out.source = dir.string();
  out.dir = dir;
  out.entries = decode_cache_records(records, what);
  out.mounts = decode_cache_mounts(records, what);
  return out;
}

void fetch_cache_blob(const ImportedCache& cache, registry::Client* client,
                      const snapshot::ContentStore& content, const Descriptor& blob) {
  if (content.contains(blob.digest)) return;
  try {
    if (cache.repo && client) {
      auto w = content.writer("cache blob " + blob.digest.str());
      client->fetch_blob(*cache.repo, blob, *w);
      w->commit(blob.size, blob.digest);
    } else {
      copy_blob(content, blob_file(cache.dir, blob.digest), blob);
    }
  } catch (Error& e) {
    e.add_context("fetching layer " + blob.digest.str() + " from cache " + cache.source);
    throw;
  }
}

common::Descriptor put_cache_manifest(const snapshot::ContentStore& content,
                                      const std::vector<CacheEntry>& entries,
                                      const std::vector<CacheMountEntry>& mounts) {
  Descriptor config = content.put(encode_cache_records(entries, mounts), kCacheConfigMediaType);
  return content.put(cache_manifest_json(config, entries, mounts),
                     common::media_type::kOciManifest);
}

PushReport push_registry_cache(const snapshot::ContentStore& content, registry::Client& client,
                               const registry::Reference& ref,
                               const std::vector<CacheEntry>& entries,
                               const std::vector<CacheMountEntry>& mounts,
                               const RemoteBlobs* remote, const PushLog& log) {
  Descriptor manifest = put_cache_manifest(content, entries, mounts);
  return push_image(content, manifest, client, ref, log, std::nullopt, remote);
}

void write_local_cache(const snapshot::ContentStore& content, const std::filesystem::path& dir,
                       const std::vector<CacheEntry>& entries,
                       const std::vector<CacheMountEntry>& mounts,
                       const std::function<void(const Descriptor&)>& fetch) {
  Descriptor manifest = put_cache_manifest(content, entries, mounts);
  json m = json::parse(content.read_small(manifest.digest));
  std::vector<Descriptor> blobs = {manifest, m["config"].get<Descriptor>()};
  for (const auto& l : m["layers"]) blobs.push_back(l.get<Descriptor>());
  std::filesystem::create_directories(dir / "blobs" / "sha256");
  for (const auto& b : blobs) {
    std::filesystem::path to = blob_file(dir, b.digest);
    if (std::filesystem::exists(to)) continue;
    if (!content.contains(b.digest) && fetch) fetch(b);
    std::filesystem::path tmp = to.string() + ".tmp";
    std::filesystem::copy_file(content.blob_path(b.digest), tmp,
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::rename(tmp, to);
  }
  common::write_file_atomic(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  Descriptor entry = manifest;
  entry.annotations["org.opencontainers.image.ref.name"] = "latest";
  json index = {{"schemaVersion", 2},
                {"mediaType", common::media_type::kOciIndex},
                {"manifests", json::array({entry})}};
  common::write_file_atomic(dir / "index.json", index.dump());
}

}  // namespace mybuild::image
