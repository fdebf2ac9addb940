// RUN made real: plan_run() (builder/run/plan.h) says what the step means; this file keys the
// mounts that need resolving, mounts what --mount asks for (StepMounts), and runs the process
// in the sandbox over a snapshot of the stage's filesystem.
#include <fcntl.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "builder/context/file_checksum.h"
#include "builder/copy/sources.h"
#include "builder/run/disk_full.h"
#include "builder/run/mounts.h"
#include "builder/run/plan.h"
#include "builder/run/step_mounts.h"
#include "builder/run/stubs.h"
#include "builder/stage/source.h"
#include "builder/stage/stage_builder.h"
#include "common/error.h"
#include "common/io.h"
#include "common/log.h"
#include "common/trace.h"
#include "common/unique_fd.h"
#include "sandbox/emulation.h"
#include "sandbox/run.h"
#include "snapshot/extract_root.h"

namespace mybuild::builder {

using common::Error;
using common::ErrorKind;

namespace {

// Sends RUN output to the progress sink as it comes and keeps the last lines for the error.
class StepOutput : public common::Writer {
 public:
  StepOutput(ProgressSink& progress, const StepId& step) : progress_(progress), step_(step) {}
  void write(std::string_view data) override {
    progress_.step_log(step_, data);
    for (char c : data) {
      if (c == '\n') {
        lines_.push_back(std::move(current_));
        current_.clear();
        if (lines_.size() > 10) lines_.pop_front();
      } else if (current_.size() < 400) {
        current_ += c;
      }
    }
  }
  std::string tail() const {
    std::string out;
    for (const auto& l : lines_) out += "  " + l + "\n";
    if (!current_.empty()) out += "  " + current_ + "\n";
    return out;
  }

 private:
  ProgressSink& progress_;
  StepId step_;
  std::deque<std::string> lines_;
  std::string current_;
};

// The step as the user wrote it (BuildKit's vertex name), not the argv it became.
std::string written_text(const parser::Run& run) {
  std::string written = "RUN";
  for (const auto& f : run.raw_flags) {
    written.push_back(' ');
    written.append(f);
  }
  if (run.command.exec_form) {
    written.push_back(' ');
    written.append(nlohmann::json(run.command.args).dump());
  } else if (!run.command.args.empty()) {
    written.push_back(' ');
    written.append(run.command.args[0]);
  }
  return written;
}

// What a bind's or cache's from= names now: a stage's chain, a named context's files (keyed like
// COPY keys them), or which image the name means.
std::string mount_from_value(BuildSession& s, const StagePlan& plan,
                             const common::Platform& platform, const RunMount& m) {
  // source_kind decides what the name means (a stage wins), as open_source does for the mount.
  switch (source_kind(s, plan, *m.from)) {
    case OpenSource::Kind::kStage:
      return s.stage_result(*find_stage(s.plan.stages, *m.from, plan.index)).chain;
    case OpenSource::Kind::kNamedContext: {
      const std::string& named_dir = *named_context_dir(s.request, *m.from);
      BuildContext dir = BuildContext::open_directory(named_dir, include_everything());
      std::vector<std::string> src = {m.source.empty() ? "." : m.source};
      return checksum_sources(dir, resolve_copy_sources(dir, src), nullptr, s.checksum_options())
          .str();
    }
    case OpenSource::Kind::kImage:
      break;
  }
  StepId load{s.next_step(), "[internal] load " + *m.from};
  return s.base_image(*m.from, platform, load).config.digest.str();
}

// The cache inputs of binds and cache seeds: from= sources first, then the context's files a
// bind reads. Returns, per mount, what its from= names now ("" without one): a seeded cache
// is named by it (builder/run/cache_seed.h).
std::vector<std::string> key_mount_sources(BuildSession& s, const StagePlan& plan,
                                           const common::Platform& platform,
                                           const std::vector<RunMount>& mounts,
                                           nlohmann::json& inputs) {
  std::vector<std::string> from_keys(mounts.size());
  for (size_t i = 0; i < mounts.size(); ++i) {
    const RunMount& m = mounts[i];
    if ((m.type != "bind" && m.type != "cache") || !m.from) continue;
    from_keys[i] = mount_from_value(s, plan, platform, m);
    if (m.type == "bind") {
      key_mount_from(inputs, *m.from, from_keys[i]);
    } else {
      key_cache_from(inputs, *m.from, m.source, from_keys[i]);
    }
  }
  for (const auto& m : mounts) {
    if (m.type != "bind" || m.from) continue;
    std::vector<std::string> src = {m.source.empty() ? "." : m.source};
    auto sources = resolve_copy_sources(s.context, src);
    std::lock_guard lock(s.memo_mu);
    key_mount_context(
        inputs, m.source,
        checksum_sources(s.context, sources, s.memo.get(), s.checksum_options()).str());
  }
  return from_keys;
}

// The process as the plan and the request's limits describe it; mounts come later.
sandbox::ProcessSpec process_spec(const RunPlan& plan, const BuildRequest& request,
                                  const std::filesystem::path& rootfs,
                                  const std::filesystem::path& state_dir) {
  sandbox::ProcessSpec spec;
  spec.args = plan.argv;
  spec.env = plan.env;
  spec.cwd = plan.cwd;
  spec.user = plan.user;
  spec.rootfs_dir = rootfs;
  spec.network = plan.network;
  spec.insecure = plan.insecure;
  spec.isolation = request.isolation.mode;
  if (request.memory_bytes) spec.limits.memory_bytes = request.memory_bytes;
  if (request.cpu_quota_us) spec.limits.cpu_quota_us = request.cpu_quota_us;
  if (request.cpus) spec.limits.cpu_quota_us = static_cast<uint64_t>(*request.cpus * 100000);
  spec.limits.cpuset_cpus = request.cpuset_cpus;
  if (request.pids_limit) spec.limits.pids_max = *request.pids_limit;
  spec.timeout = request.step_timeout;
  spec.extra_hosts = request.extra_hosts;
  if (request.shm_size_bytes) spec.shm_size_bytes = *request.shm_size_bytes;
  spec.rlimits = request.ulimits;
  spec.description = "RUN " + plan.command_text;
  spec.state_dir = state_dir;
  spec.secrets = plan.scripts;
  return spec;
}

// A file of the rootfs, not following links out of it: "" when missing, nullopt (logged) when
// it cannot be read.
std::optional<std::string> read_root_file(const snapshot::RootDir& root, const char* rel) {
  int fd = root.open_at(rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return std::string();
  try {
    common::FdReader reader{common::UniqueFd(fd)};
    return common::read_all(reader, 4 << 20);
  } catch (const Error& e) {
    common::log::warn("RUN HOME: reading /" + std::string(rel) + ": " + e.what());
    return std::nullopt;
  }
}

// HOME from the image's passwd as the step sees it when the env does not set it (runc does
// this for Docker and BuildKit).
void add_home(const RunPlan& plan, const std::filesystem::path& rootfs,
              sandbox::ProcessSpec& spec) {
  if (!needs_home(plan)) return;
  snapshot::RootDir root(rootfs);
  auto passwd = read_root_file(root, "etc/passwd");
  auto group = read_root_file(root, "etc/group");
  if (!passwd || !group) return;
  if (auto home = home_for(plan, *passwd, *group)) spec.env.push_back("HOME=" + *home);
}

std::shared_ptr<StubCleaner> make_stubs(const std::filesystem::path& rootfs,
                                        const sandbox::ProcessSpec& spec) {
  std::vector<std::string> paths = {
      "/dev", "/proc", "/sys", "/etc/hosts", "/etc/resolv.conf", "/etc/hostname"};
  for (const auto& m : spec.mounts) paths.push_back(m.target);
  for (const auto& sec : spec.secrets) paths.push_back(sec.target);
  return std::make_shared<StubCleaner>(rootfs, paths);
}

// Where the static emulator appears in the step (a file bind, its stub removed after the run).
constexpr const char* kEmulatorInStep = "/.mybuild-qemu-static";

// A command name without '/' as the step's PATH finds it inside the rootfs (the emulator opens
// its argument as a path; execvp would have searched). Unchanged when no entry has it.
std::string command_in_root(const std::filesystem::path& rootfs, const std::string& name,
                            const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos) return name;
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& e : env) {
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  }
  snapshot::RootDir root(rootfs);
  for (size_t start = 0; start <= path.size();) {
    size_t end = std::min(path.find(':', start), path.size());
    std::string dir = path.substr(start, end - start);
    start = end + 1;
    if (dir.empty() || dir[0] != '/') continue;
    common::UniqueFd fd(root.open_at(dir.substr(1) + "/" + name, O_PATH | O_CLOEXEC));
    if (fd) return dir + "/" + name;
  }
  return name;
}

// No binfmt_misc handler runs this platform, but QEMU's static emulator is on PATH: it runs
// the step's argv itself (sandbox/emulation.h how_to_run). Processes the step starts are
// its children under the same emulator only where the guest program does not exec (busybox's
// applets run in-process); a real binfmt registration has no such limit.
void run_through_emulator(const std::filesystem::path& emulator,
                          const std::filesystem::path& rootfs, sandbox::ProcessSpec& spec) {
  spec.mounts.push_back({"bind", emulator.string(), kEmulatorInStep, {"ro"}});
  if (!spec.args.empty()) spec.args[0] = command_in_root(rootfs, spec.args[0], spec.env);
  spec.args.insert(spec.args.begin(), kEmulatorInStep);
}

// Runs the step's process with its mounts; returns the stubs, cleaned, for prune_upper.
std::shared_ptr<StubCleaner> run_process(BuildSession& s, const StagePlan& stage_plan,
                                         const common::Platform& platform, const RunPlan& plan,
                                         const std::vector<RunMount>& mounts,
                                         const std::vector<std::string>& from_keys,
                                         const std::optional<std::filesystem::path>& emulator,
                                         const std::filesystem::path& rootfs, const StepId& id) {
  sandbox::ProcessSpec spec =
      process_spec(plan, s.request, rootfs, s.store.root() / "run" / "sandbox");
  add_home(plan, rootfs, spec);
  StepMounts step_mounts(s, stage_plan, platform, id);
  for (size_t i = 0; i < mounts.size(); ++i) step_mounts.add(mounts[i], spec, from_keys[i]);
  if (emulator) {
    run_through_emulator(*emulator, rootfs, spec);
    s.progress.step_log(id, "no binfmt_misc handler runs " + platform.str() + ": running it with " +
                                emulator->string() + "\n");
  }
  auto stubs = make_stubs(rootfs, spec);
  StepOutput output(s.progress, id);
  sandbox::ExitStatus status;
  {
    StubCleanup cleanup(stubs);
    common::TraceSpan span("sandbox (setup, process, teardown)");
    status = sandbox::run(spec, s.cancel, output);
  }
  if (!status.success()) {
    std::string message =
        "process \"" + plan.command_text + "\" did not complete successfully: " + status.describe();
    std::string tail = output.tail();
    if (!tail.empty()) message += "\nlast output:\n" + tail;
    auto left = free_bytes(s.store.root());
    if (auto note = left ? full_disk_note(s.store.root(), *left) : std::nullopt) {
      message += "\n" + *note;
    }
    throw Error(ErrorKind::kSandbox, message);
  }
  return stubs;
}

}  // namespace

void StageBuilder::do_run(const parser::Run& run) {
  std::vector<RunMount> mounts;
  for (const auto& m : run.mounts) mounts.push_back(parse_run_mount(expand(m)));
  assign_ssh_targets(mounts);
  const RunPlan plan = plan_run(run, RunScope{state_.config.config, args_, run_env()}, s_.request);
  StepId step{s_.next_step(), step_name(written_text(run))};
  StepInputs in;
  in.inputs = plan.inputs;
  const std::vector<std::string> from_keys =
      key_mount_sources(s_, plan_, state_.config.platform, mounts, in.inputs);
  layer_step(
      step, run, std::move(in), plan.created_by,
      [&](const std::filesystem::path& rootfs, const StepId& id) {
        // Checked on a cache miss only: a cached foreign step needs no emulator. An image
        // config that names no architecture is taken to be the host's, as before.
        const common::Platform& p = state_.config.platform;
        sandbox::ForeignRun via;
        if (!p.architecture.empty()) {
          const char* path = std::getenv("PATH");
          via = sandbox::how_to_run(p, path ? path : "", sandbox::binfmt_dir());
        }
        if (via.reason) throw Error(ErrorKind::kSandbox, "RUN for " + p.str() + ": " + *via.reason);
        auto stubs = run_process(s_, plan_, p, plan, mounts, from_keys, via.emulator, rootfs, id);
        edit_upper_ = [stubs](const std::filesystem::path& upper) { stubs->prune_upper(upper); };
      });
}

}  // namespace mybuild::builder
