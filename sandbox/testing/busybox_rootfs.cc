#include "sandbox/testing/busybox_rootfs.h"

#include <array>
#include <cstdio>
#include <string>

#include "common/error.h"
#include "common/io.h"

namespace mybuild::sandbox::testing {
namespace {

constexpr const char* kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
    "app:x:1000:1000:app:/home/app:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
constexpr const char* kGroup =
    "root:x:0:\n"
    "daemon:x:1:\n"
    "tty:x:5:\n"
    "app:x:1000:\n"
    "staff:x:50:app\n"
    "audio:x:29:app,daemon\n"
    "nogroup:x:65534:\n";

// Applets the tests use; `busybox --install` would need the rootfs mounted already.
constexpr std::array kApplets = {
    "sh",      "true",     "false",      "cat",    "echo",    "ls",    "id",       "sleep",
    "mkdir",   "touch",    "rm",         "ps",     "kill",    "mount", "umount",   "head",
    "dd",      "ip",       "hostname",   "stat",   "grep",    "wc",    "readlink", "env",
    "pwd",     "test",     "ln",         "chroot", "yes",     "seq",   "uname",    "tr",
    "nproc",   "timeout",  "ifconfig",   "printf", "tail",    "find",  "cut",      "sync",
    "unshare", "nsenter",  "pivot_root", "chown",  "chmod",   "awk",   "sed",      "cp",
    "mv",      "realpath", "sort",       "xargs",  "setpriv", "cmp",   "sysctl",   "whoami",
    "groups"};

}  // namespace

std::optional<std::filesystem::path> find_static_busybox() {
  // busybox-static installs /bin/busybox; the dynamic `busybox` package uses the same path,
  // so check the ELF has no interpreter (a static binary works in an empty rootfs).
  for (const char* p : {"/bin/busybox", "/usr/bin/busybox"}) {
    std::error_code ec;
    if (!std::filesystem::exists(p, ec)) continue;
    std::string head = common::read_file(p, 64 << 20);
    if (head.find("/lib64/ld-linux") == std::string::npos &&
        head.find("/lib/ld-linux") == std::string::npos) {
      return std::filesystem::path(p);
    }
  }
  return std::nullopt;
}

BusyboxRootfs::BusyboxRootfs() : dir_("mybuild-rootfs-") {
  auto busybox = find_static_busybox();
  if (!busybox) {
    throw common::Error(common::ErrorKind::kNotFound,
                        "a static busybox (Debian package busybox-static) is needed");
  }
  path_ = dir_.path() / "rootfs";
  namespace fs = std::filesystem;
  for (const char* d : {"bin", "etc", "tmp", "root", "home/app", "proc", "dev", "sys"}) {
    fs::create_directories(path_ / d);
  }
  fs::permissions(path_ / "tmp", fs::perms::all | fs::perms::sticky_bit);
  fs::copy_file(*busybox, path_ / "bin/busybox");
  for (const char* applet : kApplets) fs::create_symlink("busybox", path_ / "bin" / applet);
  common::write_file_atomic(path_ / "etc/passwd", kPasswd);
  common::write_file_atomic(path_ / "etc/group", kGroup);
}

}  // namespace mybuild::sandbox::testing

#include "common/cancel.h"
#include "sandbox/run.h"

namespace mybuild::sandbox::testing {

ProcessSpec shell_spec(const BusyboxRootfs& rootfs, const std::string& script) {
  ProcessSpec spec;
  spec.args = {"/bin/sh", "-c", script};
  spec.env = {"PATH=/bin", "HOME=/root"};
  spec.rootfs_dir = rootfs.path();
  spec.state_dir = "/run/mybuild-test/sandbox";
  spec.description = "RUN test";
  return spec;
}

Ran run_collect(const ProcessSpec& spec) {
  common::CancelToken cancel;
  common::StringWriter out;
  ExitStatus status = run(spec, cancel, out);
  return {status, out.take()};
}

}  // namespace mybuild::sandbox::testing
