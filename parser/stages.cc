#include "parser/stages.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <map>
#include <stdexcept>

#include "common/ascii.h"
#include "common/duration.h"
#include "parser/internal/flags.h"
#include "parser/internal/problems.h"
#include "parser/internal/suggest.h"
#include "parser/parse.h"

namespace mybuild::parser {
namespace {

using internal::FlagKind;
using internal::FlagSpec;
using internal::ParsedFlags;

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

const std::vector<std::string>& instruction_names() {
  static const std::vector<std::string> names = {
      "ADD",    "ARG",   "CMD",         "COPY",  "ENTRYPOINT", "ENV",
      "EXPOSE", "FROM",  "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD",
      "RUN",    "SHELL", "STOPSIGNAL",  "USER",  "VOLUME",     "WORKDIR"};
  return names;
}

[[noreturn]] void fail(std::string message) { throw std::invalid_argument(std::move(message)); }

bool is_instruction(std::string_view keyword) {
  const std::vector<std::string>& names = instruction_names();
  return std::find(names.begin(), names.end(), upper(keyword)) != names.end();
}

// A problem's text as the other problems get it, through an exception's what(): up to a NUL
// byte (a keyword may hold one), so that the joined error still reads as one C string.
std::string up_to_nul(std::string message) {
  message.resize(std::strlen(message.c_str()));
  return message;
}

std::string unknown_instruction(const Node& node) {
  std::string message = "unknown instruction: " + upper(node.original);
  if (auto hint = internal::closest(node.keyword, instruction_names())) {
    message += " (did you mean " + *hint + "?)";
  }
  return message;
}

void fill_common(InstructionCommon& out, const Node& node) {
  out.keyword = node.original;
  out.raw_flags = node.flags;
  out.heredocs = node.heredocs;
  out.range = node.range;
}

ParsedFlags flags_of(const Node& node, const std::vector<FlagSpec>& allowed) {
  return internal::parse_flags(node.flags, allowed, upper(node.keyword));
}

Command command_of(const Node& node) { return Command{node.json, node.args}; }

std::string one_argument(const Node& node, std::string_view what) {
  if (node.args.size() != 1 || node.args[0].empty()) {
    fail(upper(node.keyword) + " requires exactly one argument: " + std::string(what));
  }
  return node.args[0];
}

std::vector<KeyValue> pairs_of(const Node& node) {
  if (node.args.empty()) {
    fail(upper(node.keyword) + " requires at least one argument: " + upper(node.keyword) +
         " name=value ...");
  }
  std::vector<KeyValue> out;
  // The raw node holds (name, value, separator) triples.
  for (size_t i = 0; i + 1 < node.args.size(); i += 3) {
    if (node.args[i].empty()) fail(upper(node.keyword) + " names can not be blank");
    out.push_back({node.args[i], node.args[i + 1]});
  }
  return out;
}

Run to_run(const Node& node) {
  Run out;
  fill_common(out, node);
  ParsedFlags flags = flags_of(node, {{"mount", FlagKind::kStringList},
                                      {"network", FlagKind::kString},
                                      {"security", FlagKind::kString}});
  out.mounts = flags.list("mount");
  out.network = flags.string("network");
  if (out.network && *out.network != "default" && *out.network != "none" &&
      *out.network != "host") {
    fail("bad value for --network: \"" + *out.network + "\" (expected default, none or host)");
  }
  out.security = flags.string("security");
  if (out.security && *out.security != "sandbox" && *out.security != "insecure") {
    fail("bad value for --security: \"" + *out.security + "\" (expected sandbox or insecure)");
  }
  for (const std::string& mount : out.mounts) {
    if (mount.empty()) fail("bad value for --mount: empty (expected type=...,target=...)");
  }
  out.command = command_of(node);
  if (out.command.args.empty()) fail("RUN requires a command: RUN <command> or RUN [\"exe\", ...]");
  return out;
}

Copy to_copy(const Node& node) {
  Copy out;
  fill_common(out, node);
  out.is_add = node.keyword == "add";
  std::vector<FlagSpec> allowed = {
      {"from", FlagKind::kString},        {"chown", FlagKind::kString},
      {"chmod", FlagKind::kString},       {"link", FlagKind::kBool},
      {"exclude", FlagKind::kStringList}, {"parents", FlagKind::kBool}};
  if (out.is_add) {
    allowed.erase(allowed.begin());  // ADD has no --from
    allowed.push_back({"checksum", FlagKind::kString});
    allowed.push_back({"keep-git-dir", FlagKind::kBool});
    allowed.push_back({"unpack", FlagKind::kBool});
  }
  ParsedFlags flags = flags_of(node, allowed);
  out.from = flags.string("from");
  if (out.from && out.from->empty())
    fail("bad value for --from: empty (expected a stage or image)");
  out.chown = flags.string("chown");
  out.chmod = flags.string("chmod");
  if (out.chmod && out.chmod->empty()) fail("bad value for --chmod: empty (expected e.g. 0755)");
  out.link = flags.flag("link");
  out.excludes = flags.list("exclude");
  out.parents = flags.flag("parents");
  out.checksum = flags.string("checksum");
  out.keep_git_dir = flags.flag("keep-git-dir");
  out.unpack = flags.maybe_flag("unpack");
  if (node.args.size() < 2) {
    fail(upper(node.keyword) + " requires at least two arguments: " + upper(node.keyword) +
         " <source>... <destination>");
  }
  out.sources.assign(node.args.begin(), node.args.end() - 1);
  out.destination = node.args.back();
  return out;
}

Arg to_arg(const Node& node) {
  Arg out;
  fill_common(out, node);
  flags_of(node, {});
  if (node.args.empty()) fail("ARG requires at least one argument: ARG name[=default] ...");
  for (const std::string& word : node.args) {
    size_t eq = word.find('=');
    ArgDeclaration decl{word.substr(0, eq), std::nullopt};
    if (eq != std::string::npos) decl.default_value = word.substr(eq + 1);
    if (decl.name.empty()) fail("ARG names can not be blank: \"" + word + "\"");
    out.args.push_back(std::move(decl));
  }
  return out;
}

std::chrono::nanoseconds duration_flag(const ParsedFlags& flags, std::string_view name,
                                       std::optional<std::chrono::nanoseconds>& into) {
  if (auto text = flags.string(name)) {
    auto d = common::parse_duration(*text);
    if (!d || d->count() < 0) {
      fail("bad value for --" + std::string(name) + ": \"" + *text +
           "\" (expected a duration such as 30s, 1m30s or 500ms)");
    }
    if (d->count() != 0 && *d < std::chrono::milliseconds(1)) {
      fail("--" + std::string(name) + " cannot be less than 1ms");
    }
    into = *d;
  }
  return into.value_or(std::chrono::nanoseconds(0));
}

Healthcheck to_healthcheck(const Node& node) {
  Healthcheck out;
  fill_common(out, node);
  ParsedFlags flags = flags_of(node, {{"interval", FlagKind::kString},
                                      {"timeout", FlagKind::kString},
                                      {"start-period", FlagKind::kString},
                                      {"start-interval", FlagKind::kString},
                                      {"retries", FlagKind::kString}});
  if (node.args.empty()) fail("HEALTHCHECK requires CMD <command> or NONE");
  std::string type = upper(node.args[0]);
  if (type == "NONE") {
    if (node.args.size() > 1) fail("HEALTHCHECK NONE takes no arguments");
    if (!node.flags.empty()) fail("HEALTHCHECK NONE takes no flags");
    out.none = true;
    return out;
  }
  if (type != "CMD")
    fail("unknown HEALTHCHECK type \"" + node.args[0] + "\" (expected CMD or NONE)");
  out.test = Command{node.json, {node.args.begin() + 1, node.args.end()}};
  if (out.test.args.empty()) fail("HEALTHCHECK CMD requires a command");
  duration_flag(flags, "interval", out.interval);
  duration_flag(flags, "timeout", out.timeout);
  duration_flag(flags, "start-period", out.start_period);
  duration_flag(flags, "start-interval", out.start_interval);
  if (auto retries = flags.string("retries")) {
    int n = 0;
    auto [end, ec] = std::from_chars(retries->data(), retries->data() + retries->size(), n);
    if (ec != std::errc() || end != retries->data() + retries->size() || n < 0) {
      fail("bad value for --retries: \"" + *retries + "\" (expected a whole number >= 0)");
    }
    out.retries = n;
  }
  return out;
}

Instruction to_instruction(const Node& node);

Onbuild to_onbuild(const Node& node) {
  Onbuild out;
  fill_common(out, node);
  flags_of(node, {});
  if (node.next.empty()) fail("ONBUILD requires an instruction: ONBUILD <INSTRUCTION> ...");
  const Node& nested = node.next[0];
  if (nested.keyword == "onbuild" || nested.keyword == "from" || nested.keyword == "maintainer") {
    fail("ONBUILD " + upper(nested.keyword) + " is not allowed");
  }
  out.expression = nested.original + (nested.text.empty() ? "" : " " + nested.text);
  out.instruction = std::make_shared<const Instruction>(to_instruction(nested));
  return out;
}

template <typename T>
T simple(const Node& node) {
  T out;
  fill_common(out, node);
  flags_of(node, {});
  return out;
}

Instruction to_instruction(const Node& node) {
  const std::string& k = node.keyword;
  if (k == "run") return to_run(node);
  if (k == "copy" || k == "add") return to_copy(node);
  if (k == "arg") return to_arg(node);
  if (k == "healthcheck") return to_healthcheck(node);
  if (k == "onbuild") return to_onbuild(node);
  if (k == "env") {
    EnvInstruction out = simple<EnvInstruction>(node);
    out.pairs = pairs_of(node);
    return out;
  }
  if (k == "label") {
    Label out = simple<Label>(node);
    out.pairs = pairs_of(node);
    return out;
  }
  if (k == "cmd") {
    Cmd out = simple<Cmd>(node);
    out.command = command_of(node);
    return out;
  }
  if (k == "entrypoint") {
    Entrypoint out = simple<Entrypoint>(node);
    out.command = command_of(node);
    return out;
  }
  if (k == "shell") {
    Shell out = simple<Shell>(node);
    if (!node.json || node.args.empty()) {
      fail(
          "SHELL requires a non-empty JSON array of strings, e.g. SHELL [\"/bin/sh\", \"-c\"]; "
          "got: " +
          node.text);
    }
    out.shell = node.args;
    return out;
  }
  if (k == "expose") {
    Expose out = simple<Expose>(node);
    if (node.args.empty()) fail("EXPOSE requires at least one port: EXPOSE 80 443/tcp");
    out.ports = node.args;
    return out;
  }
  if (k == "volume") {
    Volume out = simple<Volume>(node);
    if (node.args.empty()) fail("VOLUME requires at least one path");
    for (const auto& path : node.args) {
      if (path.empty()) fail("VOLUME paths can not be empty");
    }
    out.paths = node.args;
    return out;
  }
  if (k == "user") {
    User out = simple<User>(node);
    out.user = one_argument(node, "USER <user>[:<group>]");
    return out;
  }
  if (k == "workdir") {
    Workdir out = simple<Workdir>(node);
    out.path = one_argument(node, "WORKDIR <path>");
    return out;
  }
  if (k == "stopsignal") {
    Stopsignal out = simple<Stopsignal>(node);
    out.signal = one_argument(node, "STOPSIGNAL <signal>");
    return out;
  }
  if (k == "maintainer") {
    Maintainer out = simple<Maintainer>(node);
    out.name = one_argument(node, "MAINTAINER <name>");
    return out;
  }
  fail(unknown_instruction(node));
}

bool valid_stage_name(std::string_view name) {
  if (name.empty() || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

Stage to_stage(const Node& node, int index) {
  Stage stage;
  stage.index = index;
  stage.range = node.range;
  ParsedFlags flags = flags_of(node, {{"platform", FlagKind::kString}});
  stage.platform = flags.string("platform");
  if (node.args.empty()) fail("FROM requires an image: FROM <image> [AS <name>]");
  if (node.args.size() == 2 && common::ascii_lower(node.args[1]) == "as") {
    fail("empty stage name: expected a name after AS (FROM <image> AS <name>)");
  }
  if (node.args.size() != 1 &&
      (node.args.size() != 3 || common::ascii_lower(node.args[1]) != "as")) {
    fail("FROM requires either one or three arguments: FROM <image> [AS <name>]");
  }
  stage.base = node.args[0];
  if (node.args.size() == 3) {
    stage.name = common::ascii_lower(node.args[2]);
    if (!valid_stage_name(stage.name)) {
      fail("invalid stage name \"" + node.args[2] +
           "\": expected a letter, then letters, digits, '-', '_' or '.'");
    }
  }
  return stage;
}

}  // namespace

const InstructionCommon& common_of(const Instruction& instruction) {
  return std::visit([](const auto& i) -> const InstructionCommon& { return i; }, instruction);
}

Dockerfile parse_stages(const RawDockerfile& raw) {
  Dockerfile out;
  out.file = raw.file;
  out.escape_token = raw.escape_token;
  out.directives = raw.directives;
  std::vector<internal::Problem> problems;
  std::map<std::string, int> stage_lines;
  for (const Node& node : raw.nodes) {
    try {
      if (node.keyword == "from") {
        Stage stage = to_stage(node, static_cast<int>(out.stages.size()));
        if (!stage.name.empty()) {
          auto [it, inserted] = stage_lines.emplace(stage.name, node.range.line);
          if (!inserted) {
            out.warnings.push_back({"duplicate stage name \"" + stage.name +
                                        "\" (first used on line " + std::to_string(it->second) +
                                        "); later references use the last one",
                                    node.range});
          }
        }
        out.stages.push_back(std::move(stage));
        continue;
      }
      // The two commonest problems (in fuzzed input) are collected without a throw, which costs
      // ~20,000 instructions (more under ASan): a fifth of the fuzz target's time went to them.
      if (!is_instruction(node.keyword)) {
        problems.push_back({node.range, up_to_nul(unknown_instruction(node))});
        continue;
      }
      Instruction instruction = to_instruction(node);
      if (out.stages.empty()) {
        if (auto* arg = std::get_if<Arg>(&instruction)) {
          out.global_args.push_back(std::move(*arg));
          continue;
        }
        problems.push_back({node.range, up_to_nul("no build stage in current context: expected "
                                                  "FROM before " +
                                                  upper(node.original))});
        continue;
      }
      out.stages.back().instructions.push_back(std::move(instruction));
    } catch (const std::invalid_argument& e) {
      problems.push_back({node.range, e.what()});
    }
  }
  if (out.stages.empty() && problems.empty()) {
    common::SourceRange where =
        raw.nodes.empty() ? common::SourceRange{raw.file, 1, 0, 1} : raw.nodes.back().range;
    problems.push_back({where, "no FROM instruction: a Dockerfile needs at least one stage"});
  }
  if (!problems.empty()) internal::throw_problems(raw.file, std::move(problems));
  return out;
}

Dockerfile parse_typed(std::string_view text, std::string filename) {
  return parse_stages(parse_dockerfile(text, std::move(filename)));
}

}  // namespace mybuild::parser
