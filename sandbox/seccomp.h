// The seccomp filter of a RUN step: Docker's default profile (sandbox/seccomp_profile.h says
// which version and what it allows) as an allow-list. Everything not allowed fails with EPERM:
// kernel keyrings, bpf, kexec, reboot, module loading, mount and namespace creation, clock
// setting, perf, open_by_handle_at, and any syscall the profile does not name.
//
// Built once in the parent with libseccomp and exported as a classic BPF program, so the child
// only calls prctl() (no allocation after clone). The program covers the host's architecture
// and its compatibility ABIs (x86_64: i386 and x32; aarch64: arm), as Docker's archMap does.
//
// Syscall numbers above the highest one the profile names (per ABI) fail with ENOSYS, not
// EPERM, as under runc (libcontainer/seccomp/patchbpf): a syscall newer than this libseccomp
// (fchmodat2, statmount, ...) then looks absent, and libc falls back to the old one instead of
// failing. Numbers below that, in the table's gaps or not allowed, get EPERM.
//
// RUN --security=insecure gets no filter at all (sandbox/run.cc), as BuildKit's insecure mode
// has seccomp unconfined.
#pragma once

#include <linux/filter.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mybuild::sandbox {

class SeccompProgram {
 public:
  // Docker's policy for a container keeping Docker's default capabilities (sandbox/caps.h):
  // what every RUN step gets. Throws Error(kSandbox) when libseccomp cannot build the filter.
  static SeccompProgram docker_default();
  // The same policy for a container keeping `capabilities` (bit c set: capability c kept):
  // capability-gated syscalls are allowed when their capability is kept; with CAP_SYS_ADMIN,
  // clone and clone3 lose their restrictions.
  static SeccompProgram for_capabilities(uint64_t capabilities);

  SeccompProgram(SeccompProgram&& other) noexcept : filter_(std::move(other.filter_)) { link(); }
  SeccompProgram(const SeccompProgram&) = delete;
  SeccompProgram& operator=(const SeccompProgram&) = delete;

  // A struct sock_fprog* for prctl(PR_SET_SECCOMP); valid while this object lives.
  const sock_fprog* program() const { return &prog_; }
  size_t instructions() const { return filter_.size(); }

 private:
  explicit SeccompProgram(std::vector<sock_filter> filter) : filter_(std::move(filter)) { link(); }
  void link() {
    prog_.len = static_cast<unsigned short>(filter_.size());
    prog_.filter = filter_.data();
  }
  std::vector<sock_filter> filter_;
  sock_fprog prog_{};
};

}  // namespace mybuild::sandbox
