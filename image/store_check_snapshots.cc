// Snapshot records against the snapshot directories (snapshot/snapshotter.h).
#include <map>
#include <memory>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "image/store_check_internal.h"
#include "snapshot/snapshotter.h"

namespace mybuild::image {
namespace {

namespace fs = std::filesystem;
using snapshot::SnapshotInfo;
using snapshot::SnapshotKind;

// Why `info` is broken ("" when it is not): its files are gone, or its parent is (or is
// broken itself: a snapshot is its parents plus its own layer).
std::string why_broken(snapshot::Snapshotter& s, const SnapshotInfo& info,
                       const std::map<std::string, std::string>& broken,
                       const std::set<std::string>& names) {
  std::error_code ec;
  fs::path dir = s.dir(info.name);
  if (!fs::is_directory(dir, ec)) return "its directory " + dir.string() + " is missing";
  if (info.parent.empty()) return "";
  if (!names.count(info.parent)) return "its parent " + info.parent + " has no record";
  if (broken.count(info.parent)) return "its parent " + info.parent + " is broken";
  return "";
}

void check_driver(snapshot::Snapshotter& s, const CheckOptions& options, CheckReport& report) {
  std::vector<SnapshotInfo> all = s.list();  // oldest first: parents before children
  std::set<std::string> names;
  for (const auto& info : all) names.insert(info.name);
  std::map<std::string, std::string> broken;
  for (const auto& info : all) {
    ++report.snapshots;
    if (auto why = why_broken(s, info, broken, names); !why.empty()) broken[info.name] = why;
  }
  // Newest first, so children go before their parents. The active snapshots and views left
  // here belong to running processes (dead ones' were reclaimed): those are theirs to remove.
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    auto found = broken.find(it->name);
    if (found == broken.end()) continue;
    std::string what = std::string(s.driver()) + " snapshot " + it->name + ": " + found->second;
    bool repaired = false;
    if (options.repair && it->kind == SnapshotKind::kCommitted) {
      try {
        s.remove(it->name);
        repaired = true;
      } catch (const std::exception& e) {
        what += std::string(" (could not remove it: ") + e.what() + ")";
      }
    } else if (it->kind != SnapshotKind::kCommitted) {
      what += " (in use by a running mybuild: left alone)";
    }
    report.problems.push_back({what, repaired});
  }
}

}  // namespace

void check_snapshots(const fs::path& root, snapshot::Database& db, const CheckOptions& options,
                     CheckReport& report) {
  for (const char* driver : {"overlay", "native"}) {
    std::error_code ec;
    if (!fs::is_directory(root / "snapshots" / driver, ec)) continue;
    auto s = snapshot::make_snapshotter(driver, root, db);
    check_driver(*s, options, report);
  }
}

}  // namespace mybuild::image
