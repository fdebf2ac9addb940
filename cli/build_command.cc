#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "builder/build.h"
#include "builder/run_options.h"
#include "cli/build_flags.h"
#include "cli/build_result_files.h"
#include "cli/byte_size.h"
#include "cli/commands.h"
#include "cli/kaniko_flags.h"
#include "cli/progress.h"
#include "cli/registry_flags.h"
#include "cli/ssh_flags.h"
#include "common/duration.h"
#include "common/error.h"
#include "common/trace.h"
#include "common/unique_fd.h"

namespace mybuild::cli {

namespace {

using common::Error;
using common::ErrorKind;

// Runs a builder parser of a flag's value; its usage error ("'v': why") gains the flag's name.
template <class Parse>
auto parse_flag_value(const char* flag, const std::string& value, Parse parse) {
  try {
    return parse(value);
  } catch (const Error& e) {
    throw Error(ErrorKind::kUsage, std::string("invalid ") + flag + " value " + e.message());
  }
}

// Later values for the same resource win, as in docker (its ulimits are a map by name).
std::vector<builder::Ulimit> parse_ulimits(const std::vector<std::string>& values) {
  std::vector<builder::Ulimit> limits;
  for (const auto& v : values) {
    auto limit = parse_flag_value("--ulimit", v, builder::parse_ulimit);
    std::erase_if(limits, [&](const builder::Ulimit& l) { return l.resource == limit.resource; });
    limits.push_back(limit);
  }
  return limits;
}

// Go's duration syntax ("90s", "10m", "1h30m", common/duration.h) or plain seconds ("90").
std::chrono::milliseconds parse_timeout(const std::string& text) {
  const bool plain_seconds =
      !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  auto d = common::parse_duration(plain_seconds ? text + "s" : text);
  if (!d || *d < std::chrono::milliseconds(1)) {
    throw Error(ErrorKind::kUsage, "invalid --timeout value: " + text + " (e.g. 90s, 10m, 1h30m)");
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
}

// "0", "0-1", "0,2-3": what the cpuset controller takes.
std::string check_cpuset(const std::string& text) {
  bool ok = !text.empty();
  for (char c : text)
    ok = ok && (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == ',');
  if (!ok)
    throw Error(ErrorKind::kUsage, "invalid --cpuset-cpus value: " + text + " (e.g. 0-1 or 0,2)");
  return text;
}

std::pair<std::string, std::string> split_kv(const std::string& text, const char* flag) {
  auto eq = text.find('=');
  if (eq == 0) throw Error(ErrorKind::kUsage, std::string("invalid ") + flag + " value: " + text);
  if (eq == std::string::npos) return {text, ""};
  return {text.substr(0, eq), text.substr(eq + 1)};
}

// SIGINT/SIGTERM cancel the build (the steps' process trees are killed, snapshots removed)
// instead of killing mybuild half way. Blocked here, waited for by one thread. Which signal it
// was goes to `received` when the canceller ends: mybuild then exits 128 + that signal (143
// for a CI runner's SIGTERM, 130 for ^C), as a shell reports a process the signal killed.
class SignalCanceller {
 public:
  SignalCanceller(common::CancelToken& cancel, int& received)
      : cancel_(cancel), received_(received) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);  // the destructor's wake-up call
    pthread_sigmask(SIG_BLOCK, &set, &old_);
    thread_ = std::thread([this, set] {
      while (!done_) {
        timespec timeout{1, 0};
        int sig = sigtimedwait(&set, nullptr, &timeout);
        if (sig == SIGINT || sig == SIGTERM) {
          int none = 0;
          signal_.compare_exchange_strong(none, sig);  // the first one decides the exit code
          cancel_.cancel();
        }
      }
    });
  }
  ~SignalCanceller() {
    done_ = true;
    pthread_kill(thread_.native_handle(), SIGUSR1);
    thread_.join();
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    if (signal_ != 0) received_ = signal_;
  }

 private:
  common::CancelToken& cancel_;
  int& received_;
  std::atomic<int> signal_{0};
  sigset_t old_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// Kaniko's tar://FILE context: the builder reads a tar context from fd 0, so the file becomes
// stdin, as if it had been piped in (`mybuild build - < FILE`).
void read_stdin_from(const std::string& file) {
  common::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw Error(ErrorKind::kNotFound, "--context tar://" + file + ": cannot open " + file);
  if (::dup2(fd.get(), STDIN_FILENO) < 0) common::throw_errno("dup2", file);
}

void run_build(const BuildFlags& given, const KanikoFlags& kaniko, GlobalOptions& global,
               std::ostream& out, std::ostream& err) {
  BuildFlags f = given;
  KanikoEffects kaniko_effects = apply_kaniko_flags(kaniko, f);
  if (!kaniko_effects.context_tar.empty()) read_stdin_from(kaniko_effects.context_tar);
  builder::BuildRequest r;
  r.store_root = prepare_root(global);
  if (f.context.empty()) f.context = ".";
  r.isolation = builder::choose_isolation(global.isolation, r.store_root);
  if (f.context == "-") {
    if (f.file == "-")
      throw Error(ErrorKind::kUsage, "the context and the Dockerfile cannot both come from stdin");
    r.context_from_stdin = true;
  } else if (builder::is_git_context(f.context)) {
    r.context_git = f.context;
  } else if (builder::is_url_context(f.context)) {
    r.context_url = f.context;
  } else {
    r.context_dir = f.context;
  }
  if (f.file == "-") {
    r.dockerfile_text = std::string(std::istreambuf_iterator<char>(std::cin), {});
  } else if (!f.file.empty()) {
    r.dockerfile = f.file;
  }
  r.tags = f.tags;
  for (const auto& a : f.build_args) {
    auto [k, v] = split_kv(a, "--build-arg");
    if (a.find('=') == std::string::npos) {
      // `--build-arg K` takes K from the environment; unset means not given (docker's rule).
      const char* env = std::getenv(k.c_str());
      if (env == nullptr) continue;
      v = env;
    }
    r.build_args[k] = v;
  }
  // buildx passes SOURCE_DATE_EPOCH from the environment as the build arg of that name; an
  // explicit --build-arg wins.
  if (!r.build_args.count("SOURCE_DATE_EPOCH")) {
    if (const char* env = std::getenv("SOURCE_DATE_EPOCH"); env != nullptr && *env != '\0') {
      r.build_args["SOURCE_DATE_EPOCH"] = env;
    }
  }
  if (auto it = r.build_args.find("SOURCE_DATE_EPOCH"); it != r.build_args.end()) {
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0' || errno != 0 || v < 0) {
      throw Error(ErrorKind::kUsage, "SOURCE_DATE_EPOCH=" + it->second +
                                         ": want whole seconds since 1970 (e.g. $(git log -1 "
                                         "--format=%ct))");
    }
    r.source_date_epoch = v;
  }
  r.target = f.target;
  r.no_cache = f.no_cache;
  r.no_cache_filter = f.no_cache_filter;
  r.cache_ttl = f.cache_ttl;
  r.single_snapshot = f.single_snapshot;
  if (r.cache_ttl && r.source_date_epoch) {
    // Records then carry SOURCE_DATE_EPOCH as their time, which says nothing of their age.
    throw Error(ErrorKind::kUsage,
                "--cache-ttl cannot be used with SOURCE_DATE_EPOCH (or --reproducible): cache "
                "records then carry that date, not when their step ran");
  }
  r.pull = f.pull;
  r.platform = f.platform;
  for (const auto& l : f.labels) {
    auto [k, v] = split_kv(l, "--label");
    r.labels[k] = v;
  }
  r.push = f.push;
  for (const auto& o : f.outputs) r.outputs.push_back(image::parse_output(o));
  r.network = f.network;
  if (!f.memory.empty()) r.memory_bytes = parse_byte_size(f.memory, "--memory");
  if (!f.cpus.empty()) {
    char* end = nullptr;
    double cpus = std::strtod(f.cpus.c_str(), &end);
    if (end == f.cpus.c_str() || *end != '\0' || !(cpus > 0))
      throw Error(ErrorKind::kUsage, "invalid --cpus value: " + f.cpus);
    r.cpus = cpus;
  }
  if (f.cpu_quota < 0 || (f.cpu_quota > 0 && f.cpu_quota < 1000)) {
    throw Error(ErrorKind::kUsage, "invalid --cpu-quota value: " + std::to_string(f.cpu_quota) +
                                       " (microseconds per 100ms period, at least 1000)");
  }
  if (f.cpu_quota > 0) r.cpu_quota_us = static_cast<uint64_t>(f.cpu_quota);
  if (!f.cpuset_cpus.empty()) r.cpuset_cpus = check_cpuset(f.cpuset_cpus);
  if (f.pids_limit < 0) {
    throw Error(ErrorKind::kUsage, "invalid --pids-limit value: " + std::to_string(f.pids_limit));
  }
  if (f.pids_limit > 0) r.pids_limit = static_cast<uint64_t>(f.pids_limit);
  if (!f.timeout.empty()) r.step_timeout = parse_timeout(f.timeout);
  for (const auto& h : f.add_hosts) {
    r.extra_hosts.push_back(parse_flag_value("--add-host", h, builder::parse_host_entry));
  }
  if (!f.shm_size.empty()) r.shm_size_bytes = parse_byte_size(f.shm_size, "--shm-size");
  r.ulimits = parse_ulimits(f.ulimits);
  for (const auto& a : f.annotations)
    r.annotations.push_back(parse_flag_value("--annotation", a, builder::parse_annotation));
  r.provenance = parse_flag_value("--provenance", f.provenance, builder::parse_provenance);
  r.force_index = f.index;
  r.jobs = f.jobs;
  r.skip_unused_stages = f.skip_unused_stages;
  r.explain_cache = f.explain_cache;
  r.compression = f.compression;
  r.compression_level = f.compression_level;
  r.registry = f.registry;
  apply_cache_flags(f.cache, r);
  for (const auto& spec : r.cache_to) {
    if (r.single_snapshot && spec.type == "inline") {
      // Inline records name their layers by the image's diff_ids, which the squash replaced.
      throw Error(ErrorKind::kUsage,
                  "--single-snapshot cannot be used with --cache-to type=inline: the image has "
                  "no per-step layers for the records to name (use type=registry or local)");
    }
  }
  for (const auto& a : f.allow) {
    if (a == "security.insecure") {
      r.allow_insecure = true;
    } else if (a == "network.host") {
      r.allow_network_host = true;
    } else {
      throw Error(ErrorKind::kUsage, "unknown entitlement: " + a);
    }
  }
  for (const auto& c : f.build_contexts) {
    auto [name, value] = split_kv(c, "--build-context");
    if (name.empty() || value.empty()) {
      throw Error(ErrorKind::kUsage,
                  "--build-context " + c + ": want NAME=PATH or NAME=docker-image://REF");
    }
    if (value.starts_with(builder::kDockerImageContext) ||
        value.starts_with(builder::kOciLayoutContext) || builder::is_git_context(value) ||
        builder::is_url_context(value)) {
      r.named_contexts[name] = value;  // a git or tarball URL is fetched by the build
      continue;
    }
    if (value.find("://") != std::string::npos || value.rfind("git@", 0) == 0 ||
        value.rfind("target:", 0) == 0) {
      // buildx also takes target:; mybuild does not yet.
      throw Error(ErrorKind::kUsage, "--build-context " + c +
                                         ": only a local directory, a git or tarball URL, "
                                         "docker-image://REF or oci-layout://PATH is supported "
                                         "by mybuild");
    }
    std::error_code ec;
    if (!std::filesystem::is_directory(value, ec)) {
      throw Error(ErrorKind::kUsage, "--build-context " + c + ": " + value + " is not a directory");
    }
    r.named_contexts[name] = std::filesystem::absolute(value).lexically_normal().string();
  }
  for (const auto& s : f.secrets) {
    std::string id, src, env_name;
    size_t pos = 0;
    while (pos <= s.size()) {
      size_t comma = s.find(',', pos);
      std::string field =
          s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      auto [k, v] = split_kv(field, "--secret");
      if (k == "id")
        id = v;
      else if (k == "src" || k == "source")
        src = v;
      else if (k == "env")
        env_name = v;
      else if (k != "type")
        throw Error(ErrorKind::kUsage, "invalid --secret field: " + field);
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    if (id.empty()) throw Error(ErrorKind::kUsage, "--secret needs id=NAME: " + s);
    // docker buildx: src=FILE, or env=VAR, or neither (then an env var or a file named like id).
    if (!env_name.empty() || (src.empty() && std::getenv(id.c_str()) != nullptr)) {
      const char* value = std::getenv((env_name.empty() ? id : env_name).c_str());
      if (value == nullptr)
        throw Error(ErrorKind::kUsage, "--secret " + s + ": environment variable not set");
      r.secrets[id] = value;
      continue;
    }
    if (src.empty()) src = id;
    std::ifstream file(src, std::ios::binary);
    if (!file) throw Error(ErrorKind::kNotFound, "--secret " + s + ": cannot read " + src);
    r.secrets[id] = std::string(std::istreambuf_iterator<char>(file), {});
  }
  r.ssh = parse_ssh_flags(f.ssh, std::getenv("SSH_AUTH_SOCK"));

  bool terminal = ::isatty(STDERR_FILENO) == 1;
  std::ostringstream discard;
  // buildx's --progress=quiet shows nothing; -q shows nothing but the image id at the end.
  const bool silent = f.quiet || f.progress == "quiet";
  auto progress = make_progress(f.progress == "quiet" ? "plain" : f.progress,
                                silent ? static_cast<std::ostream&>(discard) : err, terminal,
                                ci_log_from_env());
  WarningRecorder recorder(*progress);
  for (const auto& w : kaniko_effects.warnings) recorder.message("WARN: " + w);
  common::CancelToken cancel;
  builder::BuildResult result;
  {
    SignalCanceller signals(cancel, global.cancel_signal);
    std::optional<common::TraceWriter> trace;
    std::optional<common::TraceInstall> tracing;
    if (!f.trace.empty()) tracing.emplace(trace.emplace(f.trace));
    common::TraceTrack track("build");
    common::TraceSpan span("mybuild build");
    result = builder::build(r, recorder, cancel);
  }
  if (f.quiet) out << result.config_digest.str() << "\n";
  write_result_files(f, result, recorder.warnings());
}

// The limits and environment of RUN steps (docker build's resource flags).
void add_run_step_flags(CLI::App* b, BuildFlags& flags) {
  b->add_option("--network", flags.network, "RUN network: default, none, host")
      ->check(CLI::IsMember({"default", "none", "host"}));
  b->add_option("--memory", flags.memory, "Memory limit for RUN steps (e.g. 512m)");
  b->add_option("--cpus", flags.cpus, "CPU limit for RUN steps (e.g. 1.5)");
  b->add_option("--cpu-quota", flags.cpu_quota,
                "CPU time for RUN steps in microseconds per 100ms period (--cpus wins)");
  b->add_option("--cpuset-cpus", flags.cpuset_cpus, "CPUs RUN steps may use (e.g. 0-1)");
  b->add_option("--pids-limit", flags.pids_limit,
                "Process limit for each RUN step (default 32768)");
  b->add_option("--timeout", flags.timeout,
                "Kill a RUN step that runs longer (e.g. 90s, 10m); the build fails");
  b->add_option("--add-host", flags.add_hosts,
                "Add a line to each RUN step's /etc/hosts (HOST:IP); repeatable")
      ->allow_extra_args(false);
  b->add_option("--shm-size", flags.shm_size, "Size of each RUN step's /dev/shm (default 64m)");
  b->add_option("--ulimit", flags.ulimits,
                "Resource limit for RUN steps (NAME=SOFT[:HARD], -1 unlimited); repeatable")
      ->allow_extra_args(false);
}

}  // namespace

void add_build_command(CLI::App& app, GlobalOptions& global, std::ostream& out, std::ostream& err) {
  auto flags = std::make_shared<BuildFlags>();  // shared: owned by the callback and the options
  auto* b = app.add_subcommand("build", "Build an image from a Dockerfile (the default command)");
  // Every repeatable flag takes exactly one value per use (docker's -t a -t b), so that
  // `-t app:v1 DIR` leaves DIR to the context.
  b->add_option("context", flags->context,
                "Build context: a directory, a git or tarball URL, or - for a tar on stdin");
  b->add_option("-t,--tag", flags->tags, "Name and optionally a tag (name:tag); repeatable")
      ->allow_extra_args(false);
  b->add_option("-f,--file", flags->file,
                "Dockerfile path (default: CONTEXT/Dockerfile; - = stdin)");
  b->add_option("--build-arg", flags->build_args, "Set a build-time variable (K=V, or K from env)")
      ->allow_extra_args(false);
  b->add_option("--target", flags->target, "Build only up to this stage");
  b->add_flag("--no-cache", flags->no_cache, "Do not use the build cache");
  b->add_option("--no-cache-filter", flags->no_cache_filter, "Do not cache these stages")
      ->allow_extra_args(false);
  b->add_flag("--pull", flags->pull, "Always check the registry for newer base images");
  b->add_option("--platform", flags->platform, "Target platform (os/arch[/variant])");
  b->add_option("--label", flags->labels, "Set image metadata (K=V)")->allow_extra_args(false);
  b->add_flag("--push", flags->push, "Push every tag after the build");
  b->add_option("-o,--output", flags->outputs, "Output: type=oci|docker|local|tar,dest=PATH")
      ->allow_extra_args(false);
  b->add_option("--trace", flags->trace,
                "Write Chrome trace events (open in Perfetto) of where the build's time goes");
  b->add_option("--progress", flags->progress, "Progress output: auto, tty, plain, rawjson, quiet")
      ->check(CLI::IsMember({"auto", "tty", "plain", "rawjson", "quiet"}));
  b->add_flag("-q,--quiet", flags->quiet, "Print only the image id");
  add_run_step_flags(b, *flags);
  b->add_option("--jobs", flags->jobs, "Stages built in parallel (default: the core count)");
  b->add_option("--skip-unused-stages", flags->skip_unused_stages,
                "Skip stages the target does not need (default true)");
  b->add_flag("--explain-cache", flags->explain_cache, "Say why each cache miss happened");
  b->add_option("--compression", flags->compression,
                "Layer compression of --push and -o oci|docker: gzip (default), zstd, none")
      ->check(CLI::IsMember({"gzip", "zstd", "none", "uncompressed"}));
  b->add_option("--compression-level", flags->compression_level,
                "Compression level (gzip 0-12: 1-3 ISA-L, default 1; zstd 1-22)");
  b->add_option("--allow", flags->allow, "Allow an entitlement (security.insecure)")
      ->allow_extra_args(false);
  b->add_option("--secret", flags->secrets, "Secret for RUN --mount=type=secret (id=X,src=PATH)")
      ->allow_extra_args(false);
  b->add_option("--ssh", flags->ssh,
                "SSH agent or keys for RUN --mount=type=ssh and git over ssh "
                "(default|ID[=SOCKET|KEY[,KEY]]); repeatable")
      ->allow_extra_args(false);
  b->add_option(
       "--build-context", flags->build_contexts,
       "Named context NAME=PATH|<git URL>|<tarball URL>|docker-image://REF|oci-layout://PATH "
       "(COPY --from, FROM, mounts)")
      ->allow_extra_args(false);
  b->add_option("--annotation", flags->annotations,
                "Annotation [manifest|index|manifest-descriptor|index-descriptor[,...]:]K=V")
      ->allow_extra_args(false);
  b->add_option("--provenance", flags->provenance,
                "SLSA provenance attestation: false (default), true, mode=min|max");
  b->add_flag("--index", flags->index,
              "Write an image index even for one platform (the store, -o oci|image, --push)");
  add_registry_flags(b, flags->registry);  // base-image pulls and --push
  add_cache_flags(b, flags->cache);
  add_result_file_flags(b, *flags);
  auto kaniko = std::make_shared<KanikoFlags>();
  add_kaniko_flags(b, *kaniko);
  b->callback(
      [flags, kaniko, &global, &out, &err] { run_build(*flags, *kaniko, global, out, err); });
}

}  // namespace mybuild::cli
