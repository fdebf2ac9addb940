// The seccomp filter of a RUN step, with the outcome of Docker's default profile
// (moby profiles/seccomp/default.json) for a container without CAP_SYS_ADMIN: kernel keyrings,
// bpf, kexec/reboot, module loading, mounting and namespace creation, clock setting, perf,
// process_vm_* and the like fail with EPERM. Built once in the parent with libseccomp and
// exported as a classic BPF program, so the child only calls prctl() (no allocation after clone).
//
// Difference from Docker, on purpose and stated: Docker's profile is an allow-list (unknown
// syscalls get ENOSYS/EPERM); this filter denies the dangerous families by name and allows the
// rest. clone3 gets ENOSYS, as in Docker, so libc falls back to clone, whose flags we can see.
#pragma once

#include <linux/filter.h>

#include <cstddef>
#include <vector>

namespace mybuild::sandbox {

class SeccompProgram {
 public:
  // Throws Error(kSandbox) when libseccomp cannot build the filter.
  static SeccompProgram docker_default();

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
