#include "builder/attest/provenance_inputs.h"

#include <mutex>
#include <random>
#include <sstream>

#include "builder/context/file_checksum.h"
#include "builder/copy/sources.h"

namespace mybuild::builder {

namespace {

// Lines first..last (1-based) of `text`, joined with newlines.
std::string lines_of(const std::string& text, int first, int last) {
  std::istringstream in(text);
  std::string out;
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (n < first) continue;
    if (n > last) break;
    out += (out.empty() ? "" : "\n") + line;
  }
  return out;
}

std::string source_text(const std::string& text, const common::SourceRange& r) {
  return lines_of(text, r.line, std::max(r.line, r.end_line));
}

// The path BuildKit records: relative to the context when the Dockerfile is inside it.
std::string dockerfile_path(const BuildSession& s, const std::filesystem::path& path) {
  if (path.empty()) return "Dockerfile";
  auto abs = std::filesystem::absolute(path).lexically_normal();
  auto root = std::filesystem::absolute(s.context.root()).lexically_normal();
  auto rel = abs.lexically_relative(root);
  if (!rel.empty() && !rel.string().starts_with("..")) return rel.string();
  return path.filename().string();
}

common::Digest context_digest(BuildSession& s) {
  const std::string all = ".";
  std::vector<CopySource> sources = resolve_copy_sources(s.context, std::span(&all, 1));
  std::lock_guard lock(s.memo_mu);
  return checksum_sources(s.context, sources, s.memo.get(),
                          {.include_mtime = false, .threads = 0, .cancel = &s.cancel});
}

// BuildKit's build refs: 25 characters of [a-z0-9].
std::string random_id() {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string id;
  for (int i = 0; i < 25; ++i) id += kChars[rd() % 36];
  return id;
}

}  // namespace

std::vector<BuildStepText> step_texts(const parser::Dockerfile& dockerfile, const BuildPlan& plan,
                                      const std::string& text) {
  std::vector<BuildStepText> steps;
  for (int index : plan.needed) {
    const parser::Stage& stage = dockerfile.stages[index];
    std::string label = stage.name.empty() ? std::to_string(index) : stage.name;
    steps.push_back({label, source_text(text, stage.range)});
    for (const auto& instruction : stage.instructions) {
      steps.push_back({label, source_text(text, parser::common_of(instruction).range)});
    }
  }
  return steps;
}

ProvenanceInputs gather_provenance(BuildSession& session, const DockerfileFacts& dockerfile,
                                   const ProvenanceOptions& options,
                                   const common::Platform& platform,
                                   const std::string& started_on) {
  const BuildRequest& r = session.request;
  ProvenanceInputs in;
  in.max = options.mode == ProvenanceOptions::Mode::kMax;
  in.builder_id = options.builder_id;
  in.dockerfile_path = dockerfile_path(session, dockerfile.path);
  in.dockerfile_digest = common::Digest::sha256_of(dockerfile.text);
  in.context_digest = context_digest(session);
  in.build_args = r.build_args;
  for (const auto& [id, value] : r.secrets) in.secret_ids.push_back(id);
  for (const auto& [name, value] : r.named_contexts) in.named_contexts.push_back(name);
  in.target = r.target;
  in.platform = platform;
  {
    std::lock_guard lock(session.pull_mu);
    for (const auto& [key, image] : session.pulled) {
      const auto bar = key.rfind('|');
      common::Platform p = common::Platform::parse(key.substr(bar + 1));
      in.dependencies.push_back({image.name, p, image.root.digest});
    }
  }
  in.invocation_id = random_id();
  in.started_on = started_on;
  if (in.max) in.steps = step_texts(session.dockerfile, session.plan, dockerfile.text);
  return in;
}

}  // namespace mybuild::builder
