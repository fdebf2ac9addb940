#include "builder/stage/build_cache.h"

#include <ctime>
#include <map>
#include <nlohmann/json.hpp>

namespace mybuild::builder {

namespace {

void migrate(snapshot::Database& db) {
  db.migrate("build_cache",
             {"CREATE TABLE build_cache (key TEXT PRIMARY KEY, layer_digest TEXT, "
              "layer_media_type TEXT, layer_size INTEGER, diff_id TEXT, locator TEXT NOT NULL, "
              "inputs TEXT NOT NULL, created_at INTEGER NOT NULL);"
              "CREATE INDEX build_cache_locator ON build_cache (locator, created_at);",
              // When a hit last reused the record (prune --keep-storage and --filter until drop
              // the least recently used first); NULL until the first hit: created_at counts.
              "ALTER TABLE build_cache ADD COLUMN last_used INTEGER;"});
}

CacheRecord read_row(snapshot::Statement& st) {
  CacheRecord r;
  r.key = st.column_text(0);
  if (!st.is_null(1)) {
    image::LayerRef layer;
    layer.blob.digest = common::Digest::parse(st.column_text(1));
    layer.blob.media_type = st.column_text(2);
    layer.blob.size = st.column_int(3);
    layer.diff_id = common::Digest::parse(st.column_text(4));
    r.layer = layer;
  }
  r.locator = st.column_text(5);
  r.inputs = st.column_text(6);
  r.created_at = st.column_int(7);
  return r;
}

constexpr int64_t kLastUsedGranularity = 3600;  // seconds

constexpr const char* kColumns =
    "key, layer_digest, layer_media_type, layer_size, diff_id, locator, inputs, created_at";

}  // namespace

BuildCache::BuildCache(snapshot::Database& db) : db_(db) { migrate(db_); }

std::optional<CacheRecord> BuildCache::lookup(const std::string& key) {
  auto st = db_.prepare(std::string("SELECT ") + kColumns + " FROM build_cache WHERE key = ?");
  st.bind(1, key);
  if (!st.step()) return std::nullopt;
  CacheRecord found = read_row(st);
  // Coarse, like relatime: a hit within the hour after the last recorded one writes nothing
  // (no WAL frame per cached step of every no-op rebuild, issue 17). Prune's least-recently-used
  // order and `--filter until=` are then exact to an hour, far finer than anyone prunes by.
  const auto now = static_cast<int64_t>(std::time(nullptr));
  auto used = db_.prepare(
      "UPDATE build_cache SET last_used = ? WHERE key = ? AND "
      "(last_used IS NULL OR last_used <= ?)");
  used.bind(1, now).bind(2, key).bind(3, now - kLastUsedGranularity).run();
  return found;
}

std::optional<CacheRecord> BuildCache::last_for(const std::string& locator) {
  auto st = db_.prepare(std::string("SELECT ") + kColumns +
                        " FROM build_cache WHERE locator = ? ORDER BY created_at DESC, rowid DESC "
                        "LIMIT 1");
  st.bind(1, locator);
  if (!st.step()) return std::nullopt;
  return read_row(st);
}

void BuildCache::store(const CacheRecord& r) {
  auto st = db_.prepare(
      "INSERT OR REPLACE INTO build_cache (key, layer_digest, layer_media_type, layer_size, "
      "diff_id, locator, inputs, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, r.key);
  if (r.layer) {
    st.bind(2, r.layer->blob.digest.str());
    st.bind(3, r.layer->blob.media_type);
    st.bind(4, r.layer->blob.size);
    st.bind(5, r.layer->diff_id.str());
  } else {
    st.bind_null(2).bind_null(3).bind_null(4).bind_null(5);
  }
  st.bind(6, r.locator);
  st.bind(7, r.inputs);
  st.bind(8, r.created_at != 0 ? r.created_at : static_cast<int64_t>(std::time(nullptr)));
  st.run();
}

bool within_cache_ttl(const CacheRecord& record, std::optional<int64_t> ttl, int64_t now) {
  return !ttl || now - record.created_at <= *ttl;
}

std::vector<common::Descriptor> BuildCache::roots(snapshot::Database& db) {
  std::vector<common::Descriptor> out;
  // Called inside the collector's transaction: no migration here, a store that never built has
  // no table and so no roots.
  auto exists =
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'build_cache'");
  if (!exists.step()) return out;
  auto st =
      db.prepare("SELECT DISTINCT layer_digest FROM build_cache WHERE layer_digest IS NOT NULL");
  while (st.step()) {
    common::Descriptor d;
    d.digest = common::Digest::parse(st.column_text(0));
    out.push_back(d);
  }
  return out;
}

std::string explain_miss(const std::string& inputs_json, const std::optional<CacheRecord>& last) {
  if (!last) return "no earlier build of this step";
  auto now = nlohmann::json::parse(inputs_json, nullptr, false);
  auto before = nlohmann::json::parse(last->inputs, nullptr, false);
  if (!now.is_object() || !before.is_object()) return "inputs changed";
  std::string out;
  auto add = [&](const std::string& what) {
    if (!out.empty()) out += "; ";
    out += what;
  };
  for (auto& [name, value] : now.items()) {
    if (!before.contains(name)) {
      add(name + " is new");
    } else if (before[name] != value && value.is_array() && before[name].is_array()) {
      // Lists of K=V (env, build args): name the variables that changed.
      std::map<std::string, std::string> was, is;
      auto split = [](const nlohmann::json& list, std::map<std::string, std::string>& vars) {
        for (const auto& item : list) {
          if (!item.is_string()) continue;
          std::string kv = item.get<std::string>();
          auto eq = kv.find('=');
          vars[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
        }
      };
      split(before[name], was);
      split(value, is);
      std::string changed;
      for (const auto& [k, v] : is) {
        auto it = was.find(k);
        if (it == was.end())
          changed += (changed.empty() ? "" : ", ") + k + " added";
        else if (it->second != v)
          changed += (changed.empty() ? "" : ", ") + k + ": " + it->second + " -> " + v;
      }
      for (const auto& [k, v] : was) {
        if (!is.count(k)) changed += (changed.empty() ? "" : ", ") + k + " removed";
      }
      add(name + " changed" + (changed.empty() ? "" : " (" + changed + ")"));
    } else if (before[name] != value) {
      if (value.is_string() && before[name].is_string() && value.get<std::string>().size() < 200)
        add(name + " changed: " + before[name].get<std::string>() + " -> " +
            value.get<std::string>());
      else
        add(name + " changed");
    }
  }
  for (auto& [name, value] : before.items()) {
    if (!now.contains(name)) add(name + " is gone");
  }
  if (out.empty()) return "the cached layer is gone from the store";
  return out;
}

}  // namespace mybuild::builder
