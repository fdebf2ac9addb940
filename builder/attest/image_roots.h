// What a build hands to each destination: the store, each -o type=oci|docker output and --push
// get the image manifests (one per platform) in their layer format, wrapped in an image index
// (image_index.h) when there are several platforms, provenance is on or index-level annotations
// ask for one. The attestation is written per
// format, after the conversion, so that its subject is the digest that destination really
// holds (a pushed gzip manifest is not the store's uncompressed one).
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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

  // The root of the image as built (layers as the store keeps them): what the names tag. Several
  // manifests (one per platform, each descriptor with its platform) always make an index.
  common::Descriptor stored(const std::vector<common::Descriptor>& manifests);
  common::Descriptor stored(const common::Descriptor& manifest) {
    return stored(std::vector<common::Descriptor>{manifest});
  }
  // The root after converting the layers to `format` (push, oci and docker outputs).
  common::Descriptor converted(const std::vector<common::Descriptor>& manifests,
                               const image::LayerFormat& format, const image::ConvertLog& log = {});
  common::Descriptor converted(const common::Descriptor& manifest, const image::LayerFormat& format,
                               const image::ConvertLog& log = {}) {
    return converted(std::vector<common::Descriptor>{manifest}, format, log);
  }
  // As an OCI layout's index.json entry names it: with the index-descriptor annotations.
  common::Descriptor for_layout(common::Descriptor root) const;
  // --index: one manifest is wrapped in an index too, as several are.
  void always_index() { force_index_ = true; }
  // Leases `digest` for the build (a blob written but not yet tagged).
  void hold(const common::Digest& digest) { lease_.add(digest); }
  image::LayerConverter& converter() { return converter_; }

 private:
  common::Descriptor wrap(const std::vector<common::Descriptor>& manifests);

  const snapshot::ContentStore& content_;
  image::LayerConverter& converter_;
  snapshot::LeaseGuard& lease_;
  AnnotationSet annotations_;
  StatementMaker statement_;
  std::map<std::string, common::Descriptor> wrapped_;  // by the manifests' digests
  bool force_index_ = false;
};

}  // namespace mybuild::builder
