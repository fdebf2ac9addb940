#include "builder/isolation.h"

#include <unistd.h>

#include "common/error.h"
#include "common/host_memo.h"
#include "sandbox/isolation.h"
#include "sandbox/rootless.h"

namespace mybuild::builder {
namespace {

using common::Error;
using common::ErrorKind;

// What chroot mode will have here besides the chroot itself.
std::string chroot_detail(const sandbox::IsolationProbe& probe) {
  if (!probe.bind_error) return "the container's /proc, /dev and /sys bound in";
  std::string text = "no mounts allowed (" + *probe.bind_error + "): no /proc or /sys, ";
  text += probe.can_mknod ? "/dev/null, zero, full, random, urandom and tty made as device nodes"
                          : "no device nodes beyond the image's own /dev (mknod refused)";
  return text;
}

IsolationChoice chroot_choice(const sandbox::IsolationProbe& probe, std::string why) {
  if (probe.chroot_error) {
    throw Error(ErrorKind::kSandbox,
                "cannot isolate RUN steps here: " + why + "; and " + *probe.chroot_error);
  }
  std::string detail = why.empty() ? chroot_detail(probe) : why + "; " + chroot_detail(probe);
  if (sandbox::in_user_namespace()) detail += "; inside a user namespace";
  return {sandbox::Isolation::kChroot, "chroot", detail};
}

// The probe, or what a yes of an earlier one remembered in the store (builder/isolation.h).
sandbox::IsolationProbe probe_or_remember(const std::filesystem::path& store_root) {
  if (store_root.empty()) return sandbox::probe_isolation();
  const std::filesystem::path memo = store_root / "run" / "isolation-allowed";
  if (common::host_memo_holds(memo)) {
    sandbox::IsolationProbe allowed;  // every error empty: all of it allowed
    allowed.can_mknod = true;
    return allowed;
  }
  sandbox::IsolationProbe probe = sandbox::probe_isolation();
  if (!probe.namespaces_error && !probe.bind_error && !probe.chroot_error && probe.can_mknod) {
    common::host_memo_remember(memo);
  }
  return probe;
}

}  // namespace

std::string IsolationChoice::line() const {
  return "isolation: " + name + (detail.empty() ? "" : " (" + detail + ")");
}

bool is_isolation_name(std::string_view word) {
  return word == "auto" || word == "namespaces" || word == "rootless" || word == "chroot";
}

IsolationChoice choose_isolation(std::string_view requested,
                                 const std::filesystem::path& store_root) {
  if (!is_isolation_name(requested)) {
    throw Error(ErrorKind::kUsage, "--isolation: unknown mode \"" + std::string(requested) +
                                       "\" (expected auto, namespaces, rootless or chroot)");
  }
  const bool rootless = sandbox::inside_rootless();
  if (requested == "rootless" && !rootless) {
    throw Error(ErrorKind::kUsage,
                "--isolation=rootless is how an unprivileged user's mybuild runs (in a user "
                "namespace of its own); as root use --isolation=namespaces, or run mybuild as "
                "an unprivileged user");
  }
  if (requested == "namespaces" && rootless) {
    throw Error(ErrorKind::kUsage,
                "--isolation=namespaces needs root; an unprivileged mybuild runs its namespaces "
                "inside a user namespace: --isolation=rootless (or auto)");
  }
  sandbox::IsolationProbe probe = probe_or_remember(store_root);
  if (requested == "chroot") return chroot_choice(probe, "");
  if (!probe.namespaces_error) {
    return rootless ? IsolationChoice{sandbox::Isolation::kNamespaces, "rootless", ""}
                    : IsolationChoice{sandbox::Isolation::kNamespaces, "namespaces", ""};
  }
  if (requested != "auto") {
    throw Error(ErrorKind::kSandbox, "--isolation=" + std::string(requested) +
                                         ": this host does not allow the namespaces RUN steps "
                                         "need: " +
                                         *probe.namespaces_error +
                                         " (--isolation=chroot works without them)");
  }
  return chroot_choice(probe, "no new namespaces allowed: " + *probe.namespaces_error);
}

}  // namespace mybuild::builder
