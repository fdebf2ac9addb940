// The image index a build writes when it has more to say than one manifest: an attestation
// (--provenance) or index-level annotations. Laid out as BuildKit stores attestations
// (docs.docker.com/build/metadata/attestations/attestation-storage):
//
//   index (annotations: index:...)
//   ├─ image manifest          platform linux/amd64, annotations: manifest-descriptor:...
//   └─ attestation manifest    platform unknown/unknown, annotations
//        vnd.docker.reference.type=attestation-manifest, vnd.docker.reference.digest=<image>
//        config: {"architecture":"unknown","os":"unknown",...} (for compatibility only)
//        layers: [application/vnd.in-toto+json, in-toto.io/predicate-type=<type>]
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/descriptor.h"
#include "snapshot/content_store.h"

namespace mybuild::builder {

inline constexpr std::string_view kInTotoMediaType = "application/vnd.in-toto+json";
inline constexpr std::string_view kPredicateTypeAnnotation = "in-toto.io/predicate-type";
inline constexpr std::string_view kReferenceTypeAnnotation = "vnd.docker.reference.type";
inline constexpr std::string_view kReferenceDigestAnnotation = "vnd.docker.reference.digest";
inline constexpr std::string_view kAttestationManifestType = "attestation-manifest";

// Writes the attestation manifest holding `statement` (an in-toto statement about `subject`);
// returns its descriptor as the index names it (platform and reference annotations set).
common::Descriptor write_attestation(const snapshot::ContentStore& content,
                                     const common::Descriptor& subject,
                                     const nlohmann::json& statement);

struct IndexParts {
  common::Descriptor manifest;  // the image manifest, its platform set
  std::map<std::string, std::string> manifest_descriptor_annotations;
  std::map<std::string, std::string> index_annotations;
  std::optional<common::Descriptor> attestation;  // from write_attestation
};

// Writes the OCI index of `parts`; returns its descriptor.
common::Descriptor write_image_index(const snapshot::ContentStore& content,
                                     const IndexParts& parts);

}  // namespace mybuild::builder
