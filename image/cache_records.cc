#include "image/cache_records.h"

#include <nlohmann/json.hpp>
#include <set>

#include "common/error.h"
#include "common/media_types.h"
#include "image/cache_spec.h"

namespace mybuild::image {

using common::Error;
using common::ErrorKind;
using nlohmann::json;

namespace {

json entry_json(const CacheEntry& e, bool with_blob) {
  json j = {{"key", e.key},
            {"inputs", json::parse(e.inputs, nullptr, false)},
            {"createdBy", e.created_by},
            {"createdAt", e.created_at}};
  if (j["inputs"].is_discarded()) j["inputs"] = json::object();
  if (e.layer) {
    json layer = {{"diffID", e.layer->diff_id.str()}};
    if (with_blob) layer["blob"] = e.layer->blob;
    j["layer"] = layer;
  }
  return j;
}

std::string encode(const std::vector<CacheEntry>& entries, bool with_blob,
                   const std::vector<CacheMountEntry>& mounts) {
  json list = json::array();
  for (const auto& e : entries) list.push_back(entry_json(e, with_blob));
  json out = {{"records", list}};
  if (!mounts.empty()) {  // left out when empty: a cache without mounts keeps its old bytes
    json ms = json::array();
    for (const auto& m : mounts) {
      ms.push_back({{"id", m.id}, {"diffID", m.layer.diff_id.str()}, {"blob", m.layer.blob}});
    }
    out["cacheMounts"] = ms;
  }
  return out.dump();
}

CacheEntry entry_of(const json& j, const std::vector<LayerRef>& layers) {
  CacheEntry e;
  e.key = j.at("key").get<std::string>();
  common::Digest::parse(e.key);  // a key is a digest; anything else is not our record
  e.inputs = j.at("inputs").dump();
  e.created_by = j.value("createdBy", "");
  e.created_at = j.value("createdAt", int64_t{0});
  if (j.contains("layer") && !j["layer"].is_null()) {
    LayerRef ref;
    ref.diff_id = common::Digest::parse(j["layer"].at("diffID").get<std::string>());
    if (j["layer"].contains("blob")) {
      ref.blob = j["layer"]["blob"].get<common::Descriptor>();
    } else {
      bool found = false;
      for (const auto& l : layers) {
        if (l.diff_id == ref.diff_id) ref.blob = l.blob, found = true;
      }
      if (!found)
        throw Error(ErrorKind::kIntegrity,
                    "layer " + ref.diff_id.str() + " of record " + e.key + " is not in the image");
    }
    e.layer = ref;
  }
  return e;
}

}  // namespace

std::string encode_cache_records(const std::vector<CacheEntry>& entries,
                                 const std::vector<CacheMountEntry>& mounts) {
  return encode(entries, true, mounts);
}

std::string encode_inline_records(const std::vector<CacheEntry>& entries) {
  return encode(entries, false, {});
}

std::vector<CacheMountEntry> decode_cache_mounts(std::string_view text, const std::string& what) {
  std::vector<CacheMountEntry> out;
  std::set<std::string> ids;
  try {
    json j = json::parse(text);
    if (!j.contains("cacheMounts")) return out;
    for (const auto& m : j.at("cacheMounts")) {
      CacheMountEntry e;
      e.id = m.at("id").get<std::string>();
      if (e.id.empty() || !ids.insert(e.id).second) {
        throw Error(ErrorKind::kIntegrity, "cache mount id \"" + e.id + "\" empty or repeated");
      }
      e.layer.diff_id = common::Digest::parse(m.at("diffID").get<std::string>());
      e.layer.blob = m.at("blob").get<common::Descriptor>();
      out.push_back(std::move(e));
    }
  } catch (const json::exception& e) {
    throw Error(ErrorKind::kIntegrity, what + ": malformed cache mounts: " + e.what());
  } catch (Error& e) {
    e.add_context(what + ": malformed cache mounts");
    throw;
  }
  return out;
}

std::vector<CacheEntry> decode_cache_records(std::string_view text, const std::string& what,
                                             const std::vector<LayerRef>& layers) {
  std::vector<CacheEntry> out;
  try {
    json j = json::parse(text);
    for (const auto& r : j.at("records")) out.push_back(entry_of(r, layers));
  } catch (const json::exception& e) {
    throw Error(ErrorKind::kIntegrity, what + ": malformed cache records: " + e.what());
  } catch (Error& e) {
    e.add_context(what + ": malformed cache records");
    throw;
  }
  return out;
}

std::string cache_manifest_json(const common::Descriptor& config,
                                const std::vector<CacheEntry>& entries,
                                const std::vector<CacheMountEntry>& mounts) {
  json layers = json::array();
  std::set<common::Digest> seen;
  for (const auto& e : entries) {
    if (e.layer && seen.insert(e.layer->blob.digest).second) layers.push_back(e.layer->blob);
  }
  for (const auto& m : mounts) {
    if (seen.insert(m.layer.blob.digest).second) layers.push_back(m.layer.blob);
  }
  common::Descriptor c = config;
  c.media_type = kCacheConfigMediaType;
  return json{{"schemaVersion", 2},
              {"mediaType", common::media_type::kOciManifest},
              {"config", c},
              {"layers", layers}}
      .dump();
}

}  // namespace mybuild::image
