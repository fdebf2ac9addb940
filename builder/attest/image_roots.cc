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

Descriptor ImageRoots::stored(const std::vector<Descriptor>& manifests) { return wrap(manifests); }

Descriptor ImageRoots::converted(const std::vector<Descriptor>& manifests,
                                 const image::LayerFormat& format, const image::ConvertLog& log) {
  std::vector<Descriptor> roots;
  for (const auto& manifest : manifests) {
    Descriptor root = converter_.convert(manifest, format, log).root;
    root.platform = manifest.platform;
    roots.push_back(std::move(root));
  }
  return wrap(roots);
}

Descriptor ImageRoots::for_layout(Descriptor root) const {
  for (const auto& [k, v] : annotations_.index_descriptor) root.annotations[k] = v;
  return root;
}

Descriptor ImageRoots::wrap(const std::vector<Descriptor>& manifests) {
  if (manifests.size() == 1 && !force_index_ && !statement_ && !annotations_.wants_index()) {
    return manifests[0];
  }
  std::string key;
  for (const auto& m : manifests) key += m.digest.str() + " ";
  if (auto it = wrapped_.find(key); it != wrapped_.end()) return it->second;
  IndexParts parts{.manifests = manifests,
                   .manifest_descriptor_annotations = annotations_.manifest_descriptor,
                   .index_annotations = annotations_.index,
                   .attestations = {}};
  for (const auto& manifest : manifests) {
    if (!statement_) break;
    parts.attestations.push_back(write_attestation(content_, manifest, statement_(manifest)));
    // Leased as soon as written: a prune running beside this build must not take them before
    // a tag or a push refers to them.
    lease_.add(parts.attestations.back().digest);
  }
  Descriptor index = write_image_index(content_, parts);
  lease_.add(index.digest);
  wrapped_[key] = index;
  return index;
}

}  // namespace mybuild::builder
