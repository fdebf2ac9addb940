#include "snapshot/gc.h"

#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "common/document_limits.h"
#include "common/error.h"
#include "common/log.h"
#include "common/media_types.h"

namespace mybuild::snapshot {
namespace {

using common::Descriptor;
using common::Error;
using nlohmann::json;

bool may_have_children(const Descriptor& d) {
  namespace mt = common::media_type;
  return d.media_type.empty() || mt::is_index(d.media_type) || mt::is_manifest(d.media_type) ||
         d.media_type == "application/vnd.oci.artifact.manifest.v1+json";
}

// A child reference: only the digest and media type matter here, so a descriptor with odd
// optional fields still counts (keeping too much is safe; deleting too much is not).
std::optional<Descriptor> child(const json& j) {
  if (!j.is_object()) return std::nullopt;
  auto digest = j.find("digest");
  if (digest == j.end() || !digest->is_string()) return std::nullopt;
  auto d = Digest::try_parse(digest->get<std::string>());
  if (!d) return std::nullopt;
  Descriptor out;
  out.digest = *d;
  if (auto m = j.find("mediaType"); m != j.end() && m->is_string()) out.media_type = *m;
  return out;
}

// What an index (manifests), a manifest (config, layers, subject) or an artifact manifest
// (blobs) refers to (image-spec image-index.md, manifest.md; Docker schema 2 has the same keys).
std::vector<Descriptor> children_of(const json& doc) {
  std::vector<Descriptor> out;
  if (!doc.is_object()) return out;
  for (const char* single : {"config", "subject"}) {
    if (auto it = doc.find(single); it != doc.end()) {
      if (auto c = child(*it)) out.push_back(*c);
    }
  }
  for (const char* list : {"manifests", "layers", "blobs"}) {
    auto it = doc.find(list);
    if (it == doc.end() || !it->is_array()) continue;
    for (const auto& item : *it) {
      if (auto c = child(item)) out.push_back(*c);
    }
  }
  return out;
}

}  // namespace

GarbageCollector::GarbageCollector(const ContentStore& content, Database& db)
    : content_(content), db_(db), images_(content, db), leases_(db) {}

void GarbageCollector::add_roots(std::string name, RootSource source) {
  sources_.push_back(Source{std::move(name), std::move(source)});
}

void GarbageCollector::walk(const Descriptor& root, std::set<Digest>& seen) {
  std::vector<Descriptor> stack{root};
  while (!stack.empty()) {
    Descriptor d = std::move(stack.back());
    stack.pop_back();
    if (!seen.insert(d.digest).second) continue;
    if (!may_have_children(d)) continue;
    auto info = content_.info(d.digest);
    if (!info || info->size > common::kMaxManifestBytes) continue;
    std::string text = content_.read_small(d.digest, common::kMaxManifestBytes);
    if (d.media_type.empty() && (text.empty() || text.front() != '{')) continue;
    json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
      // Its children stay unmarked; the image is broken anyway, and prune must still work.
      common::log::warn("gc: " + d.digest.str() + " (" + d.media_type + ") is not valid JSON");
      continue;
    }
    for (auto& c : children_of(doc)) stack.push_back(std::move(c));
  }
}

std::set<Digest> GarbageCollector::mark() {
  std::set<Digest> seen;
  for (const auto& tag : images_.list()) walk(tag.target, seen);
  for (const auto& d : leases_.held(Leases::now())) {
    Descriptor root;
    root.digest = d;
    walk(root, seen);
  }
  for (const auto& source : sources_) {
    try {
      for (const auto& root : source.roots(db_)) walk(root, seen);
    } catch (Error& e) {
      e.add_context("gc roots from " + source.name);
      throw;
    }
  }
  return seen;
}

GcReport GarbageCollector::collect(const GcOptions& options) {
  GcReport report;
  Transaction tx(db_);
  int64_t now = Leases::now();
  if (!options.dry_run) report.leases_expired = leases_.expire(now);
  std::set<Digest> reachable = mark();
  // Blobs written since the oldest live lease began may belong to a build that has not
  // referenced them yet. Mtimes have whole-second precision here, hence the second of slack.
  auto live = leases_.active(now);
  std::optional<int64_t> keep_since;
  if (!live.empty()) keep_since = live.front().created_at - 1;

  // From the listing to the last removal: no commit may find a blob present in between.
  common::UniqueFd sweep = content_.lock_for_sweep();
  for (const auto& blob : content_.list()) {
    if (reachable.count(blob.digest)) {
      ++report.blobs_kept;
      continue;
    }
    if (keep_since) {
      struct stat st;
      if (::stat(content_.blob_path(blob.digest).c_str(), &st) == 0 &&
          st.st_mtim.tv_sec >= *keep_since) {
        ++report.blobs_kept;
        continue;
      }
    }
    if (!options.dry_run && !content_.remove(blob.digest)) continue;  // gone meanwhile
    report.removed.push_back(blob);
    report.bytes_removed += blob.size;
  }
  if (!options.dry_run) {
    report.ingest_removed = content_.clean_ingest();
    tx.commit();
  }
  return report;
}

}  // namespace mybuild::snapshot
