#include "builder/attest/image_roots.h"

#include "builder/attest/image_index.h"

namespace mybuild::builder {

using common::Descriptor;

ImageRoots::ImageRoots(const snapshot::ContentStore& content, image::LayerConverter& converter,
                       snapshot::LeaseGuard& lease, AnnotationSet annotations,
                       StatementMaker statement)
    : content_(content),
      converter_(converter),
      lease_(lease),
      annotations_(std::move(annotations)),
      statement_(std::move(statement)) {}

Descriptor ImageRoots::stored(const Descriptor& manifest) { return wrap(manifest); }

Descriptor ImageRoots::converted(const Descriptor& manifest, const image::LayerFormat& format,
                                 const image::ConvertLog& log) {
  Descriptor root = converter_.convert(manifest, format, log).root;
  root.platform = manifest.platform;
  return wrap(root);
}

Descriptor ImageRoots::for_layout(Descriptor root) const {
  for (const auto& [k, v] : annotations_.index_descriptor) root.annotations[k] = v;
  return root;
}

Descriptor ImageRoots::wrap(const Descriptor& manifest) {
  if (!statement_ && !annotations_.wants_index()) return manifest;
  if (auto it = wrapped_.find(manifest.digest.str()); it != wrapped_.end()) return it->second;
  IndexParts parts{.manifest = manifest,
                   .manifest_descriptor_annotations = annotations_.manifest_descriptor,
                   .index_annotations = annotations_.index,
                   .attestation = std::nullopt};
  if (statement_) parts.attestation = write_attestation(content_, manifest, statement_(manifest));
  // Leased as soon as written: a prune running beside this build must not take them before
  // a tag or a push refers to them.
  if (parts.attestation) lease_.add(parts.attestation->digest);
  Descriptor index = write_image_index(content_, parts);
  lease_.add(index.digest);
  wrapped_[manifest.digest.str()] = index;
  return index;
}

}  // namespace mybuild::builder
