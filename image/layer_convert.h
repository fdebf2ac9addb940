// Layer conversion: the local store keeps what `mybuild build` makes uncompressed (fast to write,
// fast to unpack; containerd and BuildKit keep the compression choice for what leaves the
// store), and what leaves it -- a push, an -o type=oci|docker export -- is converted here to the
// compression asked for (gzip by default, what docker and BuildKit push).
//
//   LayerConverter converter(content, db);
//   ConvertResult r = converter.convert(image.manifest, {Compression::kZstd, 3});
//   push_image(content, r.root, client, dest);     // r.root names the zstd layers
//
// Contract:
// - convert() takes a manifest or an index (nested indexes and BuildKit's attestation
//   manifests included) and returns the descriptor to send: the same one when every layer is
//   in the requested format already, else a new manifest (and index) in the content store whose
//   layers are converted. The config, and so the diff_ids and the image ID, never change.
// - A layer whose media type has another compression is streamed decompress -> compress ->
//   content store (sha256 while writing); nothing is held in memory in proportion to it. Its
//   source digest is verified while reading, and the uncompressed digest is checked against the
//   config's diff_id: a mismatch is kIntegrity and nothing is recorded.
// - A layer already in the requested compression is reused as it is, whatever level made it
//   (the level applies to what is converted). A layer of any other compression is always
//   recompressed, never passed on under the other name (issue 4).
// - Each conversion is remembered in the store's SQLite (table layer_conversions: source digest,
//   compression, level -> converted blob), so pushing or exporting the same image again
//   converts nothing. A record whose blob has gone is ignored and the layer converted again.
// - Docker schema 2 manifests keep Docker media types for gzip and uncompressed layers; a zstd
//   conversion turns the manifest into an OCI one (Docker schema 2 has no zstd layer type), as
//   containerd's converter does.
// - Garbage collection: a converted blob is a GC root while its source blob is reachable from
//   the other roots (conversion_roots); prune then drops the records whose blobs are gone
//   (forget_stale_conversions). Converted manifests are not roots: they are made again, cheaply,
//   by the next convert(); while a converter lives, a lease keeps what it wrote.
// - Not thread-safe: one converter per thread (it uses the Database connection it is given).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "common/descriptor.h"
#include "common/digest.h"
#include "snapshot/compression.h"
#include "snapshot/content_store.h"
#include "snapshot/database.h"
#include "snapshot/leases.h"

namespace mybuild::image {

struct LayerFormat {
  snapshot::Compression compression = snapshot::Compression::kGzip;
  int level = snapshot::kDefaultLevel;  // the algorithm's default
  friend bool operator==(const LayerFormat&, const LayerFormat&) = default;
};

// "gzip" | "zstd" | "none" (or "uncompressed", BuildKit's name) and a level (-1: the default).
// kUsage for another name or a level the algorithm does not have (gzip 0..12, zstd 1..22).
LayerFormat parse_layer_format(std::string_view compression, int level = snapshot::kDefaultLevel);

struct ConvertResult {
  common::Descriptor root;    // what to push or export
  int layers_converted = 0;   // streamed through a compressor by this call
  int layers_remembered = 0;  // converted earlier, found in the conversion table
  int layers_kept = 0;        // already in the requested format (or not a layer type)
  int64_t bytes_written = 0;  // of the layers converted by this call
};

// One line per converted layer for the user ("ab12cd34ef56: Compressed to zstd (3.1 MB)").
using ConvertLog = std::function<void(std::string_view line)>;
// Called with each layer blob this call compresses, as soon as it is in the store (a push
// uploads it while the next one compresses: image/early_uploads.h).
using LayerReady = std::function<void(const common::Descriptor& blob)>;

// Sees a layer's compressed bytes while the converter writes them to the store (a push sends
// them to the registry as they come: image/streamed_upload.h). close() follows the commit; a
// conversion that fails drops the tap without it.
class LayerTap : public common::Writer {
 public:
  virtual void close(const common::Descriptor& blob) = 0;
};
using OpenLayerTap = std::function<std::unique_ptr<LayerTap>()>;

class LayerConverter {
 public:
  // Creates the conversion table on first use.
  LayerConverter(const snapshot::ContentStore& content, snapshot::Database& db);
  LayerConverter(const LayerConverter&) = delete;
  LayerConverter& operator=(const LayerConverter&) = delete;

  // kNotFound when a manifest, or a layer that needs converting, is not in the store;
  // kIntegrity for a corrupt blob or a malformed manifest.
  // `tap`, when set, opens a tap for each layer this call compresses.
  ConvertResult convert(const common::Descriptor& root, const LayerFormat& format,
                        const ConvertLog& log = {}, const LayerReady& ready = {},
                        const OpenLayerTap& tap = {});

 private:
  struct Walk;
  common::Descriptor convert_node(const common::Descriptor& d, Walk& walk, int depth);
  common::Descriptor convert_index(const common::Descriptor& d, Walk& walk, int depth);
  common::Descriptor convert_manifest(const common::Descriptor& d, Walk& walk);
  common::Descriptor convert_layer(const common::Descriptor& layer,
                                   const std::optional<common::Digest>& diff_id, Walk& walk);
  // Streams `layer` through the compressor into `out`; returns its diff_id (verified against the
  // source's digest and `diff_id`).
  common::Digest compress_layer(const common::Descriptor& layer,
                                const std::optional<common::Digest>& diff_id, Walk& walk,
                                common::Writer& out);
  common::Descriptor put(std::string_view json, const common::Descriptor& like);
  void hold();

  const snapshot::ContentStore& content_;
  snapshot::Database& db_;
  std::optional<snapshot::LeaseGuard> lease_;  // taken before the first write
};

// GC roots (snapshot/gc.h): the converted blobs whose source is in `reachable` (what tags,
// leases and the other roots reach). Read through `db` inside the collector's transaction; a
// store that never converted has no table and no roots.
std::vector<common::Descriptor> conversion_roots(snapshot::Database& db,
                                                 const std::set<common::Digest>& reachable);

// Deletes the records whose source or converted blob is no longer in the store (after a
// prune); returns how many.
int64_t forget_stale_conversions(snapshot::Database& db, const snapshot::ContentStore& content);

}  // namespace mybuild::image
