#include "image/commands.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <set>

#include "common/document_limits.h"
#include "common/error.h"
#include "common/log.h"
#include "common/media_types.h"
#include "common/time.h"
#include "image/inspect_fields.h"
#include "image/local_image.h"
#include "image/local_store.h"
#include "registry/reference.h"

namespace mybuild::image {
namespace {

using common::Error;
using common::ErrorKind;
using nlohmann::json;

struct RepoAndTag {
  std::string repository;
  std::string tag;
};

// "docker.io/library/busybox:latest" -> {"busybox", "latest"}, as docker images shows them.
RepoAndTag split_name(const std::string& name) {
  auto r = registry::try_parse_reference_no_default(name);
  // Stored names are normally references; show an odd one as it is.
  if (!r) return {name, "<none>"};
  return {r->repository().familiar(), r->tag.empty() ? "<none>" : r->tag};
}

json read_config(const LocalStore& store, const LocalImage& img) {
  json j =
      json::parse(store.content.read_small(img.config.digest, common::kMaxConfigBytes), nullptr,
                  /*allow_exceptions=*/false);
  if (!j.is_object()) {
    throw Error(ErrorKind::kIntegrity, "image config " + img.config.digest.str() +
                                           " in the local store is not a JSON object");
  }
  return j;
}

int64_t layers_size(const LocalImage& img) {
  int64_t size = 0;
  for (const auto& l : img.layers) size += l.size;
  return size;
}

Error no_such_image(const std::string& name) {
  return Error(ErrorKind::kNotFound, "no such image: " + name);
}

// The tags of the image `id` (config digest), in name order.
std::vector<std::string> tags_of(LocalStore& store, const common::Digest& id) {
  std::vector<std::string> names;
  for (const auto& t : tagged_images(store)) {
    if (t.image && t.image->config.digest == id) names.push_back(t.tag.name);
  }
  return names;
}

}  // namespace

std::string familiar(const std::string& stored_name) {
  return snapshot::familiar_name(stored_name);
}

namespace {

// The platforms of the image manifests an index names (BuildKit's attestation manifests, platform
// unknown/unknown, left out); empty when `root` is no index or its blob is absent or unreadable.
std::vector<std::string> index_platforms(const snapshot::ContentStore& content,
                                         const common::Descriptor& root) {
  std::vector<std::string> out;
  if (!common::media_type::is_index(root.media_type) || !content.contains(root.digest)) return out;
  json index = json::parse(content.read_small(root.digest), nullptr, false);
  if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array()) {
    return out;
  }
  for (const auto& m : index["manifests"]) {
    if (!m.is_object() || !m.contains("platform") || !m["platform"].is_object()) continue;
    const json& p = m["platform"];
    std::string platform = p.value("os", "") + "/" + p.value("architecture", "");
    if (!p.value("variant", "").empty()) platform += "/" + p.value("variant", "");
    if (platform != "unknown/unknown") out.push_back(platform);
  }
  return out;
}

}  // namespace

std::vector<ImageRow> list_images(const std::filesystem::path& root) {
  std::vector<ImageRow> rows;
  if (!store_exists(root)) return rows;
  LocalStore store(root);
  for (const auto& t : tagged_images(store)) {
    ImageRow row;
    row.name = t.tag.name;
    auto [repository, tag] = split_name(t.tag.name);
    row.repository = repository;
    row.tag = tag;
    row.digest = t.tag.target.digest.str();
    row.platforms = index_platforms(store.content, t.tag.target);
    if (t.image) {
      row.id = t.image->config.digest.str();
      row.size = layers_size(*t.image);
      try {
        row.created = common::parse_rfc3339(text_field(read_config(store, *t.image), "created"));
      } catch (const Error& e) {
        // A config we cannot read shows no creation time; inspect says what is wrong with it.
        common::log::debug("images: no creation time for " + t.tag.name + ": " + e.full_message());
      }
    }
    rows.push_back(std::move(row));
  }
  std::stable_sort(rows.begin(), rows.end(), [](const ImageRow& a, const ImageRow& b) {
    int64_t ca = a.created.value_or(0), cb = b.created.value_or(0);
    return ca != cb ? ca > cb : a.name < b.name;
  });
  return rows;
}

std::string tag_image(const std::filesystem::path& root, const std::string& source,
                      const std::string& target) {
  registry::Reference ref = registry::parse_reference(target);
  if (ref.digest) {
    throw Error(ErrorKind::kUsage, "refusing to create a tag with a digest reference: " + target);
  }
  if (!store_exists(root)) throw no_such_image(source);
  LocalStore store(root);
  auto found = find_image(store, source);
  if (!found) throw no_such_image(source);
  store.images.tag(ref.str(), found->root);
  return ref.str();
}

std::vector<std::string> remove_image(const std::filesystem::path& root, const std::string& name,
                                      bool force) {
  if (!store_exists(root)) throw no_such_image(name);
  LocalStore store(root);
  if (store.images.untag(name)) return {name};
  // Not a name: it may still be an image ID.
  std::optional<registry::Reference> ref = registry::try_parse_reference(name);
  if (ref && !ref->digest && store.images.untag(ref->str())) return {ref->str()};
  std::vector<std::string> untagged;
  if (ref && ref->digest) {
    // name@digest: every tag of that repository pointing at that digest.
    for (const auto& t : store.images.list()) {
      if (t.target.digest != *ref->digest) continue;
      // A stored name that is not a reference has no repository to match.
      auto stored = registry::try_parse_reference_no_default(t.name);
      if (!stored || stored->repository() != ref->repository()) continue;
      if (store.images.untag(t.name)) untagged.push_back(t.name);
    }
    if (!untagged.empty()) return untagged;
  }
  if (!looks_like_id(name)) throw no_such_image(name);
  auto found = find_image(store, name);
  if (!found) throw no_such_image(name);
  auto img = resolve_local_image(store.content, found->root,
                                 {.wanted = common::Platform::host(), .any_if_missing = true});
  if (!img) throw no_such_image(name);
  std::vector<std::string> names = tags_of(store, img->config.digest);
  if (names.size() > 1 && !force) {
    throw Error(ErrorKind::kUsage, "conflict: unable to delete " + img->config.digest.short_hex() +
                                       " (must be forced) - image is referenced in " +
                                       std::to_string(names.size()) + " tags");
  }
  for (const auto& n : names) {
    if (store.images.untag(n)) untagged.push_back(n);
  }
  return untagged;
}

nlohmann::json inspect_image(const std::filesystem::path& root, const std::string& name) {
  if (!store_exists(root)) throw no_such_image(name);
  LocalStore store(root);
  auto found = find_image(store, name);
  if (!found) throw no_such_image(name);
  auto img = resolve_local_image(store.content, found->root,
                                 {.wanted = common::Platform::host(), .any_if_missing = true});
  if (!img) {
    throw Error(ErrorKind::kNotFound, name + " (" + found->root.digest.str() +
                                          "): its manifest, config or a layer is missing from "
                                          "the local store; pull it again");
  }
  json cfg = read_config(store, *img);

  json repo_tags = json::array(), repo_digests = json::array();
  std::set<std::string> seen_digests;
  for (const auto& t : tagged_images(store)) {
    if (!t.image || t.image->config.digest != img->config.digest) continue;
    repo_tags.push_back(familiar(t.tag.name));
    std::string d = split_name(t.tag.name).repository + "@" + t.tag.target.digest.str();
    if (seen_digests.insert(d).second) repo_digests.push_back(d);
  }
  json out = {
      {"Id", img->config.digest.str()},
      {"RepoTags", repo_tags},
      {"RepoDigests", repo_digests},
      {"Parent", ""},
  };
  out.update(inspect_config_fields(cfg));
  out["Size"] = layers_size(*img);
  out["Manifest"] = {{"Digest", img->manifest.digest.str()},
                     {"MediaType", img->manifest.media_type},
                     {"Size", img->manifest.size},
                     {"Raw", store.content.read_small(img->manifest.digest)}};
  if (common::media_type::is_index(img->root.media_type)) {
    out["Index"] = {{"Digest", img->root.digest.str()},
                    {"MediaType", img->root.media_type},
                    {"Size", img->root.size},
                    {"Platforms", index_platforms(store.content, img->root)}};
  }
  return out;
}

}  // namespace mybuild::image
