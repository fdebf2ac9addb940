// The state root as the image commands (image/commands.h, transfer_commands.h) open it, and how
// they find an image by what a user types: a name ("busybox", "app:v1", as stored or
// normalised), a name with a digest ("busybox@sha256:..."), or an image ID prefix ("3f57d9401f8d",
// "sha256:3f57..."), in that order, as docker resolves them.
// Not thread-safe (one Database connection).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/descriptor.h"
#include "image/pull.h"
#include "snapshot/content_store.h"
#include "snapshot/database.h"
#include "snapshot/image_store.h"

namespace mybuild::image {

struct LocalStore {
  // Opens (creating it if needed) the store under `root`.
  explicit LocalStore(const std::filesystem::path& root);
  snapshot::ContentStore content;
  snapshot::Database db;
  snapshot::ImageStore images;
};

// True when `root` holds a store (read-only commands do not create one).
bool store_exists(const std::filesystem::path& root);

// A tag and the image it names, for this machine's platform or else any platform the store
// holds completely; `image` is nullopt when a blob it needs is missing.
struct TaggedImage {
  snapshot::TagRecord tag;
  std::optional<LocalImage> image;
};
std::vector<TaggedImage> tagged_images(LocalStore& store);

struct FoundImage {
  std::string name;  // the tag it was found by; empty when found by digest or ID
  common::Descriptor root;
};

// nullopt when nothing matches. kUsage when an ID prefix matches several images.
std::optional<FoundImage> find_image(LocalStore& store, std::string_view text);

// True when `text` could be an image ID or a prefix of one (hex, optionally "sha256:...").
bool looks_like_id(std::string_view text);

}  // namespace mybuild::image
