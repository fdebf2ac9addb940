#include "sandbox/device_rules.h"

namespace mybuild::sandbox {
namespace {

constexpr DeviceRule kDefaultRules[] = {
    {'c', kAnyDevice, kAnyDevice, kDeviceMknod},  // mknod of anything (runc)
    {'b', kAnyDevice, kAnyDevice, kDeviceMknod},
    {'c', 1, 3, kDeviceRwm},             // /dev/null
    {'c', 1, 5, kDeviceRwm},             // /dev/zero
    {'c', 1, 7, kDeviceRwm},             // /dev/full
    {'c', 1, 8, kDeviceRwm},             // /dev/random
    {'c', 1, 9, kDeviceRwm},             // /dev/urandom
    {'c', 5, 0, kDeviceRwm},             // /dev/tty
    {'c', 5, 1, kDeviceRwm},             // /dev/console
    {'c', 5, 2, kDeviceRwm},             // /dev/ptmx
    {'c', 136, kAnyDevice, kDeviceRwm},  // /dev/pts/*
    {'c', 10, 200, kDeviceRwm},          // /dev/net/tun
};

std::string number(int64_t n) { return n == kAnyDevice ? "*" : std::to_string(n); }

}  // namespace

std::span<const DeviceRule> default_device_rules() { return kDefaultRules; }

std::string device_rule_line(const DeviceRule& rule) {
  std::string access;
  if ((rule.access & kDeviceRead) != 0) access += 'r';
  if ((rule.access & kDeviceWrite) != 0) access += 'w';
  if ((rule.access & kDeviceMknod) != 0) access += 'm';
  return std::string(1, rule.type) + " " + number(rule.major) + ":" + number(rule.minor) + " " +
         access;
}

bool device_allowed(std::span<const DeviceRule> rules, char type, uint32_t major, uint32_t minor,
                    uint32_t access) {
  for (const auto& r : rules) {
    if (r.type != 'a' && r.type != type) continue;
    if ((access & ~r.access) != 0) continue;
    if (r.major != kAnyDevice && r.major != major) continue;
    if (r.minor != kAnyDevice && r.minor != minor) continue;
    return true;
  }
  return false;
}

}  // namespace mybuild::sandbox
