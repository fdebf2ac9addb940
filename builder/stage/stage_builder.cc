#include "builder/stage/stage_builder.h"

#include <csignal>
#include <cstring>

#include "builder/stage/build_inputs.h"
#include "builder/stage/healthcheck.h"
#include "builder/stage/history_text.h"
#include "common/error.h"
#include "common/log.h"
#include "parser/stages.h"
#include "registry/reference.h"

namespace mybuild::builder {

using common::Error;
using common::ErrorKind;

namespace {

// The reference as the progress shows it ("busybox" -> "docker.io/library/busybox:latest"), or
// nothing when it does not parse.
std::optional<std::string> normalized_reference(const std::string& text) {
  try {
    return registry::parse_reference(text).str();
  } catch (const Error& e) {
    common::log::debug("FROM " + text + " is not a reference (" + e.what() + ")");
    return std::nullopt;
  }
}

std::string ltrim(std::string s) {
  size_t i = s.find_first_not_of(" \t");
  return i == std::string::npos ? "" : s.substr(i);
}

bool is_platform_arg(const std::string& name) {
  return name.rfind("TARGET", 0) == 0 || name.rfind("BUILD", 0) == 0;
}

// Docker's nat.ParsePortSpec subset: "80", "80/udp", "8000-8002/tcp" -> "80/tcp", ...
std::vector<std::string> normalize_ports(const std::string& spec,
                                         const common::SourceRange& where) {
  std::string port = spec, proto = "tcp";
  if (auto slash = spec.find('/'); slash != std::string::npos) {
    port = spec.substr(0, slash);
    proto = spec.substr(slash + 1);
  }
  // EXPOSE ip:host:container is not allowed for images; keep the container part.
  if (auto colon = port.rfind(':'); colon != std::string::npos) port = port.substr(colon + 1);
  for (auto& c : proto) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (proto != "tcp" && proto != "udp" && proto != "sctp") {
    throw Error(ErrorKind::kDockerfile, "invalid proto: " + proto, where);
  }
  auto number = [&](const std::string& p) {
    if (p.empty() || p.find_first_not_of("0123456789") != std::string::npos || p.size() > 5 ||
        std::stoi(p) > 65535) {
      throw Error(ErrorKind::kDockerfile, "invalid containerPort: " + spec, where);
    }
    return std::stoi(p);
  };
  std::vector<std::string> out;
  if (auto dash = port.find('-'); dash != std::string::npos) {
    int lo = number(port.substr(0, dash)), hi = number(port.substr(dash + 1));
    if (hi < lo) throw Error(ErrorKind::kDockerfile, "invalid port range: " + spec, where);
    for (int p = lo; p <= hi; ++p) out.push_back(std::to_string(p) + "/" + proto);
  } else {
    out.push_back(std::to_string(number(port)) + "/" + proto);
  }
  return out;
}

void validate_signal(const std::string& sig, const common::SourceRange& where) {
  std::string s = sig;
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos) return;
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (s.rfind("SIG", 0) == 0) s = s.substr(3);
  static const char* kNames[] = {"ABRT", "ALRM", "BUS",    "CHLD",  "CLD",  "CONT",   "FPE",
                                 "HUP",  "ILL",  "INT",    "IO",    "IOT",  "KILL",   "PIPE",
                                 "POLL", "PROF", "PWR",    "QUIT",  "SEGV", "STKFLT", "STOP",
                                 "SYS",  "TERM", "TRAP",   "TSTP",  "TTIN", "TTOU",   "URG",
                                 "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ"};
  for (const char* n : kNames) {
    if (s == n) return;
  }
  if (s.rfind("RTMIN", 0) == 0 || s.rfind("RTMAX", 0) == 0) return;
  throw Error(ErrorKind::kDockerfile, "failed to parse signal: " + sig, where);
}

bool counts_as_step(const parser::Instruction& ins) {
  return std::holds_alternative<parser::Run>(ins) || std::holds_alternative<parser::Copy>(ins) ||
         std::holds_alternative<parser::Workdir>(ins);
}

std::vector<std::string> shell_of(const image::ImageConfig& c) {
  if (c.config.shell && !c.config.shell->empty()) return *c.config.shell;
  return {"/bin/sh", "-c"};
}

}  // namespace

StageBuilder::StageBuilder(BuildSession& session, const parser::Stage& stage, const StagePlan& plan)
    : s_(session), stage_(stage), plan_(plan) {
  // BuildKit numbers the steps that are vertices (FROM, RUN, COPY, ADD, WORKDIR).
  for (const auto& ins : stage.instructions) total_ += counts_as_step(ins) ? 1 : 0;
  no_cache_ = s_.request.no_cache;
  for (const auto& f : s_.request.no_cache_filter) {
    if (f == plan.name || f == plan.display_name) no_cache_ = true;
  }
}

std::string StageBuilder::step_name(const std::string& text) const {
  std::string name = "[";
  if (!s_.platform_label.empty()) name += s_.platform_label + " ";
  if (s_.dockerfile.stages.size() > 1) {  // one stage: "[2/4] RUN ...", as BuildKit prints
    name += plan_.display_name;
    name += ' ';
  }
  name += std::to_string(position_);
  name += '/';
  name += std::to_string(total_);
  name += "] ";
  name += text;
  return name;
}

std::string StageBuilder::locator() const {
  std::string loc = s_.dockerfile.file;
  loc += ":";
  loc += plan_.display_name;
  loc += ":";
  loc += std::to_string(position_);
  return loc;
}

parser::Env StageBuilder::expansion_env() const {
  parser::Env env;
  for (const auto& [name, value] : args_) {
    if (value) env.set(name, *value);
  }
  for (const auto& kv : state_.config.config.env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    env.set(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

std::string StageBuilder::expand(const std::string& word, parser::VariableUse* use) const {
  return parser::expand_word(word, expansion_env(), {s_.dockerfile.escape_token}, use);
}

std::vector<std::string> StageBuilder::expand_split(const std::string& words) const {
  return parser::expand_words(words, expansion_env(), {s_.dockerfile.escape_token});
}

std::vector<std::string> StageBuilder::run_env() const {
  std::vector<std::string> env = state_.config.config.env;
  for (const auto& [name, value] : args_) {
    if (!value) continue;
    if (state_.config.config.get_env(name)) continue;  // ENV wins over ARG
    env.push_back(name + "=" + *value);
  }
  return env;
}

void StageBuilder::add_history(const std::string& created_by, bool empty_layer,
                               const std::string& created) {
  if (!created.empty()) last_time_ = created;
  image::HistoryEntry h;
  // With SOURCE_DATE_EPOCH every entry this build writes carries it, cached or not (BuildKit's
  // exporter sets the same): the image is then the same bytes whenever it is built.
  h.created = s_.request.source_date_epoch ? s_.created : last_time_;
  h.created_by = created_by;
  h.comment = "buildkit.dockerfile.v0";
  h.empty_layer = empty_layer;
  state_.config.history.push_back(std::move(h));
}

StageResult StageBuilder::build() {
  common::TraceTrack track("stage " + plan_.display_name);
  common::TraceSpan stage_span("stage " + plan_.display_name);
  if (plan_.base_stage) {
    state_ = s_.stage_result(*plan_.base_stage);
  } else if (plan_.scratch) {
    state_.config.platform = plan_.platform;
  } else {
    // A bad reference is reported by base_image below, with the stage's location.
    std::string base_name = normalized_reference(plan_.base).value_or(plan_.base);
    StepId step{s_.next_step(), step_name("FROM " + base_name)};
    auto started = std::chrono::steady_clock::now();
    s_.progress.step_state(step, StepState::kStarted, {});
    try {
      common::TraceSpan span("FROM " + base_name);
      image::LocalImage image = s_.base_image(plan_.base, plan_.platform, step);
      std::string config_json = s_.store.content().read_small(image.config.digest);
      state_.layers = layers_of(image, config_json);
      state_.config = image::ImageConfig::parse(config_json);
      state_.chain = chain_id_of(state_.layers);
      state_.base_layers = state_.layers.size();
      state_.base_history = state_.config.history.size();
    } catch (Error& e) {
      s_.progress.step_state(step, StepState::kFailed, std::chrono::steady_clock::now() - started);
      if (!e.where()) e.set_where(stage_.range);
      throw;
    }
    s_.progress.step_state(step, StepState::kDone, std::chrono::steady_clock::now() - started);
  }
  if (!state_.config.config.get_env("PATH")) state_.config.config.set_env("PATH", kDefaultPath);
  last_time_ = state_.config.created;
  run_onbuild_triggers();  // the base's ONBUILD, whether an image or an earlier stage
  for (const auto& instruction : stage_.instructions) {
    if (counts_as_step(instruction)) ++position_;
    s_.cancel.check("build");
    const auto& written = parser::common_of(instruction);
    common::TraceSpan span(written.keyword + " (line " + std::to_string(written.range.line) + ")");
    prepare_span_.emplace("plan, sources, context checksums");
    try {
      dispatch(instruction);
      prepare_span_.reset();
    } catch (Error& e) {
      prepare_span_.reset();
      if (!e.where()) e.set_where(parser::common_of(instruction).range);
      throw;
    }
  }
  // The image was made when its newest layer was (BuildKit): unchanged input, unchanged id.
  state_.config.created =
      last_time_.empty() || s_.request.source_date_epoch ? s_.created : last_time_;
  return state_;
}

void StageBuilder::run_onbuild_triggers() {
  std::vector<std::string> triggers = std::move(state_.config.config.on_build);
  state_.config.config.on_build.clear();
  for (const auto& trigger : triggers) {
    parser::Dockerfile parsed = parser::parse_typed("FROM scratch\n" + trigger + "\n", "ONBUILD");
    if (parsed.stages.empty() || parsed.stages[0].instructions.size() != 1) {
      throw Error(ErrorKind::kDockerfile, "invalid ONBUILD trigger in the base image: " + trigger,
                  stage_.range);
    }
    dispatch(parsed.stages[0].instructions[0]);
  }
}

void StageBuilder::dispatch(const parser::Instruction& instruction) {
  if (const auto* a = std::get_if<parser::Arg>(&instruction)) return do_arg(*a);
  if (const auto* e = std::get_if<parser::EnvInstruction>(&instruction)) return do_env(*e);
  if (const auto* l = std::get_if<parser::Label>(&instruction)) return do_label(*l);
  if (const auto* r = std::get_if<parser::Run>(&instruction)) return do_run(*r);
  if (const auto* c = std::get_if<parser::Copy>(&instruction)) return do_copy(*c);
  if (const auto* w = std::get_if<parser::Workdir>(&instruction)) return do_workdir(*w);
  do_config(instruction);
}

void StageBuilder::do_arg(const parser::Arg& arg) {
  std::vector<std::string> commit;
  for (const auto& decl : arg.args) {
    std::optional<std::string> value;
    if (auto it = s_.request.build_args.find(decl.name); it != s_.request.build_args.end()) {
      value = it->second;
    } else if (decl.default_value) {
      value = expand(*decl.default_value);
    } else if (auto global = s_.plan.global_args.lookup(decl.name)) {
      // `ARG NAME` inside a stage takes the global ARG's value (or an automatic platform arg).
      bool declared_globally = is_platform_arg(decl.name);
      for (const auto& g : s_.dockerfile.global_args) {
        for (const auto& d : g.args) declared_globally |= d.name == decl.name;
      }
      if (declared_globally) value = std::string(*global);
    }
    s_.consume_arg(decl.name);
    std::string text = decl.name;
    if (value) text += "=" + *value;
    commit.push_back(text);
    args_.emplace_back(decl.name, value);
  }
  std::string created_by = "ARG";
  for (const auto& c : commit) created_by += " " + c;
  add_history(created_by, true);
}

void StageBuilder::do_env(const parser::EnvInstruction& env) {
  std::string created_by = "ENV";
  // Every pair expands against the variables as they were before this instruction
  // (`ENV X=new Y=$X` gives Y the old X), as the Dockerfile reference says and buildah does.
  const parser::Env before = expansion_env();
  const parser::WordOptions options{s_.dockerfile.escape_token};
  for (const auto& kv : env.pairs) {
    std::string value = parser::expand_word(kv.value, before, options);
    std::string key = parser::expand_word(kv.key, before, options);
    state_.config.config.set_env(key, value);
    created_by += " " + key + "=" + value;
  }
  add_history(created_by, true);
}

void StageBuilder::do_label(const parser::Label& label) {
  std::string created_by = "LABEL";
  for (const auto& kv : label.pairs) {
    std::string key = expand(kv.key), value = expand(kv.value);
    state_.config.config.labels[key] = value;
    created_by += " " + key + "=" + value;
  }
  add_history(created_by, true);
}

void StageBuilder::do_config(const parser::Instruction& instruction) {
  auto& c = state_.config.config;
  auto command_args = [&](const parser::Command& cmd) {
    if (cmd.exec_form) return cmd.args;
    std::vector<std::string> args = shell_of(state_.config);
    args.push_back(cmd.args.empty() ? "" : cmd.args[0]);
    return args;
  };
  if (const auto* cmd = std::get_if<parser::Cmd>(&instruction)) {
    c.cmd = command_args(cmd->command);
    cmd_set_ = true;
    add_history("CMD " + go_quote_list(*c.cmd), true);
  } else if (const auto* ep = std::get_if<parser::Entrypoint>(&instruction)) {
    c.entrypoint = command_args(ep->command);
    if (!cmd_set_) c.cmd.reset();  // an ENTRYPOINT resets a CMD inherited from the base
    add_history("ENTRYPOINT " + go_quote_list(*c.entrypoint), true);
  } else if (const auto* sh = std::get_if<parser::Shell>(&instruction)) {
    c.shell = sh->shell;
    add_history("SHELL " + go_list(sh->shell), true);
  } else if (const auto* hc = std::get_if<parser::Healthcheck>(&instruction)) {
    c.healthcheck = healthcheck_of(*hc);
    add_history(healthcheck_history(*c.healthcheck), true);
  } else if (const auto* ex = std::get_if<parser::Expose>(&instruction)) {
    std::vector<std::string> written;
    for (const auto& p : ex->ports) {
      for (const auto& word : expand_split(p)) {
        written.push_back(word);
        for (auto& port : normalize_ports(word, ex->range)) c.exposed_ports.push_back(port);
      }
    }
    std::sort(c.exposed_ports.begin(), c.exposed_ports.end());
    c.exposed_ports.erase(std::unique(c.exposed_ports.begin(), c.exposed_ports.end()),
                          c.exposed_ports.end());
    std::string text = "EXPOSE";
    for (const auto& w : written) text += " " + w;
    add_history(text, true);
  } else if (const auto* vol = std::get_if<parser::Volume>(&instruction)) {
    std::vector<std::string> paths;
    for (const auto& p : vol->paths) {
      std::string v = expand(p);
      if (v.empty())
        throw Error(ErrorKind::kDockerfile, "VOLUME specified can not be an empty string",
                    vol->range);
      paths.push_back(v);
      c.volumes.push_back(v);
    }
    std::sort(c.volumes.begin(), c.volumes.end());
    c.volumes.erase(std::unique(c.volumes.begin(), c.volumes.end()), c.volumes.end());
    add_history("VOLUME " + go_list(paths), true);
  } else if (const auto* user = std::get_if<parser::User>(&instruction)) {
    c.user = expand(user->user);
    add_history("USER " + c.user, true);
  } else if (const auto* sig = std::get_if<parser::Stopsignal>(&instruction)) {
    std::string value = expand(sig->signal);
    validate_signal(value, sig->range);
    c.stop_signal = value;
    add_history("STOPSIGNAL " + value, true);
  } else if (const auto* m = std::get_if<parser::Maintainer>(&instruction)) {
    state_.config.author = m->name;
    add_history("MAINTAINER " + m->name, true);
  } else if (const auto* ob = std::get_if<parser::Onbuild>(&instruction)) {
    // BuildKit's dispatchOnbuild: the trigger as written, and no history entry.
    c.on_build.push_back(ltrim(ob->expression));
  } else {
    throw Error(ErrorKind::kInternal,
                "instruction " + parser::common_of(instruction).keyword + " has no handler");
  }
}

}  // namespace mybuild::builder
