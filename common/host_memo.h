// HostMemo: a "yes" about this host that is costly to learn (an overlay mount made and unmade,
// namespaces made for real) remembered in a small file, so that a no-op build does not pay for
// it every time (issue 17: the two probes were most of a no-op's wall time, an unmount waiting
// for an RCU grace period).
//
// Why a remembered yes cannot be wrong: the file holds a fingerprint of everything such an
// answer depends on, and is believed only while the fingerprint is unchanged: the kernel's boot
// (any module, sysctl or policy reset), this process's namespaces (mount, user, pid, ...), its
// credentials and capabilities, its LSM label, its uid/gid maps, the sysctls that gate new
// namespaces, and the file system of the memo's own directory. A process under a seccomp filter
// (tests/isolation, a confined container) has no fingerprint: a filter cannot be read back, so
// it always probes; nor has one in a user namespace (rootless mybuild makes a new one for every
// command, so nothing remembered there could ever be believed). Only a yes is remembered: a no is
// cheap to be told again (the probe fails fast) and must never outlive its cause. A sysctl changed
// at run time (user.max_user_namespaces lowered by an administrator) is part of the fingerprint, so
// the next command probes again.
//
//   if (!common::host_memo_holds(file)) { probe(); if (ok) common::host_memo_remember(file); }
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace mybuild::common {

// The fingerprint of this host and process for a memo file in `dir`; nullopt when nothing may
// be remembered (a seccomp filter, or /proc unreadable).
std::optional<std::string> host_fingerprint(const std::filesystem::path& dir);

// Whether `file` remembers a yes for this very fingerprint. Never throws: an unreadable or stale
// file is a "probe again".
bool host_memo_holds(const std::filesystem::path& file);

// Remembers a yes in `file` (written atomically). Best effort: a failure is logged, not thrown;
// the next command probes again.
void host_memo_remember(const std::filesystem::path& file);

}  // namespace mybuild::common
