// What a build hands to each destination: the store, each -o type=oci|docker output and --push
// get the image manifest in their layer format, wrapped in an image index (image_index.h) when
// provenance is on or index-level annotations ask for one. The attestation is written per
// format, after the conversion, so that its subject is the digest that destination really
// holds (a pushed gzip manifest is not the store's uncompressed one).
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "builder/output_options.h"
#include "common/descriptor.h"
#include "image/layer_convert.h"
#include "snapshot/content_store.h"
#include "snapshot/leases.h"

namespace mybuild::builder {

// The in-toto statement about one image manifest (the subject).
using StatementMaker = std::function<nlohmann::json(const common::Descriptor& subject)>;

class ImageRoots {
 public:
  // `statement` empty: no provenance.
  ImageRoots(const snapshot::ContentStore& content, image::LayerConverter& converter,
             snapshot::LeaseGuard& lease, AnnotationSet annotations, StatementMaker statement);

  // The root of the image as built (layers as the store keeps them): what the names tag.
  common::Descriptor stored(const common::Descriptor& manifest);
  // The root after converting the layers to `format` (push, oci and docker outputs).
  common::Descriptor converted(const common::Descriptor& manifest, const image::LayerFormat& format,
                               const image::ConvertLog& log = {});
  // As an OCI layout's index.json entry names it: with the index-descriptor annotations.
  common::Descriptor for_layout(common::Descriptor root) const;
  // Leases `digest` for the build (a blob written but not yet tagged).
  void hold(const common::Digest& digest) { lease_.add(digest); }
  image::LayerConverter& converter() { return converter_; }

 private:
  common::Descriptor wrap(const common::Descriptor& manifest);

  const snapshot::ContentStore& content_;
  image::LayerConverter& converter_;
  snapshot::LeaseGuard& lease_;
  AnnotationSet annotations_;
  StatementMaker statement_;
  std::map<std::string, common::Descriptor> wrapped_;  // by manifest digest
};

}  // namespace mybuild::builder
