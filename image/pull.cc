#include "image/pull.h"

#include <chrono>
#include <filesystem>
#include <mutex>
#include <set>

#include "common/error.h"
#include "common/media_types.h"
#include "image/local_image.h"
#include "snapshot/database.h"
#include "snapshot/leases.h"

namespace mybuild::image {
namespace {

using common::Descriptor;
namespace mt = common::media_type;

// Long enough for a slow pull of a big image; a pull killed mid-way stops protecting its
// blobs after this (containerd's default lease expiry is the same).
constexpr std::chrono::hours kPullLeaseTtl{24};

// The name a reference is stored under: normalised, with "latest" when it has neither a tag nor
// a digest (docker pull's "Using default tag").
registry::Reference stored_name(const registry::Reference& ref) {
  if (ref.tag.empty() && !ref.digest) return ref.with_tag("latest");
  return ref;
}

// Keeps a manifest or index exactly as the registry served it: its digest is what the tag and
// the index name, so re-serialising it would break both.
void store_exact(const snapshot::ContentStore& content, const registry::RawManifest& m) {
  if (content.contains(m.descriptor.digest)) return;
  auto writer = content.writer(m.descriptor.digest.str());
  writer->write(m.body);
  writer->commit(m.descriptor.size, m.descriptor.digest);
}

// The config and layers, each once (an image may repeat a layer), bottom layer first.
std::vector<Descriptor> image_blobs(const registry::ResolvedImage& img) {
  std::vector<Descriptor> blobs;
  std::set<common::Digest> seen;
  for (const auto& d : img.layers) {
    if (seen.insert(d.digest).second) blobs.push_back(d);
  }
  if (seen.insert(img.config.digest).second) blobs.push_back(img.config);
  return blobs;
}

// The store's state root: ContentStore keeps its layout in <root>/oci (content_store.h).
std::filesystem::path state_root(const snapshot::ContentStore& content) {
  return content.layout_dir().parent_path();
}

}  // namespace

std::optional<LocalImage> find_local_image(const snapshot::ContentStore& content,
                                           snapshot::ImageStore& images,
                                           const registry::Reference& ref,
                                           const common::Platform& platform) {
  registry::Reference name = stored_name(ref);
  try {
    std::optional<Descriptor> root =
        name.digest ? stored_root(content, *name.digest) : images.resolve(name.str());
    if (!root) return std::nullopt;
    return resolve_local_image(content, *root, {.wanted = platform}, name.str());
  } catch (common::Error& e) {
    e.add_context("looking up " + name.str() + " in the local store");
    throw;
  }
}

LocalImage pull_image(const snapshot::ContentStore& content, snapshot::ImageStore& images,
                      registry::Client& client, const registry::Reference& ref,
                      const common::Platform& platform, const PullLog& log,
                      const TransferProgress& progress) {
  registry::Reference name = stored_name(ref);
  try {
    registry::ResolvedImage resolved = client.resolve(name, platform);

    // Held until the tag is written: blobs that are present already (untagged leftovers a
    // concurrent prune would sweep) and those we write now are roots for the collector.
    snapshot::Database db(snapshot::metadata_path(state_root(content)));
    snapshot::LeaseGuard lease(db, kPullLeaseTtl, "pull " + name.str());
    std::vector<Descriptor> blobs = image_blobs(resolved);
    lease.add(resolved.root.descriptor.digest);
    lease.add(resolved.manifest.descriptor.digest);
    for (const auto& d : blobs) lease.add(d.digest);

    std::set<common::Digest> layer_digests;
    for (const auto& d : resolved.layers) layer_digests.insert(d.digest);
    std::mutex log_mu;
    auto say = [&](const Descriptor& d, std::string_view status) {
      if (!log || !layer_digests.count(d.digest)) return;  // docker shows layers only
      std::lock_guard lk(log_mu);
      log(d.digest.short_hex() + ": " + std::string(status));
    };

    std::vector<Descriptor> missing;
    for (const auto& d : blobs) {
      if (content.contains(d.digest)) {
        say(d, "Already exists");
      } else {
        missing.push_back(d);
      }
    }
    // Byte progress for layers only, as docker and BuildKit show it.
    TransferProgress layer_progress;
    if (progress) {
      layer_progress = [&](const Descriptor& d, int64_t current, bool completed) {
        if (layer_digests.count(d.digest)) progress(d, current, completed);
      };
    }
    client.fetch_blobs(
        name, missing,
        [&content, &layer_progress](const Descriptor& d) -> std::unique_ptr<common::Writer> {
          return std::make_unique<CountingWriter>(content.writer(d.digest.str()), d,
                                                  layer_progress);
        },
        [&](const Descriptor& d, common::Writer& w) {
          // The sinks are content writers wrapped just above.
          auto& counted = static_cast<CountingWriter&>(w);
          static_cast<snapshot::ContentWriter&>(counted.inner()).commit(d.size, d.digest);
          if (layer_progress) layer_progress(d, counted.count(), true);
          say(d, "Pull complete");
        });

    store_exact(content, resolved.manifest);
    store_exact(content, resolved.root);
    Descriptor root = resolved.root.descriptor;
    if (!mt::is_index(root.media_type)) {
      common::Platform p = config_platform(content.read_small(resolved.config.digest, 64 << 20));
      if (!p.os.empty() && !p.architecture.empty()) root.platform = p;
    }
    // Last: a tag never points at content that is not all there.
    if (!name.digest) images.tag(name.str(), root);

    LocalImage result;
    result.name = name.str();
    result.root = root;
    result.manifest = mt::is_index(root.media_type) ? resolved.manifest.descriptor : root;
    result.config = resolved.config;
    result.layers = resolved.layers;
    return result;
  } catch (common::Error& e) {
    e.add_context("pulling " + name.str());
    throw;
  }
}

}  // namespace mybuild::image
