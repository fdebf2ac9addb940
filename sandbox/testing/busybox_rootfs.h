// Test fixture: a tiny root filesystem in a temp dir made from Debian's busybox-static
// (/bin/busybox plus one symlink per applet, /etc/passwd and /etc/group with a few users), the
// rootfs the sandbox tests and benchmark run steps in. Needs package busybox-static.
#pragma once

#include <filesystem>
#include <optional>

#include "common/temp_dir.h"

namespace mybuild::sandbox::testing {

class BusyboxRootfs {
 public:
  // Throws Error(kNotFound) when /bin/busybox is missing.
  BusyboxRootfs();
  const std::filesystem::path& path() const { return path_; }

 private:
  common::TempDir dir_;
  std::filesystem::path path_;
};

// Where Debian's busybox-static puts its binary, if present.
std::optional<std::filesystem::path> find_static_busybox();

}  // namespace mybuild::sandbox::testing

#include <string>

#include "sandbox/spec.h"

namespace mybuild::sandbox::testing {

// A spec that runs `/bin/sh -c script` in rootfs as root, with a PATH and the test's own
// state directory.
ProcessSpec shell_spec(const BusyboxRootfs& rootfs, const std::string& script);

// Runs spec with a fresh CancelToken; returns the status and everything written.
struct Ran {
  ExitStatus status;
  std::string output;
};
Ran run_collect(const ProcessSpec& spec);

}  // namespace mybuild::sandbox::testing
