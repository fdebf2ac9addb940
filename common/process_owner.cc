#include "common/process_owner.h"

#include <unistd.h>

#include <charconv>

#include "common/error.h"
#include "common/io.h"

namespace mybuild::common {
namespace {

std::optional<int64_t> parse_number(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

}  // namespace

std::optional<int64_t> process_start_time(int64_t pid) {
  if (pid <= 0) return std::nullopt;
  std::string stat;
  try {
    stat = read_file("/proc/" + std::to_string(pid) + "/stat", 4096);
  } catch (const Error&) {
    return std::nullopt;  // no such process (ENOENT), or it exited while we read
  }
  // The command name (field 2) may hold spaces and parentheses; fields after the last ')' are
  // plain numbers, starting with the state (field 3). starttime is field 22.
  size_t pos = stat.rfind(')');
  if (pos == std::string::npos || pos + 2 >= stat.size()) return std::nullopt;
  char state = stat[pos + 2];
  if (state == 'Z' || state == 'X') return std::nullopt;
  for (int field = 2; field < 22; ++field) {
    pos = stat.find(' ', pos + 1);
    if (pos == std::string::npos) return std::nullopt;
  }
  size_t end = stat.find(' ', pos + 1);
  return parse_number(std::string_view(stat).substr(pos + 1, end - pos - 1));
}

ProcessOwner ProcessOwner::self() {
  int64_t pid = ::getpid();
  return ProcessOwner{pid, process_start_time(pid).value_or(0)};
}

bool ProcessOwner::alive() const {
  auto now = process_start_time(pid);
  return now && (start == 0 || *now == start);
}

std::string ProcessOwner::tag() const { return std::to_string(pid) + "." + std::to_string(start); }

std::optional<ProcessOwner> ProcessOwner::parse_tag(std::string_view text) {
  text = text.substr(0, text.find('-'));
  size_t dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto pid = parse_number(text.substr(0, dot));
  auto start = parse_number(text.substr(dot + 1));
  if (!pid || !start || *pid == 0) return std::nullopt;
  return ProcessOwner{*pid, *start};
}

std::string owned_prefix(std::string_view prefix) {
  return std::string(prefix) + ProcessOwner::self().tag() + "-";
}

std::optional<ProcessOwner> owner_in_name(std::string_view name) {
  while (!name.empty()) {
    size_t dash = name.find('-');
    if (auto owner = ProcessOwner::parse_tag(name.substr(0, dash))) return owner;
    if (dash == std::string_view::npos) break;
    name.remove_prefix(dash + 1);
  }
  return std::nullopt;
}

}  // namespace mybuild::common
