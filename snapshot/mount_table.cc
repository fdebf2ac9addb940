#include "snapshot/mount_table.h"

#include <algorithm>
#include <sstream>
#include <system_error>

#include "common/error.h"
#include "common/io.h"

namespace mybuild::snapshot {
namespace {

using common::Error;
using common::ErrorKind;

// mountinfo escapes space, tab, newline and backslash as three octal digits (fs/proc_namespace.c,
// mangle()); anything else is literal.
std::string unescape(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      auto is_octal = [](char c) { return c >= '0' && c <= '7'; };
      if (is_octal(field[i + 1]) && is_octal(field[i + 2]) && is_octal(field[i + 3])) {
        out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                                 (field[i + 3] - '0'));
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t pos = 0;
  while (pos < line.size()) {
    size_t end = line.find(' ', pos);
    if (end == std::string_view::npos) end = line.size();
    fields.push_back(line.substr(pos, end - pos));
    pos = end + 1;
  }
  return fields;
}

int to_int(std::string_view s, std::string_view line) {
  int value = 0;
  if (s.empty())
    throw Error(ErrorKind::kInternal, "malformed mountinfo line: " + std::string(line));
  for (char c : s) {
    if (c < '0' || c > '9') {
      throw Error(ErrorKind::kInternal, "malformed mountinfo line: " + std::string(line));
    }
    value = value * 10 + (c - '0');
  }
  return value;
}

// Format (proc(5)): id parent major:minor root mount_point options [optional...] - type source
// super_options. The optional fields are variable in number and end at the lone "-".
MountEntry parse_line(std::string_view line) {
  auto fields = split_fields(line);
  auto dash = std::find(fields.begin(), fields.end(), "-");
  if (fields.size() < 6 || dash == fields.end() || fields.end() - dash < 3 ||
      dash - fields.begin() < 6) {
    throw Error(ErrorKind::kInternal, "malformed mountinfo line: " + std::string(line));
  }
  MountEntry entry;
  entry.id = to_int(fields[0], line);
  entry.parent_id = to_int(fields[1], line);
  entry.root = unescape(fields[3]);
  entry.mount_point = unescape(fields[4]);
  entry.options = std::string(fields[5]);
  entry.fs_type = unescape(dash[1]);
  entry.source = unescape(dash[2]);
  entry.super_options = dash + 3 < fields.end() ? unescape(dash[3]) : "";
  return entry;
}

bool is_at_or_below(std::string_view path, std::string_view dir) {
  if (dir == "/") return true;
  return path == dir ||
         (path.size() > dir.size() && path.substr(0, dir.size()) == dir && path[dir.size()] == '/');
}

}  // namespace

std::vector<MountEntry> parse_mountinfo(std::string_view text) {
  std::vector<MountEntry> entries;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty()) entries.push_back(parse_line(line));
    pos = end + 1;
  }
  return entries;
}

std::vector<MountEntry> read_mountinfo() {
  // A proc file reports size 0, so read_file's limit is only a ceiling, not an allocation.
  return parse_mountinfo(common::read_file("/proc/self/mountinfo", 64 << 20));
}

std::vector<MountEntry> mounts_under(const std::vector<MountEntry>& table,
                                     const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::path canonical = std::filesystem::weakly_canonical(dir, ec);
  std::string prefix = (ec ? dir : canonical).lexically_normal().string();
  while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  std::vector<MountEntry> found;
  for (const auto& entry : table) {
    if (is_at_or_below(entry.mount_point, prefix)) found.push_back(entry);
  }
  // The kernel lists mounts in creation order, so a child always follows the mount it sits on;
  // reversing gives an order in which each can be unmounted.
  std::reverse(found.begin(), found.end());
  return found;
}

}  // namespace mybuild::snapshot
