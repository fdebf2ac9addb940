#include "snapshot/mount_ops.h"

#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/log.h"
#include "snapshot/mount_table.h"

namespace mybuild::snapshot {
namespace {

using common::Error;
using common::ErrorKind;
using common::throw_errno;

struct FlagOption {
  std::string_view name;
  bool clear;
  unsigned long flag;
};

// The options mount(8) turns into MS_* flags rather than filesystem data.
constexpr FlagOption kFlagOptions[] = {
    {"ro", false, MS_RDONLY},           {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},       {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},         {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},       {"exec", true, MS_NOEXEC},
    {"noatime", false, MS_NOATIME},     {"relatime", false, MS_RELATIME},
    {"sync", false, MS_SYNCHRONOUS},    {"bind", false, MS_BIND},
    {"rbind", false, MS_BIND | MS_REC},
};

struct ParsedOptions {
  unsigned long flags = 0;
  std::string data;
};

ParsedOptions parse_options(const std::vector<std::string>& options) {
  ParsedOptions parsed;
  for (const auto& option : options) {
    bool matched = false;
    for (const auto& f : kFlagOptions) {
      if (option != f.name) continue;
      parsed.flags = f.clear ? parsed.flags & ~f.flag : parsed.flags | f.flag;
      matched = true;
      break;
    }
    if (matched) continue;
    if (!parsed.data.empty()) parsed.data += ',';
    parsed.data += option;
  }
  return parsed;
}

std::string describe(const common::Mount& m, const std::filesystem::path& dest) {
  return m.type + " " + m.source + " on " + dest.string();
}

// A bind mount ignores MS_RDONLY and the other flags on the first call; they take effect only
// through a remount of the new mount point (mount(2), "Creating a bind mount").
void mount_bind(const common::Mount& m, const ParsedOptions& opts,
                const std::filesystem::path& dest) {
  unsigned long bind_flags = MS_BIND | (opts.flags & MS_REC);
  if (::mount(m.source.c_str(), dest.c_str(), nullptr, bind_flags, nullptr) != 0) {
    throw_errno("mount", describe(m, dest));
  }
  unsigned long extra = opts.flags & ~(MS_BIND | MS_REC);
  if (extra == 0) return;
  if (::mount(nullptr, dest.c_str(), nullptr, MS_BIND | MS_REMOUNT | extra, nullptr) != 0) {
    int err = errno;
    ::umount2(dest.c_str(), MNT_DETACH);
    throw_errno("mount", "remount " + describe(m, dest), err);
  }
}

// The longest directory every "<key>=<path>" path of lowerdir/upperdir/workdir starts with.
std::string common_dir(const std::vector<std::string>& paths) {
  if (paths.empty()) return {};
  std::string prefix = paths.front();
  for (const auto& p : paths) {
    size_t n = 0;
    while (n < prefix.size() && n < p.size() && prefix[n] == p[n]) ++n;
    prefix.resize(n);
  }
  size_t slash = prefix.rfind('/');
  return slash == std::string::npos ? std::string() : prefix.substr(0, slash + 1);
}

// Rewrites overlay data so every layer path is relative to one directory; returns that directory
// (empty when the paths share none, so nothing could be shortened).
std::string relativise_overlay_data(std::string& data) {
  std::vector<std::string> options, paths;
  for (size_t pos = 0; pos <= data.size();) {
    size_t end = data.find(',', pos);
    if (end == std::string::npos) end = data.size();
    options.push_back(data.substr(pos, end - pos));
    pos = end + 1;
  }
  auto is_path_option = [](const std::string& o) {
    return o.starts_with("lowerdir=") || o.starts_with("upperdir=") || o.starts_with("workdir=");
  };
  for (const auto& o : options) {
    if (!is_path_option(o)) continue;
    std::string_view value = std::string_view(o).substr(o.find('=') + 1);
    for (size_t pos = 0; pos <= value.size();) {
      size_t end = value.find(':', pos);
      if (end == std::string_view::npos) end = value.size();
      paths.emplace_back(value.substr(pos, end - pos));
      pos = end + 1;
    }
  }
  std::string dir = common_dir(paths);
  if (dir.size() <= 1) return {};
  std::string out;
  for (const auto& o : options) {
    if (!out.empty()) out += ',';
    if (!is_path_option(o)) {
      out += o;
      continue;
    }
    size_t eq = o.find('=');
    out += o.substr(0, eq + 1);
    std::string_view value = std::string_view(o).substr(eq + 1);
    for (size_t pos = 0; pos <= value.size();) {
      size_t end = value.find(':', pos);
      if (end == std::string_view::npos) end = value.size();
      if (pos != 0) out += ':';
      out += value.substr(pos + dir.size(), end - pos - dir.size());
      pos = end + 1;
    }
  }
  data = std::move(out);
  return dir;
}

// chdir() is per process, so the relative mount runs in a child: between fork and _exit it
// makes only async-signal-safe calls, which is what POSIX allows in a threaded parent.
void mount_in_dir(const std::string& dir, const common::Mount& m, unsigned long flags,
                  const std::string& data, const std::filesystem::path& dest) {
  std::string dest_str = dest.string();
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork", "overlay mount helper");
  if (pid == 0) {
    if (::chdir(dir.c_str()) != 0) ::_exit(errno);
    if (::mount(m.source.c_str(), dest_str.c_str(), m.type.c_str(), flags, data.c_str()) != 0) {
      ::_exit(errno);
    }
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_errno("waitpid", "overlay mount helper");
  }
  if (!WIFEXITED(status)) {
    throw Error(ErrorKind::kResource, "mount(" + describe(m, dest) + "): helper process died");
  }
  if (WEXITSTATUS(status) != 0) {
    throw_errno("mount", describe(m, dest) + " (relative to " + dir + ")", WEXITSTATUS(status));
  }
}

void mount_filesystem(const common::Mount& m, ParsedOptions opts,
                      const std::filesystem::path& dest) {
  long page = ::sysconf(_SC_PAGESIZE);
  if (m.type == "overlay" && static_cast<long>(opts.data.size()) >= page) {
    std::string dir = relativise_overlay_data(opts.data);
    if (dir.empty() || static_cast<long>(opts.data.size()) >= page) {
      throw Error(ErrorKind::kResource, "mount(" + describe(m, dest) + "): overlay options are " +
                                            std::to_string(opts.data.size()) +
                                            " bytes, more than a page even with relative paths");
    }
    mount_in_dir(dir, m, opts.flags, opts.data, dest);
    return;
  }
  if (::mount(m.source.c_str(), dest.c_str(), m.type.c_str(), opts.flags, opts.data.c_str()) != 0) {
    throw_errno("mount", describe(m, dest));
  }
}

void mount_one(const common::Mount& m, const std::filesystem::path& dest) {
  ParsedOptions opts = parse_options(m.options);
  if (m.type == "bind" || (opts.flags & MS_BIND)) {
    mount_bind(m, opts, dest);
  } else {
    mount_filesystem(m, std::move(opts), dest);
  }
}

}  // namespace

void mount_all(std::span<const common::Mount> mounts, const std::filesystem::path& target) {
  std::vector<std::filesystem::path> done;
  try {
    for (const auto& m : mounts) {
      std::filesystem::path dest = m.target.empty() ? target : target / m.target;
      mount_one(m, dest);
      done.push_back(dest);
    }
  } catch (...) {
    for (auto it = done.rbegin(); it != done.rend(); ++it) {
      if (::umount2(it->c_str(), MNT_DETACH) != 0) {
        common::log::warn("umount " + it->string() + ": " + std::strerror(errno));
      }
    }
    throw;
  }
}

int unmount_tree(const std::filesystem::path& dir) {
  int count = 0;
  for (const auto& entry : mounts_under(read_mountinfo(), dir)) {
    const char* point = entry.mount_point.c_str();
    if (::umount2(point, UMOUNT_NOFOLLOW) == 0) {
      ++count;
      continue;
    }
    int err = errno;
    if (err == EINVAL || err == ENOENT) continue;  // already gone (a parent took it along)
    if (::umount2(point, MNT_DETACH | UMOUNT_NOFOLLOW) != 0) {
      throw_errno("umount2", entry.mount_point);
    }
    common::log::warn("umount " + entry.mount_point + ": " + std::strerror(err) + "; detached");
    ++count;
  }
  return count;
}

}  // namespace mybuild::snapshot
