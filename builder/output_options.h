// What pipelines ask of a build's result besides the image itself, as buildx spells it:
// --annotation (where an annotation lands) and --provenance (an SLSA attestation). Pure
// parsing, no I/O; builder/attest/ makes the index and attestation from them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/descriptor.h"

namespace mybuild::builder {

// buildx's annotation levels. A plain KEY=VALUE goes on the manifest.
enum class AnnotationLevel { kManifest, kIndex, kManifestDescriptor, kIndexDescriptor };

struct Annotation {
  std::vector<AnnotationLevel> levels;  // at least one
  std::optional<std::string> platform;  // "[linux/amd64]": only for that platform
  std::string key;
  std::string value;
};

// "KEY=VALUE", "manifest:KEY=VALUE", "index,manifest:KEY=VALUE", "manifest[linux/amd64]:K=V"
// (buildx's syntax). kUsage for an unknown level, an empty key or a missing '='.
Annotation parse_annotation(std::string_view text);

// The annotations of each level that apply to an image for `platform` (later ones win).
struct AnnotationSet {
  std::map<std::string, std::string> manifest;
  std::map<std::string, std::string> index;
  std::map<std::string, std::string> manifest_descriptor;
  std::map<std::string, std::string> index_descriptor;
  // Index-level annotations need an index to sit in: the build then writes one even without
  // an attestation (BuildKit would drop them silently).
  bool wants_index() const { return !index.empty() || !manifest_descriptor.empty(); }
};
AnnotationSet annotations_for(const std::vector<Annotation>& all, const common::Platform& platform);

// --provenance: off by default (buildx's default-on attestation turned single-manifest pushes
// into indexes and broke pipelines that expected a manifest, docker/buildx#1509).
struct ProvenanceOptions {
  enum class Mode { kOff, kMin, kMax };
  Mode mode = Mode::kOff;
  std::string builder_id;  // builder-id=...; empty: mybuild's own
  bool on() const { return mode != Mode::kOff; }
};

// "false"|"0" off; "true"|"1"|"min" min; "max"; or CSV "mode=min|max[,builder-id=URI]" (also
// "disabled=true"). kUsage otherwise.
ProvenanceOptions parse_provenance(std::string_view text);

}  // namespace mybuild::builder
