// What names blobs: tags (index.json is their view), build cache records, layer conversions.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/descriptor.h"
#include "common/error.h"
#include "common/media_types.h"
#include "image/layer_convert.h"
#include "image/store_check_internal.h"
#include "snapshot/image_store.h"

namespace mybuild::image {
namespace {

namespace mt = common::media_type;
using common::Descriptor;
using common::Digest;

bool table_exists(snapshot::Database& db, const char* name) {
  auto st = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  st.bind(1, name);
  return st.step();
}

// "" when the blob `d` names is there, whole, with the size `d` says (when it says one).
std::string check_blob_ref(const snapshot::ContentStore& content, const Digest& digest,
                           int64_t size, const std::set<Digest>& corrupt) {
  if (corrupt.count(digest)) return digest.str() + " is corrupt";
  auto info = content.info(digest);
  if (!info) return digest.str() + " is missing";
  if (size > 0 && info->size != size) {
    return digest.str() + " has " + std::to_string(info->size) + " bytes, not " +
           std::to_string(size);
  }
  return "";
}

// Appended piecewise: GCC 12 warns (-Wrestrict, a false positive) on "\"" + text + "...".
std::string not_a_digest(const std::string& text) {
  std::string out = "\"";
  out += text;
  out += "\" is not a digest";
  return out;
}

bool may_be_absent(std::string_view layer_type) {
  return layer_type == mt::kDockerLayerForeign ||
         layer_type.find("nondistributable") != std::string_view::npos;
}

// Follows an image from its manifest or index: the manifest, its config and layers must be
// there. An index's manifests may be absent (platforms never pulled), not damaged.
std::string check_image(const snapshot::ContentStore& content, const Descriptor& d,
                        const std::set<Digest>& corrupt, CheckReport& report, int depth = 0) {
  ++report.references;
  if (std::string why = check_blob_ref(content, d.digest, d.size, corrupt); !why.empty()) {
    return why;
  }
  if (depth > 4 || (!mt::is_index(d.media_type) && !mt::is_manifest(d.media_type))) return "";
  auto doc = nlohmann::json::parse(content.read_small(d.digest), nullptr, false);
  if (!doc.is_object()) return d.digest.str() + " is not JSON";
  try {
    if (mt::is_index(d.media_type)) {
      for (const auto& m : doc.value("manifests", nlohmann::json::array())) {
        auto child = m.get<Descriptor>();
        if (!content.contains(child.digest) && !corrupt.count(child.digest)) continue;
        if (auto why = check_image(content, child, corrupt, report, depth + 1); !why.empty()) {
          return why;
        }
      }
      return "";
    }
    auto config = doc.at("config").get<Descriptor>();
    if (auto why = check_image(content, config, corrupt, report, depth + 1); !why.empty()) {
      return "config " + why;
    }
    for (const auto& l : doc.value("layers", nlohmann::json::array())) {
      auto layer = l.get<Descriptor>();
      if (may_be_absent(layer.media_type)) continue;
      ++report.references;
      if (auto why = check_blob_ref(content, layer.digest, layer.size, corrupt); !why.empty()) {
        return "layer " + why;
      }
    }
  } catch (const std::exception& e) {
    return d.digest.str() + " is not a valid manifest: " + e.what();
  }
  return "";
}

void check_tags(const snapshot::ContentStore& content, snapshot::ImageStore& images,
                const std::set<Digest>& corrupt, const CheckOptions& options, CheckReport& report) {
  for (const auto& tag : images.list()) {
    std::string why = check_image(content, tag.target, corrupt, report);
    if (why.empty()) continue;
    bool repaired = options.repair && images.untag(tag.name);
    report.problems.push_back(
        {"tag " + tag.name + " -> " + tag.target.digest.str() + ": " + why, repaired});
  }
}

// The build's step cache (table build_cache, builder/stage/build_cache.h): each record names
// the layer its step made.
void check_cache(const snapshot::ContentStore& content, snapshot::Database& db,
                 const std::set<Digest>& corrupt, const CheckOptions& options,
                 CheckReport& report) {
  if (!table_exists(db, "build_cache")) return;
  std::vector<std::pair<std::string, std::string>> dangling;  // (key, why)
  {
    auto st = db.prepare(
        "SELECT key, layer_digest, COALESCE(layer_size, 0) FROM build_cache"
        " WHERE layer_digest IS NOT NULL");
    while (st.step()) {
      ++report.references;
      auto digest = Digest::try_parse(st.column_text(1));
      std::string why = digest ? check_blob_ref(content, *digest, st.column_int(2), corrupt)
                               : not_a_digest(st.column_text(1));
      if (!why.empty()) dangling.emplace_back(st.column_text(0), why);
    }
  }
  for (const auto& [key, why] : dangling) {
    if (options.repair) db.prepare("DELETE FROM build_cache WHERE key = ?").bind(1, key).run();
    report.problems.push_back({"build cache record " + key + ": layer " + why, options.repair});
  }
}

void check_conversions(const snapshot::ContentStore& content, snapshot::Database& db,
                       const std::set<Digest>& corrupt, const CheckOptions& options,
                       CheckReport& report) {
  if (!table_exists(db, "layer_conversions")) return;
  std::vector<std::string> dangling;
  {
    auto st = db.prepare("SELECT source, digest, size FROM layer_conversions");
    while (st.step()) {
      ++report.references;
      auto digest = Digest::try_parse(st.column_text(1));
      std::string why = digest ? check_blob_ref(content, *digest, st.column_int(2), corrupt)
                               : not_a_digest(st.column_text(1));
      if (why.empty()) continue;
      std::string what = "conversion of ";
      what += st.column_text(0);
      what += ": ";
      what += why;
      dangling.push_back(std::move(what));
    }
  }
  // Removed blobs first: forget_stale_conversions drops the records of those that are gone.
  if (options.repair && !dangling.empty()) forget_stale_conversions(db, content);
  for (auto& what : dangling) report.problems.push_back({std::move(what), options.repair});
}

}  // namespace

void check_references(const snapshot::ContentStore& content, snapshot::Database& db,
                      const std::set<Digest>& corrupt, const CheckOptions& options,
                      CheckReport& report) {
  snapshot::ImageStore images(content, db);  // brings index.json in line with the tags
  check_tags(content, images, corrupt, options, report);
  check_cache(content, db, corrupt, options, report);
  check_conversions(content, db, corrupt, options, report);
}

}  // namespace mybuild::image
