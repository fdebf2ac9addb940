// Which platforms this host can run a process for: its own, plus each one an enabled binfmt_misc
// handler emulates (Debian's qemu-user-static registers /usr/libexec/qemu-binfmt/*-binfmt-P with
// the F "fix binary" flag: the kernel opens the emulator at registration, so it works inside a
// sandbox whose root filesystem has no emulator, which is how BuildKit relies on it too).
//
// A handler is recognised by what it matches, not by its name ("qemu-aarch64" for Debian,
// "aarch64" for tonistiigi/binfmt): the ELF class, byte order and e_machine in its magic.
// Reads /proc only; registering handlers is the host's business (update-binfmts, systemd-binfmt).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/descriptor.h"

namespace mybuild::sandbox {

inline constexpr const char* kBinfmtDir = "/proc/sys/fs/binfmt_misc";

// Where binfmt_misc is read: $MYBUILD_BINFMT_DIR when set (a container that mounts it
// elsewhere; the platform tests point it at an empty directory to take the no-handler path on
// a host that has handlers), else kBinfmtDir.
std::filesystem::path binfmt_dir();

struct Emulator {
  common::Platform platform;  // what the handler's magic matches
  std::string name;           // the entry's file name
  std::string interpreter;
  bool enabled = false;
  bool fix_binary = false;  // flag F: usable inside a sandbox
};

// The ELF handlers registered under `dir` whose magic names a platform we know, by name (one
// platform may have several). An absent or unmounted directory is an empty list, not an error.
std::vector<Emulator> registered_emulators(const std::filesystem::path& dir = kBinfmtDir);

// The platform of an ELF binary whose header begins with `elf` (at least 20 bytes), nullopt
// when it is not ELF or names a machine we do not map (used on binfmt magic and on real files).
std::optional<common::Platform> elf_platform(std::string_view elf);

// What runs here without emulation: the host, and linux/386 beside linux/amd64.
std::vector<common::Platform> native_platforms();

// nullopt when a process for `p` can run here (natively, or through an enabled handler with the
// F flag); otherwise why not and what to install, for the error before a foreign RUN step.
std::optional<std::string> cannot_run_reason(const common::Platform& p,
                                             const std::filesystem::path& dir = kBinfmtDir);

// QEMU's user-mode machine name for `p` ("aarch64" for linux/arm64, "x86_64" for linux/amd64);
// nullopt for a platform QEMU has no linux-user emulator for.
std::optional<std::string> qemu_machine(const common::Platform& p);

// The fallback where binfmt_misc cannot run `p` (not mounted, no handler, no F flag: a
// container without the host's registrations): QEMU's static user emulator
// qemu-<machine>-static, the first executable regular file of that name in the directories of
// `search_path` (a PATH value, as the shell searches it). nullopt when there is none.
std::optional<std::filesystem::path> find_static_emulator(const common::Platform& p,
                                                          std::string_view search_path);

// How a process for `p` runs here: as it is (natively or through binfmt_misc: both fields
// empty), through a static emulator put in front of its argv (`emulator`), or not at all
// (`reason`: cannot_run_reason's, naming the static emulator that was not found either).
struct ForeignRun {
  std::optional<std::filesystem::path> emulator;
  std::optional<std::string> reason;
};
ForeignRun how_to_run(const common::Platform& p, std::string_view search_path,
                      const std::filesystem::path& dir = kBinfmtDir);

}  // namespace mybuild::sandbox
