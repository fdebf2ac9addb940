// The SLSA v1 provenance of a build as an in-toto statement, laid out as BuildKit writes it
// (docs.docker.com/build/metadata/attestations/slsa-definitions): buildType, the config source
// (the Dockerfile by digest), the request (frontend attributes and build args; secrets by id
// only, never their values), the base images by digest as resolvedDependencies, the builder
// id and the invocation's times. mode=max adds the build steps. A pure function of its inputs.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/descriptor.h"
#include "common/digest.h"

namespace mybuild::builder {

inline constexpr std::string_view kSlsaProvenanceV1 = "https://slsa.dev/provenance/v1";
inline constexpr std::string_view kInTotoStatementV01 = "https://in-toto.io/Statement/v0.1";
inline constexpr std::string_view kBuildKitBuildType =
    "https://github.com/moby/buildkit/blob/master/docs/attestations/slsa-definitions.md";
inline constexpr std::string_view kMybuildBuilderId = "https://github.com/mybuild/mybuild";

struct ResolvedDependency {
  std::string name;  // normalised reference as FROM resolved it
  common::Platform platform;
  common::Digest digest;  // of what the name pointed at (index or manifest)
};

struct BuildStepText {
  std::string stage;  // the stage's name, or its index
  std::string text;   // the instruction as written
};

struct ProvenanceInputs {
  bool max = false;
  std::string builder_id;       // empty: kMybuildBuilderId
  std::string dockerfile_path;  // relative to the context when inside it, as BuildKit records
  common::Digest dockerfile_digest;
  common::Digest context_digest;  // of every file the context offers (after .dockerignore)
  std::map<std::string, std::string> build_args;
  std::vector<std::string> secret_ids;
  std::vector<std::string> named_contexts;  // --build-context names
  std::string target;
  common::Platform platform;
  std::vector<ResolvedDependency> dependencies;
  std::string invocation_id;
  std::string started_on;  // RFC 3339
  std::string finished_on;
  std::vector<BuildStepText> steps;  // used with max only
};

// "pkg:docker/docker.io/library/busybox@latest?platform=linux%2Famd64": BuildKit's purl.
std::string docker_purl(const std::string& name, const common::Platform& platform);

nlohmann::json provenance_predicate(const ProvenanceInputs& in);

// The statement about `subject` (the image manifest) named by each of `names`.
nlohmann::json provenance_statement(const ProvenanceInputs& in,
                                    const std::vector<std::string>& names,
                                    const common::Descriptor& subject);

}  // namespace mybuild::builder
