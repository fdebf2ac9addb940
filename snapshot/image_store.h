// ImageStore: image names (tags) -> manifest or index descriptors.
//
// The truth is the SQLite table `tags` (plus `tag_history`, one row per tag/untag); the OCI
// layout's index.json is a view of it, rewritten after every change with one entry per tag
// carrying the annotation org.opencontainers.image.ref.name = the tag's familiar form, so
//   skopeo inspect oci:<root>/oci:app:v1      and      umoci ls --layout <root>/oci
// read the store as it is (image-spec image-layout.md, annotations.md).
//
// Contract:
// - Names are stored as given ("app:v1", "docker.io/library/alpine:latest"); normalising them
//   is the registry module's job. familiar_name() only shortens Docker Hub names for the
//   annotation, as `docker images` shows them.
// - Two processes on one root stay consistent: each change is one SQLite transaction, and
//   index.json is regenerated from the committed table under an exclusive flock on
//   <root>/index.lock, written to a temp file and renamed. Whoever writes last writes the
//   latest state. A crash between the commit and the rewrite leaves index.json stale until the
//   next ImageStore opens on the root (the constructor re-syncs it).
// - The descriptor's blob need not be in the content store (tagging is metadata only).
// - Not thread-safe (it uses the Database's connection; see snapshot/database.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/descriptor.h"
#include "snapshot/content_store.h"
#include "snapshot/database.h"

namespace mybuild::snapshot {

inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";

struct TagRecord {
  std::string name;
  common::Descriptor target;  // as given to tag(), without the ref.name annotation
  int64_t updated_at = 0;     // Unix seconds
};

struct TagEvent {
  std::string name;
  std::optional<Digest> target;  // nullopt: the tag was removed
  int64_t at = 0;                // Unix seconds
};

// "docker.io/library/alpine:latest" -> "alpine:latest", "docker.io/me/app:v1" -> "me/app:v1";
// any other name is returned unchanged.
std::string familiar_name(std::string_view name);

class ImageStore {
 public:
  // Creates its tables on first use and brings index.json in line with them.
  ImageStore(const ContentStore& content, Database& db);

  // Points `name` at `target` (replacing what it pointed at); a no-op, with no history row,
  // when it already points at exactly that descriptor. kUsage on an empty name or one
  // with whitespace or control characters; kInternal on a descriptor without digest/mediaType.
  void tag(std::string_view name, const common::Descriptor& target);
  std::optional<common::Descriptor> resolve(std::string_view name);
  // False when there was no such tag.
  bool untag(std::string_view name);
  // Every tag, by name.
  std::vector<TagRecord> list();
  // What `name` pointed at over time, oldest first.
  std::vector<TagEvent> history(std::string_view name);

  // Rewrites index.json from the tags table (under the lock; only when it would change).
  void sync_index();
  // The index.json contents the tags table implies.
  std::string render_index();

 private:
  const ContentStore& content_;
  Database& db_;
};

}  // namespace mybuild::snapshot
