// Gathers what the provenance records from a finished build: the Dockerfile by digest, the
// context's checksum (the same one COPY . uses, through the file memo), the base images the
// session resolved, the steps (mode=max). The statement itself is provenance.h's pure function.
#pragma once

#include <filesystem>
#include <string>

#include "builder/attest/provenance.h"
#include "builder/output_options.h"
#include "builder/stage/build_session.h"

namespace mybuild::builder {

struct DockerfileFacts {
  std::string text;
  std::filesystem::path path;  // empty when it came on stdin
};

ProvenanceInputs gather_provenance(BuildSession& session, const DockerfileFacts& dockerfile,
                                   const ProvenanceOptions& options,
                                   const common::Platform& platform, const std::string& started_on);

// The instructions of the stages the build ran, as written (from the Dockerfile's lines).
std::vector<BuildStepText> step_texts(const parser::Dockerfile& dockerfile, const BuildPlan& plan,
                                      const std::string& text);

}  // namespace mybuild::builder
