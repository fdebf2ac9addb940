#include "builder/run/plan.h"

#include <algorithm>

#include "builder/stage/build_inputs.h"
#include "common/error.h"
#include "common/log.h"
#include "sandbox/rlimits.h"
#include "sandbox/user.h"

namespace mybuild::builder {

using common::Error;
using common::ErrorKind;

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ' ';
    out += v[i];
  }
  return out;
}

// The heredoc is the whole command (BuildKit dispatchRun): `RUN <<EOF` and nothing else.
bool heredoc_is_command(const parser::Run& run, std::string cmd) {
  while (!cmd.empty() && (cmd.back() == ' ' || cmd.back() == '\t')) cmd.pop_back();
  return run.heredocs.size() == 1 && cmd.rfind("<<", 0) == 0 &&
         cmd.find_first_of(" \t") == std::string::npos;
}

// Shell form: SHELL (default /bin/sh -c) and the command. A heredoc that is the whole command
// with a shebang becomes a script file at /dev/pipes/<name> that the shell runs (the kernel
// picks the interpreter); without one its text is the command. Other heredocs follow the
// command line as written.
void plan_shell_form(const parser::Run& run, const RunScope& scope, RunPlan& plan) {
  std::string cmd = run.command.args.empty() ? "" : run.command.args[0];
  const auto& shell = scope.config.shell;
  plan.argv = shell && !shell->empty() ? *shell : std::vector<std::string>{"/bin/sh", "-c"};
  if (!heredoc_is_command(run, cmd)) {
    for (const auto& h : run.heredocs) cmd += "\n" + h.content + h.name;
    plan.argv.push_back(cmd);
    return;
  }
  const auto& h = run.heredocs[0];
  std::string content = heredoc_body(h);
  if (content.rfind("#!", 0) != 0) {
    plan.argv.push_back(content);
    return;
  }
  sandbox::SecretFile script;
  script.content = content;
  script.target = "/dev/pipes/" + h.name;
  script.mode = 0755;
  plan.scripts.push_back(script);
  plan.argv.push_back(script.target);
}

// BuildKit's runCommandString: every ARG of the stage, with the value ENV gives it if any,
// prefixes the command in history: "RUN |2 A=1 B=2 /bin/sh -c make # buildkit".
std::string history_text(const RunScope& scope, const std::string& command_text) {
  std::vector<std::string> arg_env;
  for (const auto& [name, value] : scope.args) {
    auto env_value = scope.config.get_env(name);
    arg_env.push_back(name + "=" + (env_value ? *env_value : value.value_or("")));
  }
  std::string created_by = "RUN ";
  if (!arg_env.empty()) {
    created_by += '|';
    created_by += std::to_string(arg_env.size());
    created_by += ' ';
    created_by += join(arg_env);
    created_by += ' ';
  }
  return created_by + command_text + " # buildkit";
}

sandbox::NetworkMode network_mode(const std::string& network) {
  if (network == "none") return sandbox::NetworkMode::kNone;
  if (network == "host") return sandbox::NetworkMode::kHost;
  return sandbox::NetworkMode::kDefault;
}

void key(nlohmann::json& inputs, std::string_view name, nlohmann::json value) {
  inputs[std::string(name)] = std::move(value);
}

// As BuildKit's ExecOp carries them: a step that read /etc/hosts, /dev/shm or its limits
// under other values must not be a cache hit. Keyed only when given, so that keys made
// without these flags stay valid.
void key_request_flags(nlohmann::json& inputs, const BuildRequest& request) {
  if (!request.extra_hosts.empty()) {
    std::vector<std::string> hosts;
    for (const auto& h : request.extra_hosts) hosts.push_back(h.host + "=" + h.ip);
    key(inputs, kKeyExtraHosts, hosts);
  }
  if (request.shm_size_bytes) key(inputs, kKeyShmSize, *request.shm_size_bytes);
  if (!request.ulimits.empty()) {
    std::vector<std::string> limits;
    for (const auto& u : request.ulimits) limits.push_back(sandbox::describe(u));
    key(inputs, kKeyUlimits, limits);
  }
}

nlohmann::json cache_inputs(const parser::Run& run, const RunScope& scope,
                            const BuildRequest& request, const RunPlan& plan,
                            const std::string& network) {
  nlohmann::json inputs = nlohmann::json::object();
  key(inputs, kKeyOp, std::string(kOpRun));
  key(inputs, kKeyCommand, plan.argv);
  key(inputs, kKeyEnv, scope.env);
  key(inputs, kKeyUser, scope.config.user);
  key(inputs, kKeyWorkdir, scope.config.working_dir);
  key(inputs, kKeyNetwork, network);
  key_request_flags(inputs, request);
  key(inputs, kKeyMounts, run.mounts);
  for (const auto& sc : plan.scripts) {
    inputs[std::string(kKeyScriptPrefix) + sc.target] = sc.content;
  }
  if (run.security) key(inputs, kKeySecurity, *run.security);
  return inputs;
}

}  // namespace

RunPlan plan_run(const parser::Run& run, const RunScope& scope, const BuildRequest& request) {
  if (run.security && *run.security == "insecure" && !request.allow_insecure) {
    throw Error(
        ErrorKind::kUsage,
        "RUN --security=insecure needs the entitlement: build with --allow security.insecure",
        run.range);
  }
  // A Dockerfile cannot give itself the host's network: that takes the user's word (BuildKit's
  // network.host entitlement), and --network host on the command line is that word.
  if (run.network == "host" && !request.allow_network_host && request.network != "host") {
    throw Error(ErrorKind::kUsage,
                "RUN --network=host needs the entitlement: build with --allow network.host",
                run.range);
  }
  RunPlan plan;
  if (run.command.exec_form) {
    plan.argv = run.command.args;
  } else {
    plan_shell_form(run, scope, plan);
  }
  plan.command_text = join(plan.argv);
  plan.created_by = history_text(scope, plan.command_text);
  plan.env = scope.env;
  for (const auto& [k, v] : request.build_args) {
    // Proxy args reach RUN without an ARG, and never the image (BuildKit's allowlist).
    if (is_proxy_arg(k)) plan.env.push_back(k + "=" + v);
  }
  plan.user = scope.config.user;
  plan.cwd = scope.config.working_dir.empty() ? "/" : scope.config.working_dir;
  std::string network = run.network.value_or(request.network);
  plan.network = network_mode(network);
  plan.insecure = run.security && *run.security == "insecure";
  plan.inputs = cache_inputs(run, scope, request, plan, network);
  return plan;
}

void key_mount_from(nlohmann::json& inputs, const std::string& from, std::string value) {
  inputs[std::string(kKeyMountFromPrefix) + from] = std::move(value);
}

void key_mount_context(nlohmann::json& inputs, const std::string& source, std::string value) {
  inputs[std::string(kKeyMountContextPrefix) + source] = std::move(value);
}

void key_cache_from(nlohmann::json& inputs, const std::string& from, const std::string& source,
                    std::string value) {
  inputs[std::string(kKeyCacheFromPrefix) + from + " " + (source.empty() ? "/" : source)] =
      std::move(value);
}

bool needs_home(const RunPlan& plan) {
  return std::none_of(plan.env.begin(), plan.env.end(),
                      [](const std::string& e) { return e.rfind("HOME=", 0) == 0; });
}

std::optional<std::string> home_for(const RunPlan& plan, std::string_view passwd,
                                    std::string_view group) {
  if (!needs_home(plan)) return std::nullopt;
  // Only the user part: HOME does not depend on the group, and an unknown group is the
  // sandbox's to report.
  std::string user = plan.user.substr(0, plan.user.find(':'));
  try {
    return sandbox::resolve_user(user, passwd, group).home;
  } catch (const Error& e) {
    // An unknown user name: no HOME here; the sandbox fails the step with this same message.
    common::log::debug("RUN HOME not set: " + std::string(e.what()));
    return std::nullopt;
  }
}

}  // namespace mybuild::builder
