#include "builder/run/step_mounts.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "builder/run/bind_source.h"
#include "builder/run/cache_restore.h"
#include "builder/run/cache_seed.h"
#include "builder/ssh/agent_source.h"
#include "common/error.h"
#include "common/log.h"
#include "common/process_owner.h"

namespace mybuild::builder {

using common::Error;
using common::ErrorKind;

void StepMounts::add(const RunMount& mount, sandbox::ProcessSpec& spec,
                     const std::string& from_key) {
  if (mount.type == "tmpfs") {
    add_tmpfs(mount, spec);
  } else if (mount.type == "secret") {
    add_secret(mount, spec);
  } else if (mount.type == "cache" && mount.from) {
    add_seeded_cache(mount, spec, from_key);
  } else if (mount.type == "cache") {
    add_cache(mount, spec);
  } else if (mount.type == "bind") {
    add_bind(mount, spec);
  } else if (mount.type == "ssh") {
    add_ssh(mount, spec);
  }
}

void StepMounts::add_tmpfs(const RunMount& m, sandbox::ProcessSpec& spec) {
  std::vector<std::string> opts;
  if (m.size_bytes) opts.push_back("size=" + std::to_string(*m.size_bytes));
  spec.mounts.push_back({"tmpfs", "tmpfs", m.target, opts});
}

void StepMounts::add_secret(const RunMount& m, sandbox::ProcessSpec& spec) {
  auto it = s_.request.secrets.find(m.id);
  if (it == s_.request.secrets.end()) {
    if (m.required) {
      throw Error(
          ErrorKind::kUsage,
          "secret " + m.id + " is required but was not given (--secret id=" + m.id + ",src=FILE)");
    }
    return;
  }
  if (m.env) {
    spec.env.push_back(*m.env + "=" + it->second);
    if (m.target.empty()) return;
  }
  sandbox::SecretFile secret;
  secret.content = it->second;
  secret.target = m.target;
  secret.mode = m.mode.value_or(0400);
  secret.uid = m.uid;
  secret.gid = m.gid;
  spec.secrets.push_back(secret);
}

void StepMounts::add_seeded_cache(const RunMount& m, sandbox::ProcessSpec& spec,
                                  const std::string& from_key) {
  // The source is opened only to make a new instance, and closed once it is copied.
  CacheSeeder seed = [&](const std::filesystem::path& dir) {
    std::unique_ptr<OpenSource> source = open_source(s_, plan_, *m.from, platform_, step_);
    seed_cache_dir(*source->context, m.source, *m.from, dir, s_.store.root() / "tmp");
    s_.progress.step_log(step_, "seeded cache mount " + m.id + " from " + *m.from + ":" +
                                    (m.source.empty() ? "/" : m.source) + "\n");
  };
  caches_.push_back(acquire_cache_instance(s_.store.root() / "cache-mounts",
                                           seeded_cache_id_hash(m.id, from_key, m.source),
                                           m.sharing, seed));
  spec.mounts.push_back(
      {"bind", caches_.back().dir().string(), m.target, {m.readonly ? "ro" : "rw"}});
}

void StepMounts::add_cache(const RunMount& m, sandbox::ProcessSpec& spec) {
  caches_.push_back(acquire_cache_instance(s_.store.root() / "cache-mounts",
                                           cache_mount_id_hash(m.id), m.sharing));
  restore_cache_mount(s_, m.id, caches_.back(), step_);  // --cache-from, if it holds the id
  const std::filesystem::path& dir = caches_.back().dir();
  // Best effort, as the code before: as root both work; rootless the owner may not change.
  if (::chmod(dir.c_str(), m.mode.value_or(0755)) != 0) {
    common::log::debug("chmod " + dir.string() + ": " + std::strerror(errno));
  }
  if (::chown(dir.c_str(), m.uid, m.gid) != 0) {
    common::log::debug("chown " + dir.string() + ": " + std::strerror(errno));
  }
  spec.mounts.push_back({"bind", dir.string(), m.target, {m.readonly ? "ro" : "rw"}});
}

void StepMounts::add_bind(const RunMount& m, sandbox::ProcessSpec& spec) {
  const BuildContext* ctx = &s_.context;
  if (m.from) {
    auto source = open_source(s_, plan_, *m.from, platform_, step_);
    ctx = &*source->context;
    sources_.push_back(std::move(source));
  }
  auto rel = ctx->resolve(m.source.empty() ? "." : m.source);
  if (!rel) {
    throw Error(ErrorKind::kNotFound, "RUN --mount source \"" + m.source + "\": not found");
  }
  std::filesystem::path host = ctx->host_path(*rel);
  // The main context is seen through .dockerignore; from= trees include everything. The cache
  // key already covers only the visible files: key_mount_sources (step_run.cc) checksums through
  // s_.context's filter with checksum_sources, as COPY does.
  const bool filtered = !m.from && hides_below(*ctx, *rel);
  if (filtered || !m.readonly) {
    // A private copy: rw binds are scratch space (writes are thrown away, the source never
    // changes), and a filtered copy leaves out what .dockerignore hides. A file stays a file.
    auto temp = std::make_unique<common::TempDir>(common::owned_prefix("mybuild-bind-"),
                                                  s_.store.root() / "tmp");
    host = copy_visible(*ctx, *rel, temp->path());
    temps_.push_back(std::move(temp));
  }
  spec.mounts.push_back({"bind", host.string(), m.target, {m.readonly ? "ro" : "rw"}});
}

}  // namespace mybuild::builder

namespace mybuild::builder {

// The step sees one socket file at the target, bound from mybuild's own listening socket
// (builder/ssh/agent_socket.h); SSH_AUTH_SOCK names the first one unless the env sets it, as
// BuildKit does. Neither the agent's path nor a key is in the spec, and so in no layer or key.
void StepMounts::add_ssh(const RunMount& m, sandbox::ProcessSpec& spec) {
  auto it = s_.request.ssh.find(m.id);
  if (it == s_.request.ssh.end()) {
    if (!m.required) {
      common::log::warn("ssh agent id \"" + m.id + "\" was not given (--ssh " + m.id +
                        "=...): RUN --mount=type=ssh is left out, as required=false");
      return;
    }
    throw Error(ErrorKind::kUsage, "ssh agent id \"" + m.id +
                                       "\" is required by RUN --mount=type=ssh but was not given "
                                       "(--ssh " +
                                       m.id + "=$SSH_AUTH_SOCK or --ssh " + m.id + "=KEYFILE)");
  }
  ssh::AgentSource source = ssh::open_agent_source(m.id, it->second);
  const std::filesystem::path temp_parent = s_.store.root() / "tmp";
  std::filesystem::create_directories(temp_parent);
  agents_.push_back(source.keys ? std::make_unique<ssh::AgentSocket>(temp_parent, source.keys)
                                : std::make_unique<ssh::AgentSocket>(temp_parent, source.socket));
  const std::filesystem::path& socket = agents_.back()->path();
  if (::chmod(socket.c_str(), m.mode.value_or(0600)) != 0) {
    common::throw_errno("chmod", socket.string());
  }
  if (::chown(socket.c_str(), m.uid, m.gid) != 0) {
    common::log::debug("chown " + socket.string() + ": " + std::strerror(errno));
  }
  spec.mounts.push_back({"bind", socket.string(), m.target, {"rw"}});
  bool has_sock = false;
  for (const auto& e : spec.env) has_sock = has_sock || e.starts_with("SSH_AUTH_SOCK=");
  if (!has_sock) spec.env.push_back("SSH_AUTH_SOCK=" + m.target);
}

}  // namespace mybuild::builder
