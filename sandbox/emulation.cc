#include "sandbox/emulation.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>

namespace mybuild::sandbox {

namespace fs = std::filesystem;

namespace {

// "7f454c46..." -> bytes; an odd or bad digit ends the conversion (the magic is then too short).
std::string unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    try {
      out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    } catch (const std::exception&) {
      break;
    }
  }
  return out;
}

common::Platform linux_platform(std::string arch, std::string variant = "") {
  common::Platform p;
  p.os = "linux";
  p.architecture = std::move(arch);
  p.variant = std::move(variant);
  return p;
}

// One entry file: "enabled", "interpreter PATH", "flags: POF", "offset 0", "magic HEX", ...
std::optional<Emulator> read_entry(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  Emulator e;
  e.name = file.filename().string();
  std::string line, magic;
  bool at_zero = true;
  while (std::getline(in, line)) {
    if (line == "enabled") e.enabled = true;
    if (line.rfind("interpreter ", 0) == 0) e.interpreter = line.substr(12);
    if (line.rfind("flags: ", 0) == 0) e.fix_binary = line.find('F', 7) != std::string::npos;
    if (line.rfind("offset ", 0) == 0) at_zero = line == "offset 0";
    if (line.rfind("magic ", 0) == 0) magic = unhex(line.substr(6));
  }
  // An extension handler ("extension .py") has no magic: not an ELF emulator.
  if (!at_zero) return std::nullopt;
  auto p = elf_platform(magic);
  if (!p) return std::nullopt;
  e.platform = *p;
  return e;
}

bool covers(const common::Platform& have, const common::Platform& want) {
  return have.os == want.os && have.architecture == want.architecture &&
         (want.variant.empty() || have.variant.empty() || have.variant == want.variant);
}

}  // namespace

std::optional<common::Platform> elf_platform(std::string_view elf) {
  if (elf.size() < 20 || elf.substr(0, 4) !=
                             "\x7f"
                             "ELF")
    return std::nullopt;
  const bool is64 = elf[4] == 2;
  const bool little = elf[5] == 1;
  const auto byte = [&](size_t i) {
    return static_cast<unsigned>(static_cast<unsigned char>(elf[i]));
  };
  const unsigned machine = little ? byte(18) | byte(19) << 8 : byte(19) | byte(18) << 8;
  switch (machine) {  // e_machine values from <elf.h>
    case 62:
      return is64 ? std::optional(linux_platform("amd64")) : std::nullopt;  // EM_X86_64
    case 3:
      return is64 ? std::nullopt : std::optional(linux_platform("386"));  // EM_386
    case 183:
      return is64 ? std::optional(linux_platform("arm64")) : std::nullopt;  // EM_AARCH64
    case 40:
      return is64 || !little ? std::nullopt : std::optional(linux_platform("arm", "v7"));
    case 21:
      return is64 ? std::optional(linux_platform(little ? "ppc64le" : "ppc64")) : std::nullopt;
    case 22:
      return is64 ? std::optional(linux_platform("s390x")) : std::nullopt;  // EM_S390
    case 243:
      return is64 ? std::optional(linux_platform("riscv64")) : std::nullopt;  // EM_RISCV
    case 8:  // EM_MIPS: OCI's mips, mipsle, mips64, mips64le
      return linux_platform(std::string(is64 ? "mips64" : "mips") + (little ? "le" : ""));
    case 258:
      return is64 ? std::optional(linux_platform("loong64")) : std::nullopt;
    default:
      return std::nullopt;
  }
}

std::vector<Emulator> registered_emulators(const fs::path& dir) {
  std::vector<Emulator> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name == "register" || name == "status") continue;
    if (auto e = read_entry(it->path())) out.push_back(std::move(*e));
  }
  // By name, not the directory's order: "qemu-mips" before "qemu-mipsn32", which matches the
  // same ELF header (the n32 ABI shows only in e_flags, which no magic here tests).
  std::sort(out.begin(), out.end(),
            [](const Emulator& a, const Emulator& b) { return a.name < b.name; });
  return out;
}

std::vector<common::Platform> native_platforms() {
  std::vector<common::Platform> out{common::Platform::host()};
  if (out[0].architecture == "amd64") out.push_back(linux_platform("386"));
  return out;
}

std::optional<std::string> cannot_run_reason(const common::Platform& p, const fs::path& dir) {
  for (const auto& n : native_platforms()) {
    if (covers(n, p)) return std::nullopt;
  }
  std::string found;
  for (const auto& e : registered_emulators(dir)) {
    if (!covers(e.platform, p)) continue;
    if (e.enabled && e.fix_binary) return std::nullopt;
    found = "the binfmt_misc handler " + e.name + " for it is " +
            (e.enabled ? "registered without the F (fix binary) flag, so its emulator " +
                             e.interpreter + " cannot be opened inside the step"
                       : std::string("disabled"));
  }
  if (found.empty()) {
    std::error_code ec;
    found = fs::exists(fs::path(dir) / "status", ec)
                ? "no binfmt_misc handler emulates it"
                : "binfmt_misc is not mounted at " + dir.string();
  }
  return "this host (" + common::Platform::host().str() + ") cannot run programs for " + p.str() +
         ": " + found +
         "; install QEMU's static user emulators with their registrations (Debian: apt-get "
         "install qemu-user-static binfmt-support, or update-binfmts --enable)";
}

fs::path binfmt_dir() {
  const char* env = std::getenv("MYBUILD_BINFMT_DIR");
  return env && *env ? fs::path(env) : fs::path(kBinfmtDir);
}

std::optional<std::string> qemu_machine(const common::Platform& p) {
  if (p.os != "linux") return std::nullopt;
  static const std::map<std::string, std::string> kMachines = {
      {"amd64", "x86_64"},       {"386", "i386"},
      {"arm64", "aarch64"},      {"arm", "arm"},
      {"ppc64le", "ppc64le"},    {"ppc64", "ppc64"},
      {"s390x", "s390x"},        {"riscv64", "riscv64"},
      {"mips", "mips"},          {"mipsle", "mipsel"},
      {"mips64", "mips64"},      {"mips64le", "mips64el"},
      {"loong64", "loongarch64"}};
  auto it = kMachines.find(p.architecture);
  if (it == kMachines.end()) return std::nullopt;
  return it->second;
}

std::optional<fs::path> find_static_emulator(const common::Platform& p,
                                             std::string_view search_path) {
  auto machine = qemu_machine(p);
  if (!machine) return std::nullopt;
  const std::string name = "qemu-" + *machine + "-static";
  size_t start = 0;
  while (start <= search_path.size()) {
    size_t end = search_path.find(':', start);
    if (end == std::string_view::npos) end = search_path.size();
    // An empty entry is the current directory to a shell; never to mybuild.
    const std::string_view dir = search_path.substr(start, end - start);
    start = end + 1;
    if (dir.empty() || dir[0] != '/') continue;
    const fs::path candidate = fs::path(dir) / name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

ForeignRun how_to_run(const common::Platform& p, std::string_view search_path,
                      const fs::path& dir) {
  ForeignRun out;
  out.reason = cannot_run_reason(p, dir);
  if (!out.reason) return out;
  out.emulator = find_static_emulator(p, search_path);
  if (out.emulator) {
    out.reason.reset();
  } else {
    auto machine = qemu_machine(p);
    *out.reason += machine ? "; nor is there a qemu-" + *machine + "-static on PATH to run it with"
                           : "; QEMU has no user-mode emulator for it";
  }
  return out;
}

}  // namespace mybuild::sandbox
