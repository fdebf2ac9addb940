// What a RUN step means, computed without touching anything: the argv (exec form, shell form
// through SHELL, heredoc scripts), the environment, the history text, the network mode and the
// step's cache inputs. builder/run/step_run.cc makes it happen (mounts, the sandbox).
//
// plan_run() and key_mount_from()/key_mount_context()/key_cache_from() are the only writers of
// a RUN step's cache inputs. The key names below are what users' caches are keyed by: changing
// one invalidates every cached RUN step, so plan_test.cc pins the exact JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "builder/build_request.h"
#include "image/config.h"
#include "parser/ast.h"
#include "sandbox/spec.h"

namespace mybuild::builder {

inline constexpr std::string_view kKeyOp = "op";
inline constexpr std::string_view kKeyCommand = "command";
inline constexpr std::string_view kKeyEnv = "env";
inline constexpr std::string_view kKeyUser = "user";
inline constexpr std::string_view kKeyWorkdir = "workdir";
inline constexpr std::string_view kKeyNetwork = "network";
inline constexpr std::string_view kKeyExtraHosts = "extra hosts";
inline constexpr std::string_view kKeyShmSize = "shm size";
inline constexpr std::string_view kKeyUlimits = "ulimits";
inline constexpr std::string_view kKeyMounts = "mounts";
inline constexpr std::string_view kKeySecurity = "security";
// Prefixes: "script /dev/pipes/EOF", "mount from builder", "mount context src".
inline constexpr std::string_view kKeyScriptPrefix = "script ";
inline constexpr std::string_view kKeyMountFromPrefix = "mount from ";
inline constexpr std::string_view kKeyMountContextPrefix = "mount context ";
// "cache from builder /sub": what a cache mount's from= names, its seed (cache_seed.h).
inline constexpr std::string_view kKeyCacheFromPrefix = "cache from ";
inline constexpr std::string_view kOpRun = "RUN";

// The stage as RUN sees it.
struct RunScope {
  const image::ContainerConfig& config;  // user, working_dir, shell; env gives ARGs' history values
  const std::vector<std::pair<std::string, std::optional<std::string>>>& args;  // ARGs in scope
  std::vector<std::string> env;  // StageBuilder::run_env(): ENV plus ARGs ENV does not override
};

struct RunPlan {
  std::vector<std::string> argv;
  std::vector<sandbox::SecretFile> scripts;  // heredocs with a shebang, at /dev/pipes/<name>
  std::vector<std::string> env;              // the process's: run env plus proxy build args
  std::string user;
  std::string cwd;           // "/" when WORKDIR is unset
  std::string command_text;  // argv joined by spaces, for messages
  std::string created_by;    // history text, as BuildKit writes it
  sandbox::NetworkMode network = sandbox::NetworkMode::kDefault;
  bool insecure = false;
  nlohmann::json inputs = nlohmann::json::object();  // the cache inputs
};

// Throws Error(kUsage) for --security=insecure without the entitlement.
RunPlan plan_run(const parser::Run& run, const RunScope& scope, const BuildRequest& request);

// The cache inputs that need resolved values: what a bind's or cache's from= names now (a stage's
// chain, a named context's checksum, an image's config digest) and a context bind's checksum.
void key_mount_from(nlohmann::json& inputs, const std::string& from, std::string value);
void key_mount_context(nlohmann::json& inputs, const std::string& source, std::string value);
// A cache mount's seed: what from= names now (as for a bind), for that source path.
void key_cache_from(nlohmann::json& inputs, const std::string& from, const std::string& source,
                    std::string value);

// HOME for the process, when the env does not set it: the home of the RUN's user in the
// passwd file as the rootfs has it, "/" for a uid without an entry (BuildKit and runc do
// this). nullopt when the env sets HOME already or the user name is unknown (the sandbox
// reports that).
bool needs_home(const RunPlan& plan);
std::optional<std::string> home_for(const RunPlan& plan, std::string_view passwd,
                                    std::string_view group);

}  // namespace mybuild::builder
