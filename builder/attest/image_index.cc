#include "builder/attest/image_index.h"

#include "common/media_types.h"

namespace mybuild::builder {

using common::Descriptor;
using nlohmann::json;

Descriptor write_attestation(const snapshot::ContentStore& content, const Descriptor& subject,
                             const json& statement) {
  Descriptor layer = content.put(statement.dump(), kInTotoMediaType);
  layer.annotations[std::string(kPredicateTypeAnnotation)] =
      statement.value("predicateType", std::string());
  // The config is there for registries and tools that expect one (BuildKit's layout); readers
  // of attestations ignore it.
  json config = {{"architecture", "unknown"},
                 {"os", "unknown"},
                 {"config", json::object()},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", json::array({layer.digest.str()})}}}};
  Descriptor config_blob = content.put(config.dump(), common::media_type::kOciConfig);
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", common::media_type::kOciManifest},
                   {"config", config_blob},
                   {"layers", json::array({layer})}};
  Descriptor out = content.put(manifest.dump(), common::media_type::kOciManifest);
  common::Platform unknown;
  unknown.os = "unknown";
  unknown.architecture = "unknown";
  out.platform = unknown;
  out.annotations[std::string(kReferenceTypeAnnotation)] = std::string(kAttestationManifestType);
  out.annotations[std::string(kReferenceDigestAnnotation)] = subject.digest.str();
  return out;
}

Descriptor write_image_index(const snapshot::ContentStore& content, const IndexParts& parts) {
  json manifests = json::array();
  for (Descriptor image : parts.manifests) {
    for (const auto& [k, v] : parts.manifest_descriptor_annotations) image.annotations[k] = v;
    manifests.push_back(image);
  }
  for (const auto& a : parts.attestations) manifests.push_back(a);
  json index = {
      {"schemaVersion", 2}, {"mediaType", common::media_type::kOciIndex}, {"manifests", manifests}};
  if (!parts.index_annotations.empty()) index["annotations"] = parts.index_annotations;
  return content.put(index.dump(), common::media_type::kOciIndex);
}

}  // namespace mybuild::builder
