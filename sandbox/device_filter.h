// cgroup v2 has no devices.allow: the same policy is a BPF_PROG_TYPE_CGROUP_DEVICE program
// attached to the step's cgroup, as runc and crun do. The program is assembled here by hand
// (a dozen instruction kinds, as runc's libcontainer/cgroups/devices/ebpf does) and loaded with
// bpf(2) directly: libbpf would bring a runtime library and an ELF object pipeline (clang -target
// bpf) for a program that is a straight list of compares, and mybuild needs only the kernel at
// run time.
#pragma once

#include <linux/bpf.h>

#include <span>
#include <vector>

#include "common/unique_fd.h"
#include "sandbox/device_rules.h"

namespace mybuild::sandbox {

// The program: r0 = 1 (allow) for the first rule matching the bpf_cgroup_dev_ctx in r1, else 0.
std::vector<bpf_insn> build_device_filter(std::span<const DeviceRule> rules);

// BPF_PROG_LOAD; the verifier's log is in the error. Throws Error(kSandbox) "bpf(BPF_PROG_LOAD)".
common::UniqueFd load_device_filter(std::span<const bpf_insn> program);

// Loads the program for `rules` and attaches it to the cgroup v2 directory `cgroup_dir_fd`
// (BPF_F_ALLOW_MULTI: programs of parent cgroups, systemd's, still apply as well). The attachment
// lives as long as the cgroup. Throws Error(kSandbox) naming the call.
void attach_device_filter(int cgroup_dir_fd, std::span<const DeviceRule> rules);

}  // namespace mybuild::sandbox
