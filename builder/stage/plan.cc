#include "builder/stage/plan.h"

#include <algorithm>
#include <cctype>
#include <functional>

#include "common/error.h"
#include "parser/word_expansion.h"

namespace mybuild::builder {

using common::Error;
using common::ErrorKind;

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "--from=x" / "from=x" values of RUN --mount flags.
std::optional<std::string> mount_from(const std::string& mount) {
  size_t pos = 0;
  while (pos <= mount.size()) {
    size_t comma = mount.find(',', pos);
    std::string field =
        mount.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (field.rfind("from=", 0) == 0) return field.substr(5);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return std::nullopt;
}

}  // namespace

parser::Env platform_args(const common::Platform& target, const common::Platform& build) {
  parser::Env env;
  env.set("TARGETPLATFORM", target.str());
  env.set("TARGETOS", target.os);
  env.set("TARGETARCH", target.architecture);
  env.set("TARGETVARIANT", target.variant);
  env.set("BUILDPLATFORM", build.str());
  env.set("BUILDOS", build.os);
  env.set("BUILDARCH", build.architecture);
  env.set("BUILDVARIANT", build.variant);
  return env;
}

std::optional<int> find_stage(const std::vector<StagePlan>& stages, const std::string& name,
                              int before) {
  int limit = before < 0 ? static_cast<int>(stages.size()) : before;
  if (all_digits(name)) {
    int i = std::stoi(name);
    if (i < limit) return i;
    return std::nullopt;
  }
  std::string wanted = lower(name);
  for (int i = limit - 1; i >= 0; --i) {
    if (!stages[i].name.empty() && stages[i].name == wanted) return i;
  }
  return std::nullopt;
}

namespace {

// Global scope: the automatic platform args, then the ARGs before the first FROM (an ARG
// declared without a value and not given is known but unset: nothing to set).
parser::Env global_args_of(const parser::Dockerfile& file,
                           const std::map<std::string, std::string>& build_args,
                           const common::Platform& target_platform,
                           const parser::WordOptions& wopts) {
  parser::Env args = platform_args(target_platform, common::Platform::host());
  for (const auto& arg : file.global_args) {
    for (const auto& decl : arg.args) {
      if (auto it = build_args.find(decl.name); it != build_args.end()) {
        args.set(decl.name, it->second);
      } else if (decl.default_value) {
        args.set(decl.name, parser::expand_word(*decl.default_value, args, wopts));
      }
    }
  }
  return args;
}

// The stages and images an instruction reads: COPY --from, RUN --mount from=.
std::vector<std::string> froms_of(const parser::Instruction& ins) {
  std::vector<std::string> froms;
  if (const auto* c = std::get_if<parser::Copy>(&ins); c && c->from) froms.push_back(*c->from);
  if (const auto* r = std::get_if<parser::Run>(&ins)) {
    for (const auto& m : r->mounts) {
      if (auto f = mount_from(m)) froms.push_back(*f);
    }
  }
  return froms;
}

void add_reads(StagePlan& sp, const parser::Dockerfile& file, const parser::Stage& stage,
               const BuildPlan& plan, const parser::WordOptions& wopts) {
  for (const auto& ins : stage.instructions) {
    for (const auto& raw : froms_of(ins)) {
      std::string from = parser::expand_word(raw, plan.global_args, wopts);
      if (auto s = find_stage(plan.stages, from, stage.index)) {
        sp.depends_on.insert(*s);
      } else if (std::any_of(file.stages.begin() + stage.index, file.stages.end(),
                             [&](const parser::Stage& later) {
                               return lower(later.name) == lower(from);
                             })) {
        throw Error(ErrorKind::kDockerfile, "stage \"" + from + "\" is used before it is defined",
                    parser::common_of(ins).range);
      } else if (all_digits(from)) {
        throw Error(ErrorKind::kDockerfile,
                    "invalid stage index " + from + ": only earlier stages can be used",
                    parser::common_of(ins).range);
      } else {
        sp.images.insert(from);
      }
    }
  }
}

StagePlan plan_stage(const parser::Dockerfile& file, const parser::Stage& stage,
                     const BuildPlan& plan, const common::Platform& target_platform,
                     const parser::WordOptions& wopts) {
  StagePlan sp;
  sp.index = stage.index;
  sp.name = lower(stage.name);
  sp.display_name = stage.name.empty() ? "stage-" + std::to_string(stage.index) : sp.name;
  try {
    sp.base = parser::expand_word(stage.base, plan.global_args, wopts);
    sp.platform = target_platform;
    if (stage.platform) {
      sp.platform =
          common::Platform::parse(parser::expand_word(*stage.platform, plan.global_args, wopts));
    }
  } catch (Error& e) {
    if (!e.where()) e.set_where(stage.range);
    throw;
  }
  if (sp.base.empty()) {
    throw Error(ErrorKind::kDockerfile, "base name (" + stage.base + ") should not be blank",
                stage.range);
  }
  if (auto s = find_stage(plan.stages, sp.base, stage.index); s && !all_digits(sp.base)) {
    sp.base_stage = s;
    sp.depends_on.insert(*s);
  } else if (lower(sp.base) == "scratch") {
    sp.scratch = true;
  }
  add_reads(sp, file, stage, plan, wopts);
  return sp;
}

int target_index(const std::vector<StagePlan>& stages, const std::string& target) {
  if (target.empty()) return static_cast<int>(stages.size()) - 1;
  auto t = find_stage(stages, target, -1);
  if (!t || all_digits(target)) {
    // A Dockerfile content error as BuildKit reports it (exit 1), not a usage error.
    throw Error(ErrorKind::kDockerfile, "target stage \"" + target + "\" could not be found");
  }
  return *t;
}

// The target and what it reads, transitively; without skipping, every stage up to the target.
std::vector<int> needed_stages(const BuildPlan& plan, bool skip_unused_stages) {
  std::set<int> needed;
  std::function<void(int)> visit = [&](int i) {
    if (!needed.insert(i).second) return;
    for (int d : plan.stages[i].depends_on) visit(d);
  };
  visit(plan.target);
  if (!skip_unused_stages) {
    for (int i = 0; i <= plan.target; ++i) visit(i);
  }
  return {needed.begin(), needed.end()};
}

}  // namespace

BuildPlan plan_build(const parser::Dockerfile& file,
                     const std::map<std::string, std::string>& build_args,
                     const std::string& target, const common::Platform& target_platform,
                     bool skip_unused_stages) {
  BuildPlan plan;
  parser::WordOptions wopts{file.escape_token};
  plan.global_args = global_args_of(file, build_args, target_platform, wopts);
  for (const auto& stage : file.stages) {
    plan.stages.push_back(plan_stage(file, stage, plan, target_platform, wopts));
  }
  if (plan.stages.empty()) throw Error(ErrorKind::kDockerfile, "the Dockerfile has no FROM");
  plan.target = target_index(plan.stages, target);
  plan.needed = needed_stages(plan, skip_unused_stages);
  return plan;
}

}  // namespace mybuild::builder
