#include "sandbox/device_filter.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/error.h"

namespace mybuild::sandbox {
namespace {

// Registers: r1 = ctx (struct bpf_cgroup_dev_ctx {u32 access_type; u32 major; u32 minor;}),
// where access_type = access << 16 | type. The prologue spreads it over r2..r5.
constexpr uint8_t kType = BPF_REG_2, kAccess = BPF_REG_3, kMajor = BPF_REG_4, kMinor = BPF_REG_5;

bpf_insn load_word(uint8_t dst, int16_t offset) {
  return {.code = BPF_LDX | BPF_MEM | BPF_W,
          .dst_reg = dst,
          .src_reg = BPF_REG_1,
          .off = offset,
          .imm = 0};
}
bpf_insn alu(uint8_t op, uint8_t dst, int32_t imm) {
  return {.code = static_cast<uint8_t>(BPF_ALU64 | op | BPF_K),
          .dst_reg = dst,
          .src_reg = 0,
          .off = 0,
          .imm = imm};
}
bpf_insn mov_reg(uint8_t dst, uint8_t src) {
  return {.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = dst, .src_reg = src, .off = 0, .imm = 0};
}
// if dst != imm: jump to the next rule (offset fixed up once the rule's length is known)
bpf_insn jump_if_not(uint8_t dst, int32_t imm) {
  return {.code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = dst, .src_reg = 0, .off = 0, .imm = imm};
}
bpf_insn exit_insn() {
  return {.code = BPF_JMP | BPF_EXIT, .dst_reg = 0, .src_reg = 0, .off = 0, .imm = 0};
}

int32_t bpf_type(char type) { return type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR; }

void append_rule(std::vector<bpf_insn>& out, const DeviceRule& r) {
  std::vector<bpf_insn> block;
  if (r.type != 'a') block.push_back(jump_if_not(kType, bpf_type(r.type)));
  if ((r.access & kDeviceRwm) != kDeviceRwm) {
    // Every requested bit must be in the rule: (access & ~allowed) == 0.
    block.push_back(mov_reg(BPF_REG_1, kAccess));
    block.push_back(alu(BPF_AND, BPF_REG_1, static_cast<int32_t>(~r.access & kDeviceRwm)));
    block.push_back(jump_if_not(BPF_REG_1, 0));
  }
  if (r.major != kAnyDevice) block.push_back(jump_if_not(kMajor, static_cast<int32_t>(r.major)));
  if (r.minor != kAnyDevice) block.push_back(jump_if_not(kMinor, static_cast<int32_t>(r.minor)));
  block.push_back(alu(BPF_MOV, BPF_REG_0, 1));
  block.push_back(exit_insn());
  for (size_t i = 0; i < block.size(); ++i) {
    if (block[i].code == (BPF_JMP | BPF_JNE | BPF_K))
      block[i].off = static_cast<int16_t>(block.size() - i - 1);
  }
  out.insert(out.end(), block.begin(), block.end());
}

long bpf(int cmd, bpf_attr& attr) { return ::syscall(SYS_bpf, cmd, &attr, sizeof(attr)); }

}  // namespace

std::vector<bpf_insn> build_device_filter(std::span<const DeviceRule> rules) {
  std::vector<bpf_insn> prog = {
      load_word(kType, 0),       alu(BPF_AND, kType, 0xffff), load_word(kAccess, 0),
      alu(BPF_RSH, kAccess, 16), load_word(kMajor, 4),        load_word(kMinor, 8),
  };
  for (const auto& r : rules) append_rule(prog, r);
  prog.push_back(alu(BPF_MOV, BPF_REG_0, 0));
  prog.push_back(exit_insn());
  return prog;
}

common::UniqueFd load_device_filter(std::span<const bpf_insn> program) {
  static const char kLicense[] = "Apache-2.0";  // no GPL-only helpers are called
  char log[4096] = {};
  bpf_attr attr{};
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uint64_t>(program.data());
  attr.insn_cnt = static_cast<uint32_t>(program.size());
  attr.license = reinterpret_cast<uint64_t>(kLicense);
  attr.log_buf = reinterpret_cast<uint64_t>(log);
  attr.log_size = sizeof(log);
  attr.log_level = 1;
  long fd = bpf(BPF_PROG_LOAD, attr);
  if (fd < 0 && errno == ENOSPC) {  // the log did not fit: load again without one
    attr.log_buf = 0;
    attr.log_size = 0;
    attr.log_level = 0;
    fd = bpf(BPF_PROG_LOAD, attr);
  }
  if (fd < 0) {
    int err = errno;
    std::string msg =
        std::string("bpf(BPF_PROG_LOAD, cgroup device filter): ") + std::strerror(err);
    if (log[0] != '\0') msg += "; verifier: " + std::string(log);
    throw common::Error(common::ErrorKind::kSandbox, msg);
  }
  return common::UniqueFd(static_cast<int>(fd));
}

void attach_device_filter(int cgroup_dir_fd, std::span<const DeviceRule> rules) {
  auto program = build_device_filter(rules);
  common::UniqueFd prog = load_device_filter(program);
  bpf_attr attr{};
  attr.target_fd = static_cast<uint32_t>(cgroup_dir_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, attr) != 0) {
    common::throw_errno("bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE)", "the step's cgroup");
  }
}

}  // namespace mybuild::sandbox
