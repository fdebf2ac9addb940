// export_image: picks the exporter for an --output spec (the pieces are the export_*.cc files;
// image/export_internal.h is their map).
#include "image/export.h"

#include <string>

#include "common/error.h"
#include "image/export_internal.h"

namespace mybuild::image {

using common::Error;
using common::ErrorKind;

void export_image(const snapshot::ContentStore& content, const common::Descriptor& manifest,
                  const std::vector<std::string>& names, const OutputSpec& spec) {
  if (spec.type == "image" || spec.type == "registry") {
    throw Error(ErrorKind::kUsage,
                "type=" + spec.type + " is handled by the build, not by export_image");
  }
  OutputSpec out = spec;
  // "out/" names the directory "out": its parent is ".", not "out".
  while (out.dest.size() > 1 && out.dest.back() == '/') out.dest.pop_back();
  if (out.dest.empty()) throw Error(ErrorKind::kUsage, "type=" + spec.type + " needs dest=PATH");
  // parse_output refuses these too; a spec built by hand must not create a directory named "-".
  if (!out.tar && out.type != "oci") {
    throw Error(ErrorKind::kUsage, "tar=false is supported by type=oci only");
  }
  if (out.dest == "-" && (out.type == "local" || !out.tar)) {
    throw Error(ErrorKind::kUsage, "type=" + spec.type + " writes a directory, not to stdout");
  }
  try {
    if (out.type == "oci" || out.type == "docker") {
      export_internal::export_layout(content, manifest, names, out);
    } else if (out.type == "tar" || out.type == "local") {
      export_internal::export_rootfs(content, manifest, out);
    } else {
      throw Error(ErrorKind::kUsage, "unknown output type \"" + spec.type + "\"");
    }
  } catch (Error& e) {
    e.add_context("exporting " + manifest.digest.str() + " as type=" + spec.type + " to " +
                  (spec.dest == "-" ? std::string("stdout") : spec.dest));
    throw;
  }
}

LayerFormat output_layer_format(const OutputSpec& spec, const LayerFormat& fallback) {
  if (!spec.compression) {
    return parse_layer_format(snapshot::to_string(fallback.compression),
                              spec.compression_level.value_or(fallback.level));
  }
  LayerFormat f = parse_layer_format(*spec.compression);
  int level = f.compression == fallback.compression ? fallback.level : snapshot::kDefaultLevel;
  return parse_layer_format(*spec.compression, spec.compression_level.value_or(level));
}

void export_image(LayerConverter& converter, const snapshot::ContentStore& content,
                  const common::Descriptor& manifest, const std::vector<std::string>& names,
                  const OutputSpec& spec, const LayerFormat& fallback) {
  if (spec.type != "oci" && spec.type != "docker") {
    export_image(content, manifest, names, spec);
    return;
  }
  common::Descriptor root;
  try {
    root = converter.convert(manifest, output_layer_format(spec, fallback)).root;
  } catch (Error& e) {
    e.add_context("exporting " + manifest.digest.str() + " as type=" + spec.type);
    throw;
  }
  export_image(content, root, names, spec);
}

}  // namespace mybuild::image
