#include "builder/attest/provenance.h"

#include <cctype>

#include "registry/reference.h"

namespace mybuild::builder {

using nlohmann::json;

namespace {

json digest_set(const common::Digest& d) {
  json set = json::object();
  set[std::string(d.algorithm())] = std::string(d.hex());
  return set;
}

// The frontend attributes BuildKit records as the request: build args as "build-arg:NAME",
// the target, the platform and named contexts as "context:NAME".
json request_args(const ProvenanceInputs& in) {
  json args = json::object();
  for (const auto& [k, v] : in.build_args) args["build-arg:" + k] = v;
  for (const auto& name : in.named_contexts) args["context:" + name] = "input:" + name;
  if (!in.target.empty()) args["target"] = in.target;
  args["platform"] = in.platform.str();
  args["filename"] = in.dockerfile_path;
  return args;
}

json external_parameters(const ProvenanceInputs& in) {
  json secrets = json::array();
  for (const auto& id : in.secret_ids) secrets.push_back({{"id", id}, {"optional", false}});
  return {
      {"configSource",
       {{"path", in.dockerfile_path}, {"digest", digest_set(in.dockerfile_digest)}}},
      {"request",
       {{"frontend", "dockerfile.v0"},
        {"args", request_args(in)},
        {"secrets", secrets},
        {"locals", json::array({{{"name", "context"}, {"digest", digest_set(in.context_digest)}},
                                {{"name", "dockerfile"}}})}}}};
}

json resolved_dependencies(const ProvenanceInputs& in) {
  json deps = json::array();
  for (const auto& d : in.dependencies) {
    deps.push_back({{"uri", docker_purl(d.name, d.platform)}, {"digest", digest_set(d.digest)}});
  }
  return deps;
}

json build_steps(const ProvenanceInputs& in) {
  json steps = json::array();
  for (const auto& s : in.steps) steps.push_back({{"stage", s.stage}, {"instruction", s.text}});
  return steps;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string docker_purl(const std::string& name, const common::Platform& platform) {
  registry::Reference ref = registry::parse_reference(name);
  std::string repo = ref.domain == "docker.io" ? ref.path : ref.name();
  if (repo.starts_with("library/") && ref.domain == "docker.io") repo = repo.substr(8);
  std::string version = ref.digest ? ref.digest->str() : ref.tag;
  std::string purl = "pkg:docker/" + repo;
  if (!version.empty()) purl += "@" + version;
  return purl + "?platform=" + percent_encode(platform.str());
}

json provenance_predicate(const ProvenanceInputs& in) {
  json internal = {{"builderPlatform", common::Platform::host().str()}};
  if (in.max) internal["buildConfig"] = {{"steps", build_steps(in)}};
  json build_definition = {{"buildType", kBuildKitBuildType},
                           {"externalParameters", external_parameters(in)},
                           {"internalParameters", internal},
                           {"resolvedDependencies", resolved_dependencies(in)}};
  json metadata = {{"invocationID", in.invocation_id},
                   {"startedOn", in.started_on},
                   {"finishedOn", in.finished_on},
                   {"buildkit_completeness", {{"request", true}, {"resolvedDependencies", true}}},
                   {"buildkit_hermetic", false},
                   {"buildkit_reproducible", false}};
  return {{"buildDefinition", build_definition},
          {"runDetails",
           {{"builder",
             {{"id", in.builder_id.empty() ? std::string(kMybuildBuilderId) : in.builder_id}}},
            {"metadata", metadata}}}};
}

json provenance_statement(const ProvenanceInputs& in, const std::vector<std::string>& names,
                          const common::Descriptor& subject) {
  json subjects = json::array();
  const common::Platform platform = subject.platform.value_or(in.platform);
  for (const auto& n : names) {
    subjects.push_back(
        {{"name", docker_purl(n, platform)}, {"digest", digest_set(subject.digest)}});
  }
  if (names.empty()) {
    subjects.push_back({{"name", "_"}, {"digest", digest_set(subject.digest)}});
  }
  return {{"_type", kInTotoStatementV01},
          {"predicateType", kSlsaProvenanceV1},
          {"subject", subjects},
          {"predicate", provenance_predicate(in)}};
}

}  // namespace mybuild::builder
