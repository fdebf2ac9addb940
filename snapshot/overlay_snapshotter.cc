#include "snapshot/overlay_snapshotter.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "common/error.h"
#include "common/io.h"
#include "common/log.h"
#include "common/temp_dir.h"
#include "snapshot/mount_guard.h"
#include "snapshot/mount_ops.h"
#include "snapshot/snapshotter_records.h"
#include "snapshot/snapshotter_tree.h"

namespace mybuild::snapshot {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kProbePrefix = ".overlay-probe-";

bool in_user_namespace() {
  try {
    std::string map = common::read_file("/proc/self/uid_map", 4096);
    // The initial namespace maps all 2^32-1 ids from 0 to 0.
    return map.find("4294967295") == std::string::npos;
  } catch (const common::Error&) {
    return false;
  }
}

bool index_on_by_default() {
  try {
    std::string value = common::read_file("/sys/module/overlay/parameters/index", 16);
    return !value.empty() && value[0] == 'Y';
  } catch (const common::Error&) {
    return false;
  }
}

// Options every overlay mount of this host needs. In a user namespace the trusted.* xattrs
// overlay keeps its metadata in are out of reach; "userxattr" (5.11) moves them to user.*.
// With index=on (a kernel default some distributions pick), an upper dir remembers its
// lowers and a layer could not be reused under another upper; containerd turns it off too.
std::vector<std::string> host_options() {
  std::vector<std::string> options;
  if (index_on_by_default()) options.push_back("index=off");
  if (in_user_namespace()) options.push_back("userxattr");
  return options;
}

// A probe killed half way leaves its scratch directory (and maybe its mount); its name carries
// the prober's pid, so the next probe removes those of processes that are gone.
void remove_stale_probes(const fs::path& parent) {
  std::error_code ec;
  std::vector<fs::path> stale;
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    std::string name = entry.path().filename().string();
    if (!name.starts_with(kProbePrefix)) continue;
    // "<prefix><pid>-XXXXXX": atoll stops at the dash.
    int64_t pid = std::atoll(name.c_str() + kProbePrefix.size());
    if (pid > 0 && !process_start_time(pid)) stale.push_back(entry.path());
  }
  for (const auto& path : stale) {
    try {
      unmount_tree(path);
      remove_tree(path);
    } catch (const std::exception& e) {
      common::log::warn("removing stale overlay probe " + path.string() + ": " + e.what());
    }
  }
}

std::string join_lowers(const std::vector<fs::path>& lowers) {
  std::string out = "lowerdir=";
  for (size_t i = 0; i < lowers.size(); ++i) {
    if (i) out += ':';
    out += lowers[i].string();
  }
  return out;
}

}  // namespace

OverlaySnapshotter::OverlaySnapshotter(const fs::path& root, Database& db)
    : DirectorySnapshotter("overlay", root, db), base_options_(host_options()) {
  // Overlay's option string separates options with ',' and layers with ':'.
  if (root.string().find_first_of(",:") != std::string::npos) {
    throw common::Error(common::ErrorKind::kUsage,
                        "the overlay snapshotter cannot use a root whose path has ',' or ':' (" +
                            root.string() + "); use another --root or --snapshotter native");
  }
}

std::optional<std::string> OverlaySnapshotter::probe(const fs::path& root) {
  try {
    fs::path parent = root / "snapshots";
    fs::create_directories(parent);
    remove_stale_probes(parent);
    common::TempDir scratch(std::string(kProbePrefix) + std::to_string(::getpid()) + "-", parent);
    for (const char* d : {"lower1", "lower2", "upper", "work", "merged"}) {
      common::make_dir(scratch.path() / d, 0755);
    }
    std::vector<std::string> options = host_options();
    options.push_back(join_lowers({scratch.path() / "lower2", scratch.path() / "lower1"}));
    options.push_back("upperdir=" + (scratch.path() / "upper").string());
    options.push_back("workdir=" + (scratch.path() / "work").string());
    common::Mount m{.type = "overlay", .source = "overlay", .target = "", .options = options};
    MountGuard guard(std::span(&m, 1), scratch.path() / "merged");
    guard.unmount();
    return std::nullopt;
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
}

void OverlaySnapshotter::create_files(const SnapshotRecord& record,
                                      const std::vector<SnapshotRecord>&) {
  common::make_dir(fs_dir(record.id), 0755);
  if (record.kind == SnapshotKind::kActive)
    common::make_dir(snapshot_dir(record.id) / "work", 0700);
}

std::vector<common::Mount> OverlaySnapshotter::mounts_of(
    const SnapshotRecord& record, const std::vector<SnapshotRecord>& parents) {
  bool active = record.kind == SnapshotKind::kActive;
  // Overlay needs an upper dir or at least two lowers; the other cases are plain binds (of
  // our own empty fs/ for a base snapshot, of the single parent layer for a view of it).
  if (parents.empty() || (!active && parents.size() == 1)) {
    fs::path source = parents.empty() ? fs_dir(record.id) : fs_dir(parents.front().id);
    return {common::Mount{.type = "bind",
                          .source = source.string(),
                          .target = "",
                          .options = {"rbind", active ? "rw" : "ro"}}};
  }
  std::vector<fs::path> lowers;
  lowers.reserve(parents.size());
  for (const auto& p : parents) lowers.push_back(fs_dir(p.id));
  std::vector<std::string> options = base_options_;
  if (active) {
    options.push_back("workdir=" + (snapshot_dir(record.id) / "work").string());
    options.push_back("upperdir=" + fs_dir(record.id).string());
  } else {
    options.push_back("ro");
  }
  options.push_back(join_lowers(lowers));
  return {common::Mount{
      .type = "overlay", .source = "overlay", .target = "", .options = std::move(options)}};
}

}  // namespace mybuild::snapshot
