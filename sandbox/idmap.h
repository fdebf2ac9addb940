// Id maps of a rootless user namespace: the caller's subordinate id ranges from /etc/subuid and
// /etc/subgid (shadow's format, "name-or-uid:start:count" per line), the map a rootless mybuild
// asks for (0 -> the caller, 1.. -> the ranges in file order), and writing it for a process:
// through Debian's setuid newuidmap/newgidmap (package uidmap) when there are ranges, or directly
// (only the caller's own id, with setgroups denied, as the kernel allows anyone) when there are
// none.
//
// Parsing never throws on bad lines (they are skipped: shadow does the same); writing a map
// throws Error(kSandbox) naming the tool and what it printed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mybuild::sandbox {

struct IdRange {
  uint32_t start = 0;
  uint32_t count = 0;
  bool operator==(const IdRange&) const = default;
};

// One line of /proc/<pid>/uid_map: ids [inside, inside+count) are [outside, outside+count).
struct IdMapping {
  uint32_t inside = 0;
  uint32_t outside = 0;
  uint32_t count = 0;
  bool operator==(const IdMapping&) const = default;
};

// The ranges of `text` (an /etc/subuid or /etc/subgid) that belong to the user, named either by
// `name` or by the decimal `id`, in file order. Comments, blank and malformed lines, zero counts
// and ranges that would wrap past 2^32 are skipped.
std::vector<IdRange> parse_subid(std::string_view text, std::string_view name, uint32_t id);

// Reads `path` (nothing when it is missing or unreadable) and parses it.
std::vector<IdRange> read_subid(const std::string& path, std::string_view name, uint32_t id);

// 0 -> `own`, then the ranges back to back from 1. The kernel takes at most 340 lines; ranges
// past that are dropped. Ranges that contain `own` are kept as they are (the kernel rejects
// overlapping outside ids only within one map, and newuidmap would refuse them first).
std::vector<IdMapping> rootless_mappings(uint32_t own, const std::vector<IdRange>& ranges);

// Total ids inside (1 + the ranges' counts).
uint64_t mapped_count(const std::vector<IdMapping>& mappings);

// Whether `id` (inside) is covered by `mappings`.
bool is_mapped(const std::vector<IdMapping>& mappings, uint32_t id);

// Writes the uid or gid map of process `pid` (in a fresh user namespace, before anything was
// written). With more than one line, runs `tool` (newuidmap/newgidmap) and waits for it; with
// only the caller's own id, writes /proc/<pid>/uid_map itself (for gids, after "deny" to
// /proc/<pid>/setgroups: the kernel's condition for an unprivileged gid_map). Throws
// Error(kSandbox).
enum class IdKind { kUid, kGid };
void write_id_map(pid_t pid, IdKind kind, const std::vector<IdMapping>& mappings,
                  const std::string& tool);

// The command that gives `user` a range (what `mybuild doctor` and the rootless warning print):
// "usermod --add-subuids 100000-165535 --add-subgids 100000-165535 <user>".
std::string subid_fix(std::string_view user);

// The calling user's login name (from the password database; the decimal uid when absent).
std::string current_user_name();

}  // namespace mybuild::sandbox
