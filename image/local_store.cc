#include "image/local_store.h"

#include <algorithm>
#include <system_error>

#include "common/error.h"
#include "common/log.h"
#include "image/local_image.h"
#include "registry/reference.h"

namespace mybuild::image {

LocalStore::LocalStore(const std::filesystem::path& root)
    : content(root), db(snapshot::metadata_path(root)), images(content, db) {}

bool store_exists(const std::filesystem::path& root) {
  std::error_code ec;
  return std::filesystem::exists(root / "oci", ec);
}

std::vector<TaggedImage> tagged_images(LocalStore& store) {
  std::vector<TaggedImage> out;
  for (auto& tag : store.images.list()) {
    TaggedImage t{std::move(tag), std::nullopt};
    try {
      t.image = resolve_local_image(store.content, t.tag.target,
                                    {.wanted = common::Platform::host(), .any_if_missing = true},
                                    t.tag.name);
    } catch (const common::Error& e) {
      // One damaged image must not hide the others from `images`.
      common::log::warn(t.tag.name + ": " + e.full_message());
    }
    out.push_back(std::move(t));
  }
  return out;
}

bool looks_like_id(std::string_view text) {
  if (text.starts_with("sha256:")) text.remove_prefix(7);
  return !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

std::optional<FoundImage> find_image(LocalStore& store, std::string_view text) {
  if (auto d = store.images.resolve(text)) return FoundImage{std::string(text), *d};
  // Not a name: it may still be an image ID.
  std::optional<registry::Reference> ref = registry::try_parse_reference(text);
  if (ref && ref->digest) {
    if (auto d = stored_root(store.content, *ref->digest)) return FoundImage{"", *d};
  } else if (ref) {
    if (auto d = store.images.resolve(ref->str())) return FoundImage{ref->str(), *d};
  }
  if (!looks_like_id(text)) return std::nullopt;
  std::string_view prefix = text.starts_with("sha256:") ? text.substr(7) : text;
  std::optional<FoundImage> found;
  std::optional<common::Digest> found_id;
  for (const auto& t : tagged_images(store)) {
    if (!t.image || !t.image->config.digest.hex().starts_with(prefix)) continue;
    if (found_id && *found_id != t.image->config.digest) {
      throw common::Error(common::ErrorKind::kUsage,
                          "image ID prefix " + std::string(text) + " is ambiguous: it matches " +
                              found_id->short_hex() + " and " + t.image->config.digest.short_hex());
    }
    if (!found) found = FoundImage{"", t.tag.target};
    found_id = t.image->config.digest;
  }
  return found;
}

}  // namespace mybuild::image
