// The build as a DAG of stages (BuildKit dockerfile2llb): each stage's base after expanding the
// global ARGs, the stages it reads from (its FROM, COPY --from, RUN --mount from=), and which
// stages the target needs. Unused stages are left out unless skip_unused_stages is false.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/descriptor.h"
#include "parser/ast.h"
#include "parser/word_env.h"

namespace mybuild::builder {

struct StagePlan {
  int index = 0;
  std::string name;               // lower case, or "" (shown as stage-N)
  std::string display_name;       // name, or "stage-N"
  std::string base;               // expanded FROM argument
  std::optional<int> base_stage;  // FROM an earlier stage
  bool scratch = false;
  common::Platform platform;     // --platform expanded, else the target platform
  std::set<int> depends_on;      // stages whose result this one reads
  std::set<std::string> images;  // images named by COPY --from / mount from= (not stages)
};

struct BuildPlan {
  std::vector<StagePlan> stages;  // every stage of the Dockerfile, in order
  std::vector<int> needed;        // what gets built, in Dockerfile order (dependencies first)
  int target = 0;
  parser::Env global_args;  // global ARGs with their values (build args applied)
};

// The automatic platform args (TARGETPLATFORM, TARGETOS, ..., BUILDPLATFORM, ...).
parser::Env platform_args(const common::Platform& target, const common::Platform& build);

// Resolves `name` (a stage name, case-insensitive, or a stage index) among stages before
// `before` (all stages when before < 0).
std::optional<int> find_stage(const std::vector<StagePlan>& stages, const std::string& name,
                              int before);

// Throws Error(kUsage) for an unknown --target, kDockerfile for an empty FROM or a stage that
// names itself or a later stage.
BuildPlan plan_build(const parser::Dockerfile& file,
                     const std::map<std::string, std::string>& build_args,
                     const std::string& target, const common::Platform& target_platform,
                     bool skip_unused_stages);

}  // namespace mybuild::builder
