// Build outputs other than the local store (`-o/--output`, docker buildx's exporters):
//   type=oci,dest=PATH[,tar=false]  an OCI image layout, as a tar (default) or a directory
//   type=docker,dest=PATH           a `docker save` tar (manifest.json, repositories, config and
//                                   layers) that `docker load` and `podman load` accept
//   type=tar,dest=PATH              the final filesystem as one tar
//   type=local,dest=DIR             the final filesystem as a directory
// dest=- writes a tar to stdout (refused when stdout is a terminal, as buildx does); an existing
// device or FIFO at dest is written through. Every other output is written to a temp name
// beside dest and renamed into place, so a failed export never leaves a half-written file.
// An existing directory dest is merged into as BuildKit does: type=local copies the tree into
// it; type=oci,tar=false adds blobs and replaces same-named index.json entries. Blobs stream
// from the store (never read whole) with their digests checked; the layout tars are
// reproducible (sorted, mtime 0, owner 0:0). Implementation map: image/export_internal.h.
//
// Layer compression (type=oci and type=docker): BuildKit's exporter attributes
// compression=gzip|zstd|uncompressed and compression-level=N choose it, over the build's
// --compression (default gzip); layers stored in another compression are converted on the way
// out (image/layer_convert.h). force-compression=BOOL is accepted and changes nothing: a
// layer is always sent in the compression asked for. type=tar and type=local write the
// filesystem and ignore them.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/descriptor.h"
#include "image/layer_convert.h"
#include "snapshot/content_store.h"

namespace mybuild::image {

struct OutputSpec {
  std::string type;                          // oci | docker | tar | local | image | registry
  std::string dest;                          // path, or "-" for stdout
  bool tar = true;                           // oci only: false writes a directory layout
  std::map<std::string, std::string> attrs;  // every key=value given, as written
  std::optional<std::string> compression;    // compression=..., checked by parse_output
  std::optional<int> compression_level;      // compression-level=N
};

// Parses one --output value: "type=oci,dest=out.tar", or a bare path (BuildKit: a path alone
// means type=local,dest=PATH; "-" alone means type=tar,dest=-). Throws Error(kUsage) for an
// unknown type, a missing dest, or a malformed value.
OutputSpec parse_output(std::string_view text);

// Writes the image `manifest` (a manifest descriptor in `content`) as `spec` says. `names` are
// the image's tags (normalised references): they become ref.name annotations (oci), RepoTags
// (docker). Throws kUsage for type=image/registry (the build handles those), kResource on I/O.
void export_image(const snapshot::ContentStore& content, const common::Descriptor& manifest,
                  const std::vector<std::string>& names, const OutputSpec& spec);

// The layer format an output sends: its compression attributes, else `fallback` (the build's
// --compression and --compression-level). A level given for another compression than the
// output's does not carry over. kUsage for a bad name or level.
LayerFormat output_layer_format(const OutputSpec& spec, const LayerFormat& fallback);

// As above, after converting the layers of type=oci and type=docker outputs to
// output_layer_format(spec, fallback) through `converter`.
void export_image(LayerConverter& converter, const snapshot::ContentStore& content,
                  const common::Descriptor& manifest, const std::vector<std::string>& names,
                  const OutputSpec& spec, const LayerFormat& fallback);

}  // namespace mybuild::image
