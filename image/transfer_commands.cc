#include "image/transfer_commands.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "common/error.h"
#include "common/media_types.h"
#include "image/early_uploads.h"
#include "image/layer_convert.h"
#include "image/local_image.h"
#include "image/local_store.h"
#include "image/pull.h"
#include "image/push.h"
#include "registry/client.h"
#include "registry/reference.h"

namespace mybuild::image {
namespace {

using common::Error;
using common::ErrorKind;
namespace mt = common::media_type;

void say(const LineLog& log, std::string_view line) {
  if (log) log(line);
}

// True when every manifest an index names (recursively) is in the store with all its blobs,
// so that the index itself can be pushed.
bool index_complete(const snapshot::ContentStore& content, const common::Descriptor& index,
                    int depth = 0) {
  if (depth > 8 || !content.contains(index.digest)) return false;
  auto j = nlohmann::json::parse(content.read_small(index.digest), nullptr, false);
  if (!j.is_object() || !j.contains("manifests") || !j["manifests"].is_array()) return false;
  for (const auto& e : j["manifests"]) {
    common::Descriptor d;
    try {
      d = e.get<common::Descriptor>();
    } catch (const std::exception&) {
      return false;
    }
    bool ok =
        mt::is_index(d.media_type)
            ? index_complete(content, d, depth + 1)
            : resolve_local_image(content, d, {.wanted = {}, .any_if_missing = true}).has_value();
    if (!ok) return false;
  }
  return true;
}

// What to push for `root`: the root itself, or, for an index the store holds only part of, the
// one image it can push (docker pushes a pulled image's platform manifest the same way).
common::Descriptor push_target(LocalStore& store, const common::Descriptor& root,
                               const std::string& name, const LineLog& log) {
  if (!mt::is_index(root.media_type) || index_complete(store.content, root)) return root;
  auto img = resolve_local_image(store.content, root,
                                 {.wanted = common::Platform::host(), .any_if_missing = true});
  if (!img) {
    throw Error(ErrorKind::kNotFound, name + " (" + root.digest.str() +
                                          "): no image of this index is complete in the local "
                                          "store; pull it again");
  }
  std::string platform =
      config_platform(store.content.read_small(img->config.digest, 64 << 20)).str();
  say(log, "The local store holds only part of index " + root.digest.short_hex() +
               "; pushing its " + platform + " image " + img->manifest.digest.str() + " alone");
  return img->manifest;
}

}  // namespace

PullSummary pull_to_store(const std::filesystem::path& root, const std::string& reference,
                          const std::string& platform, const RegistryFlags& flags,
                          const LineLog& log) {
  registry::ClientOptions options = registry_client_options(flags);
  registry::Reference given = registry::parse_reference_no_default(reference);
  registry::Reference ref = registry::parse_reference(reference);
  common::Platform wanted =
      platform.empty() ? common::Platform::host() : common::Platform::parse(platform);
  if (given.tag.empty() && !given.digest) say(log, "Using default tag: latest");
  say(log, (ref.digest ? ref.digest->str() : ref.tag) + ": Pulling from " + ref.path);

  LocalStore store(root);
  auto before = ref.digest ? std::nullopt : store.images.resolve(ref.str());
  registry::Client client(std::move(options));
  LocalImage img = pull_image(store.content, store.images, client, ref, wanted, log);

  PullSummary summary;
  summary.name = ref.str();
  summary.familiar = ref.familiar();
  summary.digest = img.root.digest.str();
  summary.up_to_date = before && before->digest == img.root.digest;
  return summary;
}

PushSummary push_from_store(const std::filesystem::path& root, const std::string& name,
                            const std::string& dest, const RegistryFlags& flags, const LineLog& log,
                            const PushCompression& compression) {
  LayerFormat format = parse_layer_format(compression.compression, compression.level);
  registry::ClientOptions options = registry_client_options(flags);
  std::string missing = "an image does not exist locally with the tag: " + name;
  if (!store_exists(root)) throw Error(ErrorKind::kNotFound, missing);
  LocalStore store(root);
  auto found = find_image(store, name);
  if (!found) throw Error(ErrorKind::kNotFound, missing);
  if (dest.empty() && found->name.empty()) {
    throw Error(ErrorKind::kUsage, "push " + name + ": give a destination (mybuild push " + name +
                                       " REGISTRY/REPOSITORY[:TAG]); an image ID names no "
                                       "repository");
  }
  registry::Reference to = registry::parse_reference(dest.empty() ? found->name : dest);
  common::Descriptor target = push_target(store, found->root, name, log);

  say(log, "The push refers to repository [" + to.name() + "]");
  LayerConverter converter(store.content, store.db);  // holds what it writes until the push ends
  registry::Client client(std::move(options));
  EarlyUploads early(store.content, client, to);
  target = converter
               .convert(
                   target, format, log, [&](const common::Descriptor& blob) { early.add(blob); },
                   early.tap())
               .root;
  early.finish();
  PushReport report = push_image(store.content, target, client, to, early.relabel(log));
  early.account(report);

  PushSummary summary;
  summary.repository = to.name();
  summary.tag = to.tag.empty() ? report.digest.str() : to.tag;
  summary.digest = report.digest.str();
  summary.size = target.size;
  summary.blobs_uploaded = report.blobs_uploaded;
  summary.blobs_existed = report.blobs_existed;
  summary.bytes_uploaded = report.bytes_uploaded;
  return summary;
}

}  // namespace mybuild::image
