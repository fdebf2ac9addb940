#include "image/layer_convert.h"

#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "common/document_limits.h"
#include "common/error.h"
#include "common/media_types.h"
#include "common/trace.h"

namespace mybuild::image {

using common::Descriptor;
using common::Digest;
using common::Error;
using common::ErrorKind;
using nlohmann::json;
using snapshot::Compression;
namespace mt = common::media_type;

// A layer conversion recorded in the store. Not file-local: LayerConverter::Walk holds them.
struct StoredConversion {
  Descriptor blob;  // digest, size and OCI media type of the converted layer
  Digest diff_id;
};

namespace {

// Indexes of indexes exist (BuildKit attestations nest one level); deeper is a loop or abuse.
constexpr int kMaxIndexDepth = 8;

constexpr std::string_view kDockerLayer = "application/vnd.docker.image.rootfs.diff.tar";
constexpr std::string_view kOciNondistributableGzip =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
// An attestation manifest names the image manifest it describes (BuildKit attestations.md).
constexpr std::string_view kReferenceDigest = "vnd.docker.reference.digest";

void migrate(snapshot::Database& db) {
  db.migrate("layer_conversions",
             {"CREATE TABLE layer_conversions (source TEXT NOT NULL, compression TEXT NOT NULL, "
              "level INTEGER NOT NULL, digest TEXT NOT NULL, size INTEGER NOT NULL, "
              "media_type TEXT NOT NULL, diff_id TEXT NOT NULL, created_at INTEGER NOT NULL, "
              "PRIMARY KEY (source, compression, level));"});
}

bool table_exists(snapshot::Database& db) {
  auto st =
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'layer_conversions'");
  return st.step();
}

// Foreign (Windows base) and non-distributable layers are never pushed or rewritten: their
// bytes live at their URLs, and their digests must stay what the publisher wrote.
bool never_converted(std::string_view media_type) {
  return media_type == mt::kDockerLayerForeign ||
         media_type.find("nondistributable") != std::string_view::npos;
}

// The layer media type for `c` in a manifest of `manifest_type`: Docker schema 2 has its own
// names for gzip and plain tars, and none for zstd (the manifest becomes OCI then).
std::string layer_type(Compression c, bool docker) {
  if (docker && c == Compression::kGzip) return std::string(mt::kDockerLayerGzip);
  if (docker && c == Compression::kNone) return std::string(kDockerLayer);
  return std::string(snapshot::layer_media_type(c));
}

// Docker schema 2 -> OCI, as containerd's converter.ConvertDockerSchema2 does.
void docker_to_oci(json& manifest) {
  manifest["mediaType"] = mt::kOciManifest;
  if (manifest.contains("config") && manifest["config"].is_object()) {
    manifest["config"]["mediaType"] = mt::kOciConfig;
  }
  for (auto& l : manifest["layers"]) {
    std::string type = l.value("mediaType", "");
    if (type == mt::kDockerLayerGzip) l["mediaType"] = mt::kOciLayerGzip;
    if (type == kDockerLayer) l["mediaType"] = mt::kOciLayer;
    if (type == mt::kDockerLayerForeign) l["mediaType"] = kOciNondistributableGzip;
  }
}

json parse_object(const snapshot::ContentStore& content, const Descriptor& d, std::string_view what,
                  size_t max_bytes = 4 << 20) {
  if (!content.contains(d.digest)) {
    throw Error(ErrorKind::kNotFound,
                std::string(what) + " " + d.digest.str() + " is not in the local store");
  }
  json j = json::parse(content.read_small(d.digest, max_bytes), nullptr, false);
  if (!j.is_object()) {
    throw Error(ErrorKind::kIntegrity,
                std::string(what) + " " + d.digest.str() + " is not a JSON object");
  }
  return j;
}

// The config's diff_ids, to check each converted layer against; nullopt when the config is
// not here or does not list them (the push or export then fails on its own terms).
std::optional<std::vector<Digest>> diff_ids_of(const snapshot::ContentStore& content,
                                               const json& manifest) {
  try {
    Descriptor config = manifest.at("config").get<Descriptor>();
    if (!content.contains(config.digest)) return std::nullopt;
    json j = parse_object(content, config, "config", common::kMaxConfigBytes);
    std::vector<Digest> out;
    for (const auto& d : j.at("rootfs").at("diff_ids"))
      out.push_back(Digest::parse(d.get<std::string>()));
    return out;
  } catch (const json::exception&) {
    return std::nullopt;
  } catch (const Error&) {
    return std::nullopt;
  }
}

// Reads what the decompressor left of `source` (padding after the last frame), then checks
// that the whole blob was the one the manifest names.
void verify_source(common::DigestingReader& source, const Descriptor& blob) {
  std::vector<char> rest(common::kCopyBufferSize);
  while (source.read(rest) > 0) {
  }
  int64_t size = static_cast<int64_t>(source.bytes());
  Digest got = source.finish();
  if (size != blob.size || got != blob.digest) {
    std::string msg = "layer " + blob.digest.str();
    msg += " in the local store is corrupt: read ";
    msg += std::to_string(size);
    msg += " bytes with digest ";
    msg += got.str();
    throw Error(ErrorKind::kIntegrity, std::move(msg));
  }
}

// The converted bytes to the store and, when a push streams them, to its tap.
class ConvertedBlobTee : public common::Writer {
 public:
  ConvertedBlobTee(common::Writer& store, common::Writer* tap) : store_(store), tap_(tap) {}
  void write(std::string_view data) override {
    store_.write(data);
    if (tap_ != nullptr) tap_->write(data);
  }

 private:
  common::Writer& store_;
  common::Writer* tap_;
};

std::optional<StoredConversion> lookup(snapshot::Database& db, const Digest& source,
                                       const LayerFormat& f) {
  auto st = db.prepare(
      "SELECT digest, size, media_type, diff_id FROM layer_conversions "
      "WHERE source = ? AND compression = ? AND level = ?");
  st.bind(1, source.str()).bind(2, snapshot::to_string(f.compression)).bind(3, int64_t{f.level});
  if (!st.step()) return std::nullopt;
  auto digest = Digest::try_parse(st.column_text(0));
  auto diff_id = Digest::try_parse(st.column_text(3));
  if (!digest || !diff_id) return std::nullopt;  // a damaged row: convert again, replace it
  StoredConversion c;
  c.blob.digest = *digest;
  c.blob.size = st.column_int(1);
  c.blob.media_type = st.column_text(2);
  c.diff_id = *diff_id;
  return c;
}

void remember(snapshot::Database& db, const Digest& source, const LayerFormat& f,
              const StoredConversion& c) {
  auto st = db.prepare(
      "INSERT OR REPLACE INTO layer_conversions (source, compression, level, digest, size, "
      "media_type, diff_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, source.str()).bind(2, snapshot::to_string(f.compression)).bind(3, int64_t{f.level});
  st.bind(4, c.blob.digest.str()).bind(5, c.blob.size).bind(6, c.blob.media_type);
  st.bind(7, c.diff_id.str()).bind(8, static_cast<int64_t>(std::time(nullptr)));
  st.run();
}

}  // namespace

LayerFormat parse_layer_format(std::string_view compression, int level) {
  LayerFormat f;
  f.compression = snapshot::parse_compression(compression);
  if (level < 0 && level != snapshot::kDefaultLevel) {
    throw Error(ErrorKind::kUsage, "compression level " + std::to_string(level) + " is negative");
  }
  if (f.compression == Compression::kNone) return f;  // no level to speak of
  f.level = level;
  // The compressors know their ranges; ask one rather than keep a second copy of them here.
  common::NullWriter sink;
  snapshot::make_compressor(f.compression, sink, f.level, 1);
  return f;
}

struct LayerConverter::Walk {
  LayerFormat format;
  const ConvertLog* log = nullptr;
  const LayerReady* ready = nullptr;
  const OpenLayerTap* tap = nullptr;
  ConvertResult result;
  std::map<Digest, StoredConversion> done;  // a layer two manifests of an index share, once
};

LayerConverter::LayerConverter(const snapshot::ContentStore& content, snapshot::Database& db)
    : content_(content), db_(db) {
  migrate(db_);
}

ConvertResult LayerConverter::convert(const Descriptor& root, const LayerFormat& format,
                                      const ConvertLog& log, const LayerReady& ready,
                                      const OpenLayerTap& tap) {
  Walk walk;
  walk.tap = &tap;
  walk.format = format;
  walk.log = &log;
  walk.ready = &ready;
  try {
    walk.result.root = convert_node(root, walk, 0);
  } catch (Error& e) {
    e.add_context("converting " + root.digest.str() + " to " +
                  std::string(snapshot::to_string(format.compression)));
    throw;
  } catch (const json::exception& e) {
    throw Error(ErrorKind::kIntegrity,
                "converting " + root.digest.str() +
                    ": a manifest in the local store is malformed: " + e.what());
  }
  return walk.result;  // a new root was added to the lease by put()
}

Descriptor LayerConverter::convert_node(const Descriptor& d, Walk& walk, int depth) {
  if (mt::is_manifest(d.media_type)) return convert_manifest(d, walk);
  if (mt::is_index(d.media_type)) return convert_index(d, walk, depth);
  return d;  // a config, an artifact, anything else: sent as it is
}

Descriptor LayerConverter::convert_index(const Descriptor& d, Walk& walk, int depth) {
  if (depth >= kMaxIndexDepth) {
    throw Error(
        ErrorKind::kIntegrity,
        "indexes nested deeper than " + std::to_string(kMaxIndexDepth) + " at " + d.digest.str());
  }
  json index = parse_object(content_, d, "index");
  if (!index.contains("manifests") || !index["manifests"].is_array()) return d;
  std::map<std::string, std::string> renamed;  // old manifest digest -> new
  for (auto& entry : index["manifests"]) {
    Descriptor child = entry.get<Descriptor>();
    // A platform the store does not hold (a partial pull) is sent as it is, or not at all.
    if (!content_.contains(child.digest)) continue;
    Descriptor converted = convert_node(child, walk, depth + 1);
    if (converted.digest == child.digest) continue;
    renamed[child.digest.str()] = converted.digest.str();
    entry["digest"] = converted.digest.str();
    entry["size"] = converted.size;
    entry["mediaType"] = converted.media_type;
  }
  if (renamed.empty()) return d;
  for (auto& entry : index["manifests"]) {
    auto a = entry.find("annotations");
    if (a == entry.end() || !a->is_object()) continue;
    auto ref = a->find(std::string(kReferenceDigest));
    if (ref == a->end() || !ref->is_string()) continue;
    if (auto it = renamed.find(ref->get<std::string>()); it != renamed.end()) *ref = it->second;
  }
  return put(index.dump(), d);
}

Descriptor LayerConverter::convert_manifest(const Descriptor& d, Walk& walk) {
  json manifest = parse_object(content_, d, "manifest");
  if (!manifest.contains("layers") || !manifest["layers"].is_array()) return d;
  json& layers = manifest["layers"];
  bool docker = d.media_type == mt::kDockerManifest;
  Compression to = walk.format.compression;
  std::optional<std::vector<Digest>> diff_ids = diff_ids_of(content_, manifest);
  if (diff_ids && diff_ids->size() != layers.size()) diff_ids.reset();

  bool changed = false;
  for (size_t i = 0; i < layers.size(); ++i) {
    Descriptor layer = layers[i].get<Descriptor>();
    auto from = snapshot::compression_of_media_type(layer.media_type);
    if (!from || *from == to || never_converted(layer.media_type)) {
      ++walk.result.layers_kept;
      continue;
    }
    std::optional<Digest> diff_id;
    if (diff_ids) diff_id = (*diff_ids)[i];
    Descriptor converted = convert_layer(layer, diff_id, walk);
    layers[i]["digest"] = converted.digest.str();
    layers[i]["size"] = converted.size;
    layers[i]["mediaType"] = layer_type(to, docker);
    changed = true;
  }
  if (!changed) return d;
  Descriptor like = d;
  if (docker && to == Compression::kZstd) {
    docker_to_oci(manifest);
    like.media_type = mt::kOciManifest;
  }
  return put(manifest.dump(), like);
}

Descriptor LayerConverter::convert_layer(const Descriptor& layer,
                                         const std::optional<Digest>& diff_id, Walk& walk) {
  const LayerFormat& f = walk.format;
  if (auto it = walk.done.find(layer.digest); it != walk.done.end()) return it->second.blob;
  if (auto known = lookup(db_, layer.digest, f)) {
    auto info = content_.info(known->blob.digest);
    if (info && info->size == known->blob.size && (!diff_id || *diff_id == known->diff_id)) {
      ++walk.result.layers_remembered;
      walk.done[layer.digest] = *known;
      return known->blob;
    }
  }
  if (!content_.contains(layer.digest)) {
    throw Error(ErrorKind::kNotFound, "layer " + layer.digest.str() + " is not in the local store");
  }
  hold();
  common::TraceTrack track("layer " + layer.digest.short_hex());
  common::TraceSpan span("compress to " + std::string(snapshot::to_string(f.compression)) +
                         ", digest, write blob");
  auto writer = content_.writer("converting " + layer.digest.str());
  std::unique_ptr<LayerTap> tap = *walk.tap ? (*walk.tap)() : nullptr;
  ConvertedBlobTee both(*writer, tap.get());
  StoredConversion c;
  c.diff_id = compress_layer(layer, diff_id, walk, both);
  c.blob.size = static_cast<int64_t>(writer->bytes_written());
  c.blob.digest = writer->commit(c.blob.size);
  c.blob.media_type = std::string(snapshot::layer_media_type(f.compression));
  if (tap) tap->close(c.blob);
  remember(db_, layer.digest, f, c);
  walk.done[layer.digest] = c;
  ++walk.result.layers_converted;
  walk.result.bytes_written += c.blob.size;
  if (*walk.log) {
    (*walk.log)(layer.digest.short_hex() + ": Compressed to " +
                std::string(snapshot::to_string(f.compression)) + " as " +
                c.blob.digest.short_hex());
  }
  if (*walk.ready) (*walk.ready)(c.blob);
  return c.blob;
}

Digest LayerConverter::compress_layer(const Descriptor& layer, const std::optional<Digest>& diff_id,
                                      Walk& walk, common::Writer& out) {
  Compression from = *snapshot::compression_of_media_type(layer.media_type);
  auto in = content_.open(layer.digest);
  common::DigestingReader source(*in);
  auto compressor = snapshot::make_compressor(walk.format.compression, out, walk.format.level);
  Digest got;
  if (from == Compression::kNone) {
    // The source is the tar itself: its digest is the diff_id, so one hash serves both (a
    // second pass over a 1 GiB layer costs 0.6 s of a core the compressor wants).
    common::copy_stream(source, *compressor);
    compressor->finish();
    got = layer.digest;
    verify_source(source, layer);
  } else {
    auto plain = snapshot::open_decompressed(source);
    common::DigestingWriter tar(*compressor);
    common::copy_stream(*plain, tar);
    compressor->finish();
    got = tar.finish();
    plain.reset();
    verify_source(source, layer);
  }
  if (diff_id && got != *diff_id) {
    throw Error(ErrorKind::kIntegrity, "layer " + layer.digest.str() + " decompresses to " +
                                           got.str() + ", but the image config says " +
                                           diff_id->str());
  }
  return got;
}

Descriptor LayerConverter::put(std::string_view text, const Descriptor& like) {
  Descriptor out = like;
  out.digest = Digest::sha256_of(text);
  out.size = static_cast<int64_t>(text.size());
  hold();
  lease_->add(out.digest);  // before the check, so a prune cannot take what is found
  // A warm push finds the manifest it made last time; writing it again costs two fsyncs.
  auto info = content_.info(out.digest);
  if (!info || info->size != out.size) out.digest = content_.put(text, like.media_type).digest;
  return out;
}

void LayerConverter::hold() {
  // Blobs written after a live lease began are kept by prune (snapshot/leases.h); a day is
  // longer than any push, and the lease goes with the converter anyway.
  if (!lease_) lease_.emplace(db_, std::chrono::hours(24), "converting layers");
}

std::vector<Descriptor> conversion_roots(snapshot::Database& db,
                                         const std::set<Digest>& reachable) {
  std::vector<Descriptor> out;
  if (!table_exists(db)) return out;
  auto st = db.prepare("SELECT source, digest FROM layer_conversions");
  while (st.step()) {
    auto source = Digest::try_parse(st.column_text(0));
    auto digest = Digest::try_parse(st.column_text(1));
    if (!source || !digest || !reachable.count(*source)) continue;
    Descriptor d;
    d.digest = *digest;
    out.push_back(d);
  }
  return out;
}

int64_t forget_stale_conversions(snapshot::Database& db, const snapshot::ContentStore& content) {
  if (!table_exists(db)) return 0;
  std::vector<std::pair<std::string, std::string>> stale;  // (source, digest)
  {
    auto st = db.prepare("SELECT source, digest FROM layer_conversions");
    while (st.step()) {
      std::string source = st.column_text(0), digest = st.column_text(1);
      auto s = Digest::try_parse(source);
      auto d = Digest::try_parse(digest);
      if (!s || !d || !content.contains(*s) || !content.contains(*d)) {
        stale.emplace_back(std::move(source), std::move(digest));
      }
    }
  }
  snapshot::Transaction tx(db);
  auto del = db.prepare("DELETE FROM layer_conversions WHERE source = ? AND digest = ?");
  for (const auto& [source, digest] : stale) {
    del.reset();
    del.bind(1, source).bind(2, digest).run();
  }
  tx.commit();
  return static_cast<int64_t>(stale.size());
}

}  // namespace mybuild::image
