#include "common/host_memo.h"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <sstream>
#include <string_view>

#include "common/error.h"
#include "common/io.h"
#include "common/log.h"

namespace mybuild::common {
namespace {

// A small /proc or /sys file, or "-" where this kernel has none (an absent sysctl is a fact too).
std::string host_memo_read(const char* path) {
  try {
    return read_file(path, 4096);
  } catch (const Error&) {
    return "-";  // absent or unreadable: recorded as such, so a later change shows
  }
}

// The lines of /proc/self/status that say what this process may do; nullopt under a seccomp
// filter (its rules cannot be read back, so two filtered processes could not be told apart).
std::optional<std::string> host_memo_powers() {
  std::istringstream status(host_memo_read("/proc/self/status"));
  static constexpr std::array<std::string_view, 10> kKeep = {
      "Uid:",    "Gid:",    "Groups:", "CapInh:",     "CapPrm:",
      "CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:"};
  std::string out, line;
  bool seccomp_seen = false;
  while (std::getline(status, line)) {
    for (std::string_view key : kKeep) {
      if (!line.starts_with(key)) continue;
      if (key == "Seccomp:") {
        const size_t value = line.find_first_not_of(" \t", key.size());
        if (value == std::string::npos || line[value] != '0') return std::nullopt;
        seccomp_seen = true;
      }
      out += line + "\n";
    }
  }
  if (!seccomp_seen) return std::nullopt;  // a kernel that does not say: assume a filter
  return out;
}

}  // namespace

std::optional<std::string> host_fingerprint(const std::filesystem::path& dir) {
  std::optional<std::string> powers = host_memo_powers();
  if (!powers) return std::nullopt;
  // Rootless mybuild makes a new user namespace for every command, which no memo could match.
  const std::string uid_map = host_memo_read("/proc/self/uid_map");
  if (uid_map.find("4294967295") == std::string::npos) return std::nullopt;
  std::string out = "mybuild host memo v1\n" + *powers + uid_map;
  for (const char* file :
       {"/proc/sys/kernel/random/boot_id", "/proc/self/gid_map", "/proc/self/attr/current",
        "/proc/sys/user/max_user_namespaces", "/proc/sys/user/max_mnt_namespaces",
        "/proc/sys/user/max_pid_namespaces", "/proc/sys/kernel/unprivileged_userns_clone",
        "/proc/sys/kernel/apparmor_restrict_unprivileged_userns"}) {
    out += std::string(file) + "=" + host_memo_read(file) + "\n";
  }
  for (const char* ns : {"mnt", "user", "pid", "net", "ipc", "uts", "cgroup"}) {
    std::array<char, 128> target{};
    const std::string link = std::string("/proc/self/ns/") + ns;
    const ssize_t n = ::readlink(link.c_str(), target.data(), target.size() - 1);
    if (n <= 0) return std::nullopt;  // no namespace ids: nothing to tell two hosts apart by
    out += link + "=" + std::string(target.data(), static_cast<size_t>(n)) + "\n";
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return std::nullopt;
  out += "dev=" + std::to_string(st.st_dev) + "\n";
  return out;
}

bool host_memo_holds(const std::filesystem::path& file) {
  std::optional<std::string> now = host_fingerprint(file.parent_path());
  if (!now) return false;
  try {
    return read_file(file, 64 << 10) == *now;
  } catch (const Error&) {
    return false;  // not remembered yet (or unreadable): probe again
  }
}

void host_memo_remember(const std::filesystem::path& file) {
  try {
    std::optional<std::string> now = host_fingerprint(file.parent_path());
    if (!now) return;
    std::filesystem::create_directories(file.parent_path());
    write_file_atomic(file, *now, 0600);
  } catch (const std::exception& e) {
    log::warn("remembering a host probe in " + file.string() + ": " + e.what());
  }
}

}  // namespace mybuild::common
