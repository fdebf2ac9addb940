// Which device nodes a step may create and open: Docker's default allowlist, enforced by the
// step's cgroup (v1 devices.deny/devices.allow, v2 a BPF_PROG_TYPE_CGROUP_DEVICE program). With
// it a step may mknod anything (images ship device nodes, and Docker allows it) but can open only
// null, zero, full, random, urandom, tty, console, ptmx, its own ptys and tun: a block device it
// made (`mknod /x b 7 0`, the host's loop0) or one shipped in a layer stays closed.
//
// The rules are plain data, the same on both hierarchies; device_filter.h compiles them to BPF.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mybuild::sandbox {

enum DeviceAccess : uint32_t {
  kDeviceMknod = 1,  // same bits as BPF_DEVCG_ACC_* (linux/bpf.h)
  kDeviceRead = 2,
  kDeviceWrite = 4,
  kDeviceRwm = 7,
};

inline constexpr int64_t kAnyDevice = -1;  // a wildcard major or minor

struct DeviceRule {
  char type = 'a';  // 'c', 'b' or 'a' (both)
  int64_t major = kAnyDevice;
  int64_t minor = kAnyDevice;
  uint32_t access = kDeviceRwm;  // DeviceAccess bits
};

// moby oci/defaults.go (deny all, then null, zero, urandom, random, tty, console) joined with
// runc's AllowedDevices (mknod of any char/block device; null, random, full, tty, zero, urandom;
// /dev/pts/* (136:*), /dev/ptmx (5:2), tun (10:200)), which runc appends to every container.
// All are allow rules; anything not listed is denied.
std::span<const DeviceRule> default_device_rules();

// cgroup v1 "devices.allow" lines: "c 1:3 rwm", "b *:* m".
std::string device_rule_line(const DeviceRule& rule);

// Whether the rules allow `access` on (type, major, minor): the decision both the v1 controller
// and the BPF program make, spelled out as the reference the program's tests compare with.
bool device_allowed(std::span<const DeviceRule> rules, char type, uint32_t major, uint32_t minor,
                    uint32_t access);

}  // namespace mybuild::sandbox
