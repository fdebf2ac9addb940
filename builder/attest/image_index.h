// The image index a build writes when it has more to say than one manifest: several platforms
// (--platform a,b), an attestation (--provenance) or index-level annotations. Laid out as BuildKit
// stores attestations (docs.docker.com/build/metadata/attestations/attestation-storage):
//
//   index (annotations: index:...)
//   ├─ image manifest          platform linux/amd64, annotations: manifest-descriptor:...
//   ├─ image manifest          platform linux/arm64 (one per platform, as buildx orders them)
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
#include <vector>

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
  std::vector<common::Descriptor> manifests;  // the image manifests, each with its platform set
  std::map<std::string, std::string> manifest_descriptor_annotations;
  std::map<std::string, std::string> index_annotations;
  std::vector<common::Descriptor> attestations;  // from write_attestation, after the images
};

// Writes the OCI index of `parts`; returns its descriptor.
common::Descriptor write_image_index(const snapshot::ContentStore& content,
                                     const IndexParts& parts);

}  // namespace mybuild::builder
