#include "image/local_image.h"

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "common/document_limits.h"
#include "common/error.h"
#include "common/media_types.h"

namespace mybuild::image {
namespace {

using common::Descriptor;
using common::Error;
using common::ErrorKind;
using nlohmann::json;
namespace mt = common::media_type;

json parse_object(const std::string& body, std::string_view what, const common::Digest& d) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    throw Error(ErrorKind::kIntegrity,
                std::string(what) + " " + d.str() + " in the local store is not a JSON object");
  }
  return j;
}

std::optional<LocalImage> from_manifest(const snapshot::ContentStore& content,
                                        const Descriptor& manifest) {
  if (!content.contains(manifest.digest)) return std::nullopt;
  json j = parse_object(content.read_small(manifest.digest), "manifest", manifest.digest);
  LocalImage img;
  img.manifest = manifest;
  try {
    img.config = j.at("config").get<Descriptor>();
    img.layers = j.at("layers").get<std::vector<Descriptor>>();
  } catch (const json::exception& e) {
    throw Error(ErrorKind::kIntegrity, "manifest " + manifest.digest.str() +
                                           " in the local store has no valid config or layers (" +
                                           e.what() + ")");
  }
  if (!content.contains(img.config.digest)) return std::nullopt;
  for (const auto& layer : img.layers) {
    if (!content.contains(layer.digest)) return std::nullopt;
  }
  return img;
}

// BuildKit stores provenance as extra index entries with platform unknown/unknown; they are
// not images anyone asked for.
bool is_attestation(const Descriptor& d) {
  auto it = d.annotations.find("vnd.docker.reference.type");
  return (it != d.annotations.end() && it->second == "attestation-manifest") ||
         (d.platform && d.platform->os == "unknown");
}

std::optional<LocalImage> from_index(const snapshot::ContentStore& content, const Descriptor& root,
                                     const PlatformChoice& choice) {
  if (!content.contains(root.digest)) return std::nullopt;
  json j = parse_object(content.read_small(root.digest), "index", root.digest);
  std::vector<Descriptor> entries;
  try {
    entries = j.at("manifests").get<std::vector<Descriptor>>();
  } catch (const json::exception& e) {
    throw Error(ErrorKind::kIntegrity, "index " + root.digest.str() +
                                           " in the local store has no valid manifests list (" +
                                           e.what() + ")");
  }
  std::optional<LocalImage> fallback;
  for (const auto& entry : entries) {
    if (!mt::is_manifest(entry.media_type) || is_attestation(entry)) continue;
    bool wanted = entry.platform && entry.platform->matches(choice.wanted);
    if (!wanted && (!choice.any_if_missing || fallback)) continue;
    auto img = from_manifest(content, entry);
    if (!img) continue;  // a platform that was never pulled
    if (wanted) return img;
    fallback = std::move(img);
  }
  return fallback;
}

}  // namespace

common::Platform config_platform(const std::string& config_json) {
  json j = json::parse(config_json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw Error(ErrorKind::kIntegrity, "image config is not a JSON object");
  auto text = [&j](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  common::Platform p;
  p.os = text("os");
  p.architecture = text("architecture");
  p.variant = text("variant");
  return p;
}

std::optional<LocalImage> resolve_local_image(const snapshot::ContentStore& content,
                                              const Descriptor& root, const PlatformChoice& choice,
                                              const std::string& name) {
  std::optional<LocalImage> img;
  if (mt::is_index(root.media_type)) {
    img = from_index(content, root, choice);
  } else {
    img = from_manifest(content, root);
    if (img && !choice.any_if_missing) {
      common::Platform p =
          config_platform(content.read_small(img->config.digest, common::kMaxConfigBytes));
      if (!p.os.empty() && !p.architecture.empty() && !p.matches(choice.wanted))
        return std::nullopt;
    }
  }
  if (!img) return std::nullopt;
  img->root = root;
  img->name = name;
  return img;
}

std::optional<Descriptor> stored_root(const snapshot::ContentStore& content,
                                      const common::Digest& digest) {
  auto info = content.info(digest);
  if (!info) return std::nullopt;
  std::string what = "blob " + digest.str() + " is not an image manifest or index";
  if (info->size > common::kMaxManifestBytes) throw Error(ErrorKind::kIntegrity, what);
  json j = json::parse(content.read_small(digest), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw Error(ErrorKind::kIntegrity, what);
  Descriptor d;
  d.digest = digest;
  d.size = info->size;
  if (auto it = j.find("mediaType"); it != j.end() && it->is_string()) {
    d.media_type = it->get<std::string>();
  }
  if (!mt::is_index(d.media_type) && !mt::is_manifest(d.media_type)) {
    // OCI documents may omit mediaType (image-spec manifest.md); infer it from the shape.
    if (j.contains("manifests")) {
      d.media_type = mt::kOciIndex;
    } else if (j.contains("config") && j.contains("layers")) {
      d.media_type = mt::kOciManifest;
    } else {
      throw Error(ErrorKind::kIntegrity, what);
    }
  }
  return d;
}

}  // namespace mybuild::image
