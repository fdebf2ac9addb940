// PlanStorage: what the child is told to do for a spec's /dev/shm size and resource limits, and
// for /dev and the masked paths.
// Builds the plan only (no clone, no root needed).
#include "sandbox/internal/plan.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/error.h"

namespace mybuild::sandbox::internal {
namespace {

ProcessSpec minimal_spec() {
  ProcessSpec spec;
  spec.args = {"/bin/true"};
  spec.rootfs_dir = "/nonexistent-rootfs";  // never touched: the plan is only built
  return spec;
}

PlanInputs inputs() {
  PlanInputs in;
  in.run_dir = "/run/mybuild-plan-test";  // only named in the plan, never created
  return in;
}

std::string shm_data(const PlanStorage& storage) {
  const MountList& system = storage.plan().system_mounts;
  for (size_t i = 0; i < system.count; ++i) {
    if (std::string(system.ops[i].target) == "dev/shm") return system.ops[i].data;
  }
  return "no dev/shm mount";
}

TEST(PlanShm, DockersDefaultOf64MiB) {
  PlanStorage storage(minimal_spec(), inputs());
  EXPECT_EQ(shm_data(storage), "mode=1777,size=67108864");
}

TEST(PlanShm, TheSpecsSizeInBytes) {
  ProcessSpec spec = minimal_spec();
  spec.shm_size_bytes = 8 * 1024 * 1024;
  PlanStorage storage(spec, inputs());
  EXPECT_EQ(shm_data(storage), "mode=1777,size=8388608");
}

TEST(PlanShm, ZeroIsRefusedNotUnlimited) {
  ProcessSpec spec = minimal_spec();
  spec.shm_size_bytes = 0;
  try {
    PlanStorage storage(spec, inputs());
    FAIL() << "expected an error";
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kSandbox);
    EXPECT_NE(e.message().find("/dev/shm"), std::string::npos);
  }
}

TEST(PlanRlimits, CopiedInOrder) {
  ProcessSpec spec = minimal_spec();
  PlanStorage none(spec, inputs());
  EXPECT_EQ(none.plan().rlimits.count, 0u);
  spec.rlimits = {{RLIMIT_NOFILE, 512, 1024}, {RLIMIT_CORE, 0, kRlimitUnlimited}};
  PlanStorage storage(spec, inputs());
  const RlimitList& list = storage.plan().rlimits;
  ASSERT_EQ(list.count, 2u);
  EXPECT_EQ(list.ops[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(list.ops[0].soft, 512u);
  EXPECT_EQ(list.ops[0].hard, 1024u);
  EXPECT_EQ(list.ops[1].resource, RLIMIT_CORE);
  EXPECT_EQ(list.ops[1].hard, static_cast<uint64_t>(RLIM_INFINITY));
}

TEST(PlanRlimits, SoftAboveHardIsRefused) {
  ProcessSpec spec = minimal_spec();
  spec.rlimits = {{RLIMIT_NOFILE, 2048, 1024}};
  EXPECT_THROW(PlanStorage(spec, inputs()), common::Error);
}

TEST(PlanDev, DevIsNodevAndTheHostsNodesAreBoundReadOnly) {
  PlanStorage storage(minimal_spec(), inputs());
  const MountList& system = storage.plan().system_mounts;
  int nodes = 0;
  for (size_t i = 0; i < system.count; ++i) {
    const MountOp& op = system.ops[i];
    std::string target = op.target;
    if (target == "dev") {
      EXPECT_NE(op.flags & MS_NODEV, 0u);
    }
    if (op.flags == MS_BIND && target.rfind("dev/", 0) == 0) {
      ++nodes;
      EXPECT_EQ(std::string(op.source), "/" + target);
      EXPECT_NE(op.remount_flags & MS_RDONLY, 0u) << target;
      EXPECT_EQ(op.remount_flags & MS_NODEV, 0u) << target;
    }
  }
  EXPECT_EQ(nodes, 6);  // null zero full random urandom tty
}

TEST(PlanMasks, MobysMaskedPaths) {
  PlanStorage storage(minimal_spec(), inputs());
  std::vector<std::string> masked;
  for (const char* const* p = storage.plan().masked_paths; *p != nullptr; ++p) masked.push_back(*p);
  for (const char* want :
       {"proc/acpi", "proc/asound", "proc/interrupts", "proc/kcore", "proc/keys",
        "proc/latency_stats", "proc/timer_list", "proc/timer_stats", "proc/sched_debug",
        "proc/scsi", "sys/firmware", "sys/devices/virtual/powercap"}) {
    EXPECT_NE(std::find(masked.begin(), masked.end(), want), masked.end()) << want;
  }
}

}  // namespace
}  // namespace mybuild::sandbox::internal

namespace mybuild::sandbox::internal {
namespace {

// chroot mode: the rootfs directory is entered as it is, the container's /proc, /dev and /sys
// are bound (not fresh file systems: none can be made without namespaces), and the two
// capabilities that would undo a chroot without a mount namespace are gone.
TEST(PlanChroot, EntersTheRootfsDirectoryWithBindsAndFewerCapabilities) {
  ProcessSpec spec = minimal_spec();
  spec.isolation = Isolation::kChroot;
  PlanStorage storage(spec, inputs());
  const ChildPlan& plan = storage.plan();
  EXPECT_TRUE(plan.chroot);
  EXPECT_STREQ(plan.root_path, "/nonexistent-rootfs");
  EXPECT_EQ(plan.rootfs.count, 0u);
  ASSERT_EQ(plan.system_mounts.count, 3u);
  EXPECT_STREQ(plan.system_mounts.ops[0].source, "/proc");
  EXPECT_STREQ(plan.system_mounts.ops[1].source, "/dev");
  EXPECT_STREQ(plan.system_mounts.ops[2].source, "/sys");
  for (size_t i = 0; i < plan.system_mounts.count; ++i) {
    EXPECT_NE(plan.system_mounts.ops[i].flags & MS_BIND, 0u) << plan.system_mounts.ops[i].source;
  }
  EXPECT_NE(plan.system_mounts.ops[2].remount_flags & MS_RDONLY, 0u);
  EXPECT_EQ(plan.capabilities & (uint64_t{1} << 18), 0u);  // CAP_SYS_CHROOT
  EXPECT_EQ(plan.capabilities & (uint64_t{1} << 27), 0u);  // CAP_MKNOD
  EXPECT_NE(plan.capabilities & (uint64_t{1} << 0), 0u);   // CAP_CHOWN stays
}

TEST(PlanChroot, NeedsADirectoryRootfs) {
  ProcessSpec spec = minimal_spec();
  spec.isolation = Isolation::kChroot;
  spec.rootfs = {
      common::Mount{.type = "overlay", .source = "overlay", .target = "", .options = {}}};
  EXPECT_THROW(PlanStorage(spec, inputs()), common::Error);
}

}  // namespace
}  // namespace mybuild::sandbox::internal
