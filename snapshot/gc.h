// Garbage collection of the content store: mark what is reachable, sweep the rest.
//
// Roots:
//   - every tag (snapshot/image_store.h),
//   - every digest a live lease holds (snapshot/leases.h),
//   - whatever other modules register with add_roots() (the builder's cache records, ...).
// From each root the walk follows image indexes (manifests[]), manifests (config, layers[],
// subject) in OCI and Docker schema 2 media types; a root without a media type is read as
// JSON when it looks like one. Blobs that are absent (a layer never pulled) are skipped.
//
// Besides what is reachable, a blob is kept when it is not older than the oldest live lease
// (a running build may have written it and not referenced it yet), see leases.h.
//
// The whole mark-and-sweep runs inside one SQLite write transaction, so no tag, lease or other
// root can be added by another process half way through; those writers wait for it.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "common/descriptor.h"
#include "snapshot/content_store.h"
#include "snapshot/database.h"
#include "snapshot/image_store.h"
#include "snapshot/leases.h"

namespace mybuild::snapshot {

// Returns root descriptors (a digest alone, without media type, is fine). Called inside the
// collector's transaction on the same Database: read through `db`, do not open another
// connection (it would wait for the write lock this transaction holds).
using RootSource = std::function<std::vector<common::Descriptor>(Database& db)>;

struct GcOptions {
  bool dry_run = false;  // report what would go, remove nothing
};

struct GcReport {
  std::vector<BlobInfo> removed;  // (or, on a dry run, that would be)
  int64_t bytes_removed = 0;
  int64_t blobs_kept = 0;
  int ingest_removed = 0;
  int64_t leases_expired = 0;
};

class GarbageCollector {
 public:
  GarbageCollector(const ContentStore& content, Database& db);

  // `name` says where the roots come from, in errors ("build cache").
  void add_roots(std::string name, RootSource source);

  // The digests reachable from every root (call it inside a transaction for a stable answer).
  std::set<Digest> mark();
  GcReport collect(const GcOptions& options = {});

 private:
  struct Source {
    std::string name;
    RootSource roots;
  };
  void walk(const common::Descriptor& root, std::set<Digest>& seen);

  const ContentStore& content_;
  Database& db_;
  ImageStore images_;
  Leases leases_;
  std::vector<Source> sources_;
};

}  // namespace mybuild::snapshot
