// The device filter: the v1 lines, the BPF program's decisions for a table of devices (run by a
// small interpreter of the instructions the builder emits, compared with device_allowed), the
// kernel's verifier accepting it, and, where a cgroup v2 hierarchy is mounted (the hybrid
// development host has one beside its v1 controllers), the program attached for real.
#include "sandbox/device_filter.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <string>

#include "common/io.h"
#include "common/temp_dir.h"

namespace mybuild::sandbox {
namespace {

// Runs the subset of eBPF build_device_filter emits on a bpf_cgroup_dev_ctx; fails the test on
// anything else, so a builder change that emits new instructions is noticed here.
int run_filter(const std::vector<bpf_insn>& prog, char type, uint32_t major, uint32_t minor,
               uint32_t access) {
  uint32_t ctx[3] = {(access << 16) | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR),
                     major, minor};
  uint64_t r[11] = {};
  size_t pc = 0;
  for (int steps = 0; steps < 10000 && pc < prog.size(); ++steps) {
    const bpf_insn& i = prog[pc++];
    uint64_t imm = static_cast<uint64_t>(static_cast<int64_t>(i.imm));
    switch (i.code) {
      case BPF_LDX | BPF_MEM | BPF_W:
        EXPECT_EQ(i.src_reg, BPF_REG_1);
        EXPECT_TRUE(i.off == 0 || i.off == 4 || i.off == 8) << i.off;
        r[i.dst_reg] = ctx[i.off / 4];
        break;
      case BPF_ALU64 | BPF_AND | BPF_K:
        r[i.dst_reg] &= imm;
        break;
      case BPF_ALU64 | BPF_RSH | BPF_K:
        r[i.dst_reg] >>= i.imm;
        break;
      case BPF_ALU64 | BPF_MOV | BPF_K:
        r[i.dst_reg] = imm;
        break;
      case BPF_ALU64 | BPF_MOV | BPF_X:
        r[i.dst_reg] = r[i.src_reg];
        break;
      case BPF_JMP | BPF_JNE | BPF_K:
        if (r[i.dst_reg] != imm) pc += static_cast<size_t>(i.off);
        break;
      case BPF_JMP | BPF_EXIT:
        return static_cast<int>(r[0]);
      default:
        ADD_FAILURE() << "unexpected opcode " << int(i.code);
        return -1;
    }
  }
  ADD_FAILURE() << "ran off the program";
  return -1;
}

struct Case {
  char type;
  uint32_t major, minor, access;
  bool allowed;
};

constexpr uint32_t kRw = kDeviceRead | kDeviceWrite;
const Case kCases[] = {
    {'c', 1, 3, kRw, true},  // /dev/null
    {'c', 1, 3, kDeviceRwm, true},
    {'c', 1, 5, kDeviceRead, true},   // zero
    {'c', 1, 7, kDeviceWrite, true},  // full
    {'c', 1, 8, kRw, true},           // random
    {'c', 1, 9, kRw, true},           // urandom
    {'c', 5, 0, kRw, true},           // tty
    {'c', 5, 1, kRw, true},           // console
    {'c', 5, 2, kRw, true},           // ptmx
    {'c', 136, 0, kRw, true},         // /dev/pts/0
    {'c', 136, 77, kRw, true},
    {'c', 10, 200, kRw, true},          // tun
    {'c', 1, 1, kDeviceRead, false},    // /dev/mem
    {'c', 1, 11, kDeviceWrite, false},  // /dev/kmsg
    {'c', 10, 237, kRw, false},         // loop-control
    {'c', 10, 229, kRw, false},         // fuse
    {'c', 4, 0, kRw, false},            // tty0
    {'b', 7, 0, kDeviceRead, false},    // loop0
    {'b', 8, 0, kRw, false},            // sda
    {'b', 1, 3, kRw, false},            // a *block* 1:3 is not /dev/null
    {'b', 7, 0, kDeviceMknod, true},    // mknod of anything, as Docker
    {'c', 10, 237, kDeviceMknod, true},
    {'b', 8, 0, kDeviceMknod | kDeviceRead, false},
    {'c', 137, 0, kRw, false},
};

TEST(DeviceRules, V1LinesAreDockersDefaults) {
  std::string all;
  for (const auto& r : default_device_rules()) all += device_rule_line(r) + "\n";
  EXPECT_EQ(all,
            "c *:* m\nb *:* m\nc 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\nc 1:8 rwm\nc 1:9 rwm\n"
            "c 5:0 rwm\nc 5:1 rwm\nc 5:2 rwm\nc 136:* rwm\nc 10:200 rwm\n");
}

TEST(DeviceRules, ReferenceDecisionMatchesTheTable) {
  for (const auto& c : kCases) {
    EXPECT_EQ(device_allowed(default_device_rules(), c.type, c.major, c.minor, c.access), c.allowed)
        << c.type << " " << c.major << ":" << c.minor << " access " << c.access;
  }
}

TEST(DeviceFilter, ProgramDecidesAsTheRules) {
  auto prog = build_device_filter(default_device_rules());
  for (const auto& c : kCases) {
    EXPECT_EQ(run_filter(prog, c.type, c.major, c.minor, c.access), c.allowed ? 1 : 0)
        << c.type << " " << c.major << ":" << c.minor << " access " << c.access;
  }
  // No rules: everything denied; one wildcard rule: everything allowed.
  EXPECT_EQ(run_filter(build_device_filter({}), 'c', 1, 3, kRw), 0);
  DeviceRule any{'a', kAnyDevice, kAnyDevice, kDeviceRwm};
  EXPECT_EQ(run_filter(build_device_filter({&any, 1}), 'b', 8, 0, kDeviceRwm), 1);
}

TEST(DeviceFilter, KernelVerifierAcceptsTheProgram) {
  if (::geteuid() != 0) GTEST_SKIP() << "loading a cgroup BPF program needs CAP_SYS_ADMIN";
  auto prog = build_device_filter(default_device_rules());
  common::UniqueFd fd = load_device_filter(prog);
  EXPECT_GE(fd.get(), 0);
}

// The cgroup2 mount point when our own cgroup there is its root ("0::/"), as on the hybrid host.
std::optional<std::string> cgroup2_root() {
  std::ifstream self("/proc/self/cgroup");
  std::string line;
  bool at_root = false;
  while (std::getline(self, line)) at_root = at_root || line == "0::/";
  if (!at_root) return std::nullopt;
  std::ifstream mounts("/proc/self/mounts");
  std::string dev, dir, type;
  while (mounts >> dev >> dir >> type) {
    if (type == "cgroup2") return dir;
    std::getline(mounts, line);
  }
  return std::nullopt;
}

// Opens each node from a child in a fresh cgroup2 cgroup with the filter attached; returns a
// bit per node that opened.
int open_in_filtered_cgroup(const std::string& cg, const std::vector<std::string>& nodes) {
  common::UniqueFd dir(::open(cg.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  EXPECT_TRUE(dir);
  attach_device_filter(dir.get(), default_device_rules());
  pid_t pid = ::fork();
  if (pid == 0) {
    int procs = ::open((cg + "/cgroup.procs").c_str(), O_WRONLY);
    if (procs < 0 || ::write(procs, "0", 1) != 1) ::_exit(255);
    int opened = 0;
    for (size_t i = 0; i < nodes.size(); ++i) {
      int fd = ::open(nodes[i].c_str(), O_RDONLY);
      if (fd >= 0) opened |= 1 << i;
      if (fd >= 0) ::close(fd);
    }
    ::_exit(opened);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(DeviceFilter, AttachedProgramDeniesHostDevicesForReal) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: cgroups, mknod and bpf(2)";
  auto root = cgroup2_root();
  if (!root) GTEST_SKIP() << "no cgroup2 hierarchy whose root is our cgroup";
  common::TempDir tmp("mybuild-devfilter-");
  std::vector<std::string> nodes;
  struct Node {
    const char* name;
    mode_t type;
    int major, minor;
  };
  for (Node n : {Node{"null", S_IFCHR, 1, 3}, Node{"mem", S_IFCHR, 1, 1},
                 Node{"loop0", S_IFBLK, 7, 0}, Node{"loop-control", S_IFCHR, 10, 237}}) {
    std::string path = (tmp.path() / n.name).string();
    ASSERT_EQ(::mknod(path.c_str(), n.type | 0600, makedev(n.major, n.minor)), 0) << path;
    nodes.push_back(path);
  }
  std::string cg = *root + "/mybuild-devfilter-" + std::to_string(::getpid());
  if (::mkdir(cg.c_str(), 0755) != 0) GTEST_SKIP() << "mkdir " << cg << ": " << strerror(errno);
  int opened = open_in_filtered_cgroup(cg, nodes);
  ::rmdir(cg.c_str());
  EXPECT_EQ(opened, 1) << "only /dev/null (bit 0) may open";
}

}  // namespace
}  // namespace mybuild::sandbox
