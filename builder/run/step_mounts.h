// The --mount=... of one RUN step made real: each mount is added to the sandbox's spec, and
// what it needs kept alive while the step runs (opened from= sources, scratch copies of rw
// binds, cache-instance locks) is owned here and released when the StepMounts goes.
//
//   StepMounts mounts(session, plan, platform, step);
//   for (const auto& m : parsed) mounts.add(m, spec);
//   sandbox::run(spec, ...);
#pragma once

#include <memory>
#include <vector>

#include "builder/run/cache_instance.h"
#include "builder/run/mounts.h"
#include "builder/ssh/agent_socket.h"
#include "builder/stage/source.h"
#include "common/temp_dir.h"
#include "sandbox/spec.h"

namespace mybuild::builder {

class StepMounts {
 public:
  StepMounts(BuildSession& session, const StagePlan& plan, const common::Platform& platform,
             const StepId& step)
      : s_(session), plan_(plan), platform_(platform), step_(step) {}
  StepMounts(const StepMounts&) = delete;
  StepMounts& operator=(const StepMounts&) = delete;

  // Adds `mount` to `spec` (its mounts, secrets or env). `from_key` is what a cache mount's
  // from= names now (as keyed in the step's inputs), naming its seeded cache. Throws
  // Error(kUsage) for a required secret or ssh id that was not given, Error(kNotFound) for a
  // bind or cache seed source that does not exist.
  void add(const RunMount& mount, sandbox::ProcessSpec& spec, const std::string& from_key = {});

 private:
  void add_tmpfs(const RunMount& mount, sandbox::ProcessSpec& spec);
  void add_secret(const RunMount& mount, sandbox::ProcessSpec& spec);
  void add_cache(const RunMount& mount, sandbox::ProcessSpec& spec);
  void add_seeded_cache(const RunMount& mount, sandbox::ProcessSpec& spec,
                        const std::string& from_key);
  void add_bind(const RunMount& mount, sandbox::ProcessSpec& spec);
  void add_ssh(const RunMount& mount, sandbox::ProcessSpec& spec);

  BuildSession& s_;
  const StagePlan& plan_;
  const common::Platform& platform_;
  StepId step_;
  // Released in reverse: cache locks, then scratch copies, then sources.
  std::vector<std::unique_ptr<OpenSource>> sources_;
  std::vector<std::unique_ptr<common::TempDir>> temps_;
  std::vector<CacheInstance> caches_;
  // Agent sockets of ssh mounts: stopped (threads joined, socket removed) first.
  std::vector<std::unique_ptr<ssh::AgentSocket>> agents_;
};

}  // namespace mybuild::builder
