// ProcessOwner: "which process made this", written next to what a mybuild process leaves on
// disk (snapshot records, leases, temp directories under the state root), so that the next
// mybuild can tell a dead owner's leftovers from those of a build still running on the same
// root. A pid alone is not enough: pids are reused, so the owner is (pid, start time), the
// start time being field 22 of /proc/<pid>/stat (clock ticks since boot).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mybuild::common {

// The start time of `pid`, or nullopt when no such process runs. A zombie (state Z or X:
// killed, not yet waited for by its parent) counts as gone: it holds nothing any more, and its
// parent may never wait for it.
std::optional<int64_t> process_start_time(int64_t pid);

struct ProcessOwner {
  int64_t pid = 0;
  int64_t start = 0;  // 0: unknown (then only the pid is compared)

  static ProcessOwner self();
  // True while that very process runs (same pid and, when known, same start time).
  bool alive() const;
  // "<pid>.<start>", the form used in file names.
  std::string tag() const;
  // Parses what tag() wrote at the start of `text` (the rest after a '-' is ignored);
  // nullopt when it is not one.
  static std::optional<ProcessOwner> parse_tag(std::string_view text);
};

// "<prefix><pid>.<start>-": a TempDir prefix that names this process as the owner, so that
// owner_in_name() finds it again ("mybuild-bind-" -> "mybuild-bind-4711.98765-XXXXXX").
std::string owned_prefix(std::string_view prefix);
// The owner named by the first '-'-separated part of `name` that is a tag; nullopt for names
// that carry none (made by someone else: never reclaimed).
std::optional<ProcessOwner> owner_in_name(std::string_view name);

}  // namespace mybuild::common
