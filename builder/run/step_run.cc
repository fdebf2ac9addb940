// RUN: the command (shell form through SHELL, exec form, heredoc scripts), its mounts, and the
// sandboxed process over a snapshot of the stage's filesystem.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "builder/stage/build_inputs.h"
#include "builder/copy/sources.h"
#include "builder/context/file_checksum.h"
#include "builder/stage/history_text.h"
#include "builder/run/mounts.h"
#include "builder/run/stubs.h"
#include "builder/stage/source.h"
#include "builder/stage/stage_builder.h"
#include "common/error.h"
#include "common/io.h"
#include "common/temp_dir.h"
#include "common/unique_fd.h"
#include "sandbox/rlimits.h"
#include "sandbox/run.h"
#include "sandbox/user.h"
#include "snapshot/extract_root.h"
#include "snapshot/mount_guard.h"

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

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ' ';
    out += v[i];
  }
  return out;
}

// What RUN --mount needs kept alive during the step: opened --from sources, temp dirs.
struct MountResources {
  std::vector<std::unique_ptr<OpenSource>> sources;
  std::vector<std::unique_ptr<common::TempDir>> temps;
  std::vector<common::UniqueFd> locks;
};

}  // namespace

void StageBuilder::do_run(const parser::Run& run) {
  std::vector<std::string> args;
  std::vector<sandbox::SecretFile> scripts;
  if (run.command.exec_form) {
    args = run.command.args;
  } else {
    std::string cmd = run.command.args.empty() ? "" : run.command.args[0];
    std::vector<std::string> shell = state_.config.config.shell && !state_.config.config.shell->empty()
                                         ? *state_.config.config.shell
                                         : std::vector<std::string>{"/bin/sh", "-c"};
    std::string trimmed = cmd;
    while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\t')) trimmed.pop_back();
    if (run.heredocs.size() == 1 && trimmed.rfind("<<", 0) == 0 &&
        trimmed.find_first_of(" \t") == std::string::npos) {
      // The heredoc is the whole command (BuildKit dispatchRun): with a shebang it becomes a
      // script file at /dev/pipes/<name> that the shell runs (the kernel picks the interpreter);
      // without one its text is the shell command.
      const auto& h = run.heredocs[0];
      std::string content = heredoc_body(h);
      args = shell;
      if (content.rfind("#!", 0) == 0) {
        sandbox::SecretFile script;
        script.content = content;
        script.target = "/dev/pipes/" + h.name;
        script.mode = 0755;
        scripts.push_back(script);
        args.push_back(script.target);
      } else {
        args.push_back(content);
      }
    } else {
      for (const auto& h : run.heredocs) cmd += "\n" + h.content + h.name;
      args = shell;
      args.push_back(cmd);
    }
  }
  // BuildKit's runCommandString: the stage's build args prefix the command in history.
  std::vector<std::string> arg_env;
  for (const auto& [name, value] : args_) {
    // BuildKit's runCommandString: every ARG of the stage, with the value ENV gives it if any.
    auto env_value = state_.config.config.get_env(name);
    arg_env.push_back(name + "=" + (env_value ? *env_value : value.value_or("")));
  }
  std::string command_text = join(args);
  std::string created_by = "RUN ";
  if (!arg_env.empty()) {
    created_by += '|';
    created_by += std::to_string(arg_env.size());
    created_by += ' ';
    created_by += join(arg_env);
    created_by += ' ';
  }
  created_by += command_text + " # buildkit";

  std::vector<RunMount> mounts;
  for (const auto& m : run.mounts) mounts.push_back(parse_run_mount(expand(m)));
  std::string network = run.network.value_or(s_.request.network);
  if (run.security && *run.security == "insecure" && !s_.request.allow_insecure) {
    throw Error(ErrorKind::kUsage,
                "RUN --security=insecure needs the entitlement: build with --allow security.insecure",
                run.range);
  }

  // The step as the user wrote it (BuildKit's vertex name), not the argv it became.
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
  StepId step{s_.next_step(), step_name(written)};
  StepInputs in;
  in.inputs["op"] = "RUN";
  in.inputs["command"] = args;
  in.inputs["env"] = run_env();
  in.inputs["user"] = state_.config.config.user;
  in.inputs["workdir"] = state_.config.config.working_dir;
  in.inputs["network"] = network;
  // As BuildKit's ExecOp carries them: a step that read /etc/hosts, /dev/shm or its limits
  // under other values must not be a cache hit. Keyed only when given, so that keys made
  // without these flags stay valid.
  if (!s_.request.extra_hosts.empty()) {
    std::vector<std::string> hosts;
    for (const auto& h : s_.request.extra_hosts) hosts.push_back(h.host + "=" + h.ip);
    in.inputs["extra hosts"] = hosts;
  }
  if (s_.request.shm_size_bytes) in.inputs["shm size"] = *s_.request.shm_size_bytes;
  if (!s_.request.ulimits.empty()) {
    std::vector<std::string> limits;
    for (const auto& u : s_.request.ulimits) limits.push_back(sandbox::describe(u));
    in.inputs["ulimits"] = limits;
  }
  in.inputs["mounts"] = run.mounts;
  for (const auto& sc : scripts) in.inputs["script " + sc.target] = sc.content;
  if (run.security) in.inputs["security"] = *run.security;
  for (const auto& m : mounts) {
    if (m.type != "bind" || !m.from) continue;
    if (auto st = find_stage(s_.plan.stages, *m.from, plan_.index)) {
      in.inputs["mount from " + *m.from] = s_.stage_result(*st).chain;
      continue;
    }
    if (const std::string* named_dir = named_context_dir(s_.request, *m.from)) {
      // A --build-context directory: its files, keyed like COPY keys them.
      BuildContext dir = BuildContext::open_directory(*named_dir, include_everything());
      std::vector<std::string> src = {m.source.empty() ? "." : m.source};
      in.inputs["mount from " + *m.from] =
          checksum_sources(dir, resolve_copy_sources(dir, src), nullptr).str();
      continue;
    }
    // An image: the result depends on which one the name means now.
    StepId load{s_.next_step(), "[internal] load " + *m.from};
    in.inputs["mount from " + *m.from] =
        s_.base_image(*m.from, state_.config.platform, load).config.digest.str();
  }
  // A bind of the context makes the result depend on its files: key them like COPY does.
  for (const auto& m : mounts) {
    if (m.type != "bind" || m.from) continue;
    std::vector<std::string> src = {m.source.empty() ? "." : m.source};
    auto sources = resolve_copy_sources(s_.context, src);
    std::lock_guard lock(s_.memo_mu);
    in.inputs["mount context " + m.source] =
        checksum_sources(s_.context, sources, s_.memo.get()).str();
  }

  layer_step(step, run, std::move(in), created_by,
             [&](const std::filesystem::path& rootfs, const StepId& id) {
    sandbox::ProcessSpec spec;
    spec.args = args;
    spec.env = run_env();
    for (const auto& [k, v] : s_.request.build_args) {
      // Proxy args reach RUN without an ARG, and never the image (BuildKit's allowlist).
      if (is_proxy_arg(k)) spec.env.push_back(k + "=" + v);
    }
    spec.cwd = state_.config.config.working_dir.empty() ? "/" : state_.config.config.working_dir;
    // HOME from the image's passwd when the image does not set it (runc does this for Docker
    // and BuildKit). An unknown user is left to the sandbox, which reports it.
    bool has_home = std::any_of(spec.env.begin(), spec.env.end(),
                                [](const std::string& e) { return e.rfind("HOME=", 0) == 0; });
    if (!has_home) {
      try {
        snapshot::RootDir root(rootfs);
        auto read = [&](const char* rel) {
          int fd = root.open_at(rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
          if (fd < 0) return std::string();
          common::FdReader reader{common::UniqueFd(fd)};
          return common::read_all(reader, 4 << 20);
        };
        std::string home = sandbox::resolve_user(spec.user, read("etc/passwd"), read("etc/group")).home;
        spec.env.push_back("HOME=" + home);
      } catch (const Error&) {
      }
    }
    spec.user = state_.config.config.user;
    spec.rootfs_dir = rootfs;
    spec.network = network == "none"   ? sandbox::NetworkMode::kNone
                   : network == "host" ? sandbox::NetworkMode::kHost
                                       : sandbox::NetworkMode::kDefault;
    spec.insecure = run.security && *run.security == "insecure";
    if (s_.request.memory_bytes) spec.limits.memory_bytes = s_.request.memory_bytes;
    if (s_.request.cpu_quota_us) spec.limits.cpu_quota_us = s_.request.cpu_quota_us;
    if (s_.request.cpus) {
      spec.limits.cpu_quota_us = static_cast<uint64_t>(*s_.request.cpus * 100000);
    }
    spec.limits.cpuset_cpus = s_.request.cpuset_cpus;
    if (s_.request.pids_limit) spec.limits.pids_max = *s_.request.pids_limit;
    spec.timeout = s_.request.step_timeout;
    spec.extra_hosts = s_.request.extra_hosts;
    if (s_.request.shm_size_bytes) spec.shm_size_bytes = *s_.request.shm_size_bytes;
    spec.rlimits = s_.request.ulimits;
    spec.description = "RUN " + command_text;
    spec.state_dir = s_.store.root() / "run" / "sandbox";
    spec.secrets = scripts;
    MountResources keep;
    for (const auto& m : mounts) {
      if (m.type == "tmpfs") {
        std::vector<std::string> opts;
        if (m.size_bytes) opts.push_back("size=" + std::to_string(*m.size_bytes));
        spec.mounts.push_back({"tmpfs", "tmpfs", m.target, opts});
      } else if (m.type == "secret") {
        auto it = s_.request.secrets.find(m.id);
        if (it == s_.request.secrets.end()) {
          if (m.required) {
            throw Error(ErrorKind::kUsage, "secret " + m.id + " is required but was not given (--secret id=" + m.id + ",src=FILE)");
          }
          continue;
        }
        if (m.env) {
          spec.env.push_back(*m.env + "=" + it->second);
          if (m.target.empty()) continue;
        }
        sandbox::SecretFile secret;
        secret.content = it->second;
        secret.target = m.target;
        secret.mode = m.mode.value_or(0400);
        secret.uid = m.uid;
        secret.gid = m.gid;
        spec.secrets.push_back(secret);
      } else if (m.type == "cache") {
        std::string id_hash(common::Digest::sha256_of(m.id).hex().substr(0, 24));
        if (m.from) {
          s_.progress.message("WARN: RUN --mount=type=cache,from=" + *m.from +
                              ": mybuild does not seed cache mounts; the cache starts empty");
        }
        // shared: one directory for every step at once; locked: one step at a time waits
        // for it; private: a step that finds it in use gets an instance of its own (BuildKit's
        // "a new mount if there are multiple writers"), kept for later steps like the first.
        std::filesystem::path dir;
        for (int instance = 0; dir.empty(); ++instance) {
          std::string name = id_hash;
          if (instance > 0) name.append("-").append(std::to_string(instance));
          std::filesystem::path candidate = s_.store.root() / "cache-mounts" / name;
          std::filesystem::create_directories(candidate);
          if (m.sharing == "shared") {
            dir = candidate;
            break;
          }
          common::UniqueFd fd(::open(candidate.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
          if (!fd) common::throw_errno("open", candidate.string());
          const bool private_mount = m.sharing == "private" && instance < 64;
          if (::flock(fd.get(), private_mount ? LOCK_EX | LOCK_NB : LOCK_EX) != 0) {
            if (errno == EWOULDBLOCK && private_mount) continue;  // in use: the next instance
            common::throw_errno("flock", candidate.string());
          }
          keep.locks.push_back(std::move(fd));
          dir = candidate;
        }
        ::chmod(dir.c_str(), m.mode.value_or(0755));
        if (::chown(dir.c_str(), m.uid, m.gid) != 0) { /* best effort, as root it works */ }
        spec.mounts.push_back({"bind", dir.string(), m.target, {m.readonly ? "ro" : "rw"}});
      } else if (m.type == "bind") {
        std::filesystem::path source_root;
        const BuildContext* ctx = &s_.context;
        if (m.from) {
          auto source = open_source(s_, plan_, *m.from, state_.config.platform, id);
          ctx = &*source->context;
          keep.sources.push_back(std::move(source));
        }
        auto rel = ctx->resolve(m.source.empty() ? "." : m.source);
        if (!rel) throw Error(ErrorKind::kNotFound, "RUN --mount source \"" + m.source + "\": not found");
        std::filesystem::path host = ctx->host_path(*rel);
        if (!m.readonly) {
          // rw binds are scratch space: writes are thrown away, the source never changes.
          auto temp = std::make_unique<common::TempDir>("mybuild-bind-", s_.store.root() / "tmp");
          std::filesystem::copy(host, temp->path(), std::filesystem::copy_options::recursive |
                                                        std::filesystem::copy_options::copy_symlinks);
          host = temp->path();
          keep.temps.push_back(std::move(temp));
        }
        spec.mounts.push_back({"bind", host.string(), m.target, {m.readonly ? "ro" : "rw"}});
      }
    }
    std::vector<std::string> stub_paths = {"/dev", "/proc", "/sys", "/etc/hosts", "/etc/resolv.conf",
                                           "/etc/hostname"};
    for (const auto& m : spec.mounts) stub_paths.push_back(m.target);
    for (const auto& sec : spec.secrets) stub_paths.push_back(sec.target);
    auto stubs = std::make_shared<StubCleaner>(rootfs, stub_paths);
    StepOutput output(s_.progress, id);
    sandbox::ExitStatus status;
    try {
      status = sandbox::run(spec, s_.cancel, output);
    } catch (...) {
      stubs->clean();
      throw;
    }
    stubs->clean();
    after_unmount_ = [stubs](const std::filesystem::path& upper) { stubs->prune_upper(upper); };
    if (!status.success()) {
      std::string message = "process \"" + command_text + "\" did not complete successfully: " +
                            status.describe();
      std::string tail = output.tail();
      if (!tail.empty()) message += "\nlast output:\n" + tail;
      throw Error(ErrorKind::kSandbox, message);
    }
  });
}

}  // namespace mybuild::builder
