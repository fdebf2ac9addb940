#include "sandbox/seccomp.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include "common/error.h"
#include "common/unique_fd.h"
#include "sandbox/caps.h"
#include "sandbox/internal/child_ops.h"
#include "sandbox/seccomp_profile.h"

namespace mybuild::sandbox {
namespace {

namespace profile = seccomp_profile;

struct ContextDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Context = std::unique_ptr<void, ContextDeleter>;

[[noreturn]] void fail(const std::string& what, int rc) {
  std::string message = "seccomp: ";
  message += what;
  message += ": ";
  message += std::strerror(rc < 0 ? -rc : rc);
  throw common::Error(common::ErrorKind::kSandbox, message);
}

bool has_capability(uint64_t capabilities, int cap) { return (capabilities >> cap) & 1; }

// The ABIs filtered besides the native one (moby's archMap).
std::vector<uint32_t> sub_architectures(uint32_t native) {
  switch (native) {
    case SCMP_ARCH_X86_64:
      return {SCMP_ARCH_X86, SCMP_ARCH_X32};
    case SCMP_ARCH_AARCH64:
      return {SCMP_ARCH_ARM};
    case SCMP_ARCH_S390X:
      return {SCMP_ARCH_S390};
    default:
      return {};
  }
}

profile::HostArch host_arch(uint32_t native) {
  switch (native) {
    case SCMP_ARCH_X86_64:
      return profile::HostArch::kX86_64;
    case SCMP_ARCH_AARCH64:
      return profile::HostArch::kAarch64;
    case SCMP_ARCH_PPC64LE:
      return profile::HostArch::kPpc64le;
    case SCMP_ARCH_S390X:
      return profile::HostArch::kS390x;
    case SCMP_ARCH_RISCV64:
      return profile::HostArch::kRiscv64;
    default:
      return profile::HostArch::kOther;
  }
}

bool kernel_at_least(int major, int minor) {
  utsname u{};
  int have_major = 0, have_minor = 0;
  if (::uname(&u) != 0 || std::sscanf(u.release, "%d.%d", &have_major, &have_minor) != 2) {
    return false;  // unknown: the stricter policy
  }
  return have_major > major || (have_major == major && have_minor >= minor);
}

// Adds one rule for `name` on every ABI of the filter. A name this libseccomp does not know is
// skipped; one it knows only on other ABIs (chown32 on x86_64) resolves to a pseudo number that
// libseccomp applies where the syscall is real.
void add_rule(void* ctx, uint32_t action, const char* name, unsigned arg_count = 0,
              const scmp_arg_cmp* args = nullptr) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) return;
  int rc = seccomp_rule_add_array(ctx, action, nr, arg_count, args);
  if (rc != 0 && rc != -EEXIST) fail(std::string("rule for ") + name, rc);
}

scmp_compare to_libseccomp(profile::Compare c) {
  switch (c) {
    case profile::Compare::kEqual:
      return SCMP_CMP_EQ;
    case profile::Compare::kLess:
      return SCMP_CMP_LT;
    case profile::Compare::kGreater:
      return SCMP_CMP_GT;
  }
  return SCMP_CMP_EQ;
}

void add_profile_rules(void* ctx, uint32_t native, uint64_t capabilities) {
  for (const char* name : profile::kAllowed) add_rule(ctx, SCMP_ACT_ALLOW, name);
  for (const auto& rule : profile::kAllowedOnArch) {
    if (rule.arch == host_arch(native)) add_rule(ctx, SCMP_ACT_ALLOW, rule.syscall);
  }
  for (const auto& rule : profile::kCapabilityGated) {
    if (has_capability(capabilities, rule.capability)) {
      add_rule(ctx, SCMP_ACT_ALLOW, rule.syscall);
    }
  }
  if (kernel_at_least(4, 8)) {
    for (const char* name : profile::kAllowedSinceKernel48) add_rule(ctx, SCMP_ACT_ALLOW, name);
  }
  for (const auto& rule : profile::kArgumentRules) {
    scmp_arg_cmp arg = {0, to_libseccomp(rule.compare), rule.value, 0};
    add_rule(ctx, SCMP_ACT_ALLOW, rule.syscall, 1, &arg);
  }
  if (!has_capability(capabilities, CAP_SYS_ADMIN)) {
    // s390's clone takes the flags second.
    unsigned flags_arg = native == SCMP_ARCH_S390X || native == SCMP_ARCH_S390 ? 1 : 0;
    scmp_arg_cmp no_namespaces = {flags_arg, SCMP_CMP_MASKED_EQ, profile::kCloneNamespaceFlags, 0};
    add_rule(ctx, SCMP_ACT_ALLOW, "clone", 1, &no_namespaces);
    add_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3");
  }
}

// Every name the profile mentions, allowed or not: the ENOSYS boundary is past all of them, so
// a syscall the profile denies (lsm_set_self_attr without CAP_SYS_ADMIN) never looks absent.
template <typename F>
void for_each_profile_name(F f) {
  for (const char* name : profile::kAllowed) f(name);
  for (const auto& rule : profile::kAllowedOnArch) f(rule.syscall);
  for (const auto& rule : profile::kCapabilityGated) f(rule.syscall);
  for (const char* name : profile::kAllowedSinceKernel48) f(name);
  for (const auto& rule : profile::kArgumentRules) f(rule.syscall);
}

// The ENOSYS stub, as runc's patchbpf writes it: a few classic BPF instructions run before
// libseccomp's program. Per ABI, syscall numbers from `lower` up (to the next band) that are
// above `max` return ENOSYS; everything else goes on to the filter.
struct Band {
  uint32_t lower;
  uint32_t max = 0;  // 0: no name of the profile falls here; the band gets no ENOSYS
};
struct Section {
  uint32_t audit_arch;
  std::vector<Band> bands;  // highest `lower` first; the last has lower 0
};

constexpr uint32_t kX32SyscallBit = 0x40000000;
constexpr uint32_t kArmPrivateBase = 0x0f0000;  // __ARM_NR_BASE: breakpoint, cacheflush, set_tls

std::vector<Section> enosys_sections(const std::vector<uint32_t>& arches) {
  std::vector<Section> sections;
  auto section_for = [&](uint32_t audit) -> Section& {
    for (auto& s : sections) {
      if (s.audit_arch == audit) return s;
    }
    return sections.emplace_back(Section{audit, {}});
  };
  for (uint32_t arch : arches) {
    // x32 is x86_64 with bit 30 set in the syscall number (libseccomp's token is made up).
    Section& s = section_for(arch == SCMP_ARCH_X32 ? uint32_t{AUDIT_ARCH_X86_64} : arch);
    if (arch == SCMP_ARCH_X32) {
      s.bands.push_back({kX32SyscallBit});
    } else {
      if (arch == SCMP_ARCH_ARM) s.bands.push_back({kArmPrivateBase});
      s.bands.push_back({0});
    }
    std::sort(s.bands.begin(), s.bands.end(),
              [](const Band& a, const Band& b) { return a.lower > b.lower; });
    for_each_profile_name([&](const char* name) {
      int nr = seccomp_syscall_resolve_name_arch(arch, name);
      if (nr < 0) return;  // unknown, or not a syscall of this ABI
      auto n = static_cast<uint32_t>(nr);
      for (Band& band : s.bands) {
        bool this_abi =
            arch == SCMP_ARCH_X32 ? band.lower == kX32SyscallBit : band.lower != kX32SyscallBit;
        if (this_abi && n >= band.lower) {
          band.max = std::max(band.max, n);
          break;
        }
      }
    });
  }
  return sections;
}

// Lays out: load arch; one jeq per section; ja filter; the sections; ret ENOSYS; (filter).
std::vector<sock_filter> enosys_stub(const std::vector<Section>& sections) {
  auto section_size = [](const Section& s) { return 1 + 2 * s.bands.size(); };
  size_t size = 1 + sections.size() + 1 + 1;
  for (const auto& s : sections) size += section_size(s);
  const size_t enosys_at = size - 1, filter_at = size;
  if (size > 200)
    throw common::Error(common::ErrorKind::kInternal, "seccomp: ENOSYS stub too long");

  std::vector<sock_filter> out;
  auto jump = [&](size_t from_next, size_t to) { return static_cast<uint8_t>(to - from_next); };
  out.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
  size_t section_at = 1 + sections.size() + 1;
  for (const auto& s : sections) {
    out.push_back(
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, s.audit_arch, jump(out.size() + 1, section_at), 0));
    section_at += section_size(s);
  }
  out.push_back(
      BPF_STMT(BPF_JMP | BPF_JA | BPF_K, static_cast<uint32_t>(filter_at - out.size() - 1)));
  for (const auto& s : sections) {
    out.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
    for (const Band& band : s.bands) {
      // jge lower: this band; else skip its jgt to the next band's jge.
      out.push_back(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, band.lower, 0, 1));
      uint32_t max = band.max == 0 ? std::numeric_limits<uint32_t>::max() : band.max;
      size_t next = out.size() + 1;
      out.push_back(
          BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, max, jump(next, enosys_at), jump(next, filter_at)));
    }
  }
  out.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)));
  return out;
}

std::vector<sock_filter> export_bpf(void* ctx) {
  common::UniqueFd fd(::memfd_create("mybuild-seccomp", MFD_CLOEXEC));
  if (!fd) common::throw_errno("memfd_create", "seccomp");
  int rc = seccomp_export_bpf(ctx, fd.get());
  if (rc != 0) fail("export", rc);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) common::throw_errno("fstat", "seccomp memfd");
  std::vector<sock_filter> filter(static_cast<size_t>(st.st_size) / sizeof(sock_filter));
  size_t bytes = filter.size() * sizeof(sock_filter);
  if (::pread(fd.get(), filter.data(), bytes, 0) != static_cast<ssize_t>(bytes)) {
    common::throw_errno("pread", "seccomp memfd");
  }
  return filter;
}

}  // namespace

SeccompProgram SeccompProgram::docker_default() { return for_capabilities(default_capabilities()); }

SeccompProgram SeccompProgram::for_capabilities(uint64_t capabilities) {
  Context ctx(seccomp_init(SCMP_ACT_ERRNO(EPERM)));
  if (!ctx) fail("init", ENOMEM);
  uint32_t native = seccomp_arch_native();
  std::vector<uint32_t> arches = {native};
  for (uint32_t sub : sub_architectures(native)) {
    int rc = seccomp_arch_add(ctx.get(), sub);
    if (rc != 0 && rc != -EEXIST) fail("adding an architecture", rc);
    arches.push_back(sub);
  }
  add_profile_rules(ctx.get(), native, capabilities);
  // no_new_privs is set by the child itself, right before loading.
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  if (rc != 0) fail("attributes", rc);

  std::vector<sock_filter> program = enosys_stub(enosys_sections(arches));
  std::vector<sock_filter> filter = export_bpf(ctx.get());
  program.insert(program.end(), filter.begin(), filter.end());
  if (program.size() > BPF_MAXINSNS) fail("program too long", E2BIG);
  return SeccompProgram(std::move(program));
}

namespace internal {

int load_seccomp(const void* program) {
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, program, 0, 0) != 0) return errno;
  return 0;
}

}  // namespace internal
}  // namespace mybuild::sandbox
