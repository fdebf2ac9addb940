#include "sandbox/user.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include "common/error.h"

namespace mybuild::sandbox {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

std::optional<uint32_t> parse_id(std::string_view s) {
  uint32_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// Lines of a colon-separated database, comments and malformed lines skipped.
std::vector<std::vector<std::string_view>> records(std::string_view file, size_t min_fields) {
  std::vector<std::vector<std::string_view>> out;
  for (std::string_view line : split(file, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    auto fields = split(line, ':');
    if (fields.size() >= min_fields) out.push_back(std::move(fields));
  }
  return out;
}

[[noreturn]] void not_found(std::string_view what, std::string_view name, std::string_view file) {
  throw common::Error(common::ErrorKind::kSandbox,
                      "unable to find " + std::string(what) + " " + std::string(name) +
                          ": no matching entries in " + std::string(file) + " file");
}

}  // namespace

ResolvedUser resolve_user(std::string_view spec, std::string_view passwd, std::string_view group) {
  ResolvedUser user;
  // No USER: uid 0 whether or not the image has an /etc/passwd (images FROM scratch often lack
  // one); its entry, when there is one, still gives HOME.
  if (spec.empty()) spec = "0";
  std::string_view user_part = spec.substr(0, spec.find(':'));
  std::optional<std::string_view> group_part;
  if (spec.find(':') != std::string_view::npos) group_part = spec.substr(spec.find(':') + 1);

  std::string name;
  auto uid = parse_id(user_part);
  bool found = false;
  for (const auto& f : records(passwd, 7)) {
    auto entry_uid = parse_id(f[2]);
    if (!entry_uid) continue;
    if ((uid && *entry_uid == *uid) || (!uid && f[0] == user_part)) {
      user.uid = *entry_uid;
      user.gid = parse_id(f[3]).value_or(0);
      user.home = f[5].empty() ? "/" : std::string(f[5]);
      name = f[0];
      found = true;
      break;
    }
  }
  if (!found) {
    if (!uid) not_found("user", user_part, "passwd");
    user.uid = *uid;
  }

  auto groups = records(group, 3);
  if (group_part) {
    auto gid = parse_id(*group_part);
    if (gid) {
      user.gid = *gid;
    } else {
      auto it = std::find_if(groups.begin(), groups.end(),
                             [&](const auto& f) { return f[0] == *group_part; });
      if (it == groups.end() || !parse_id((*it)[2])) not_found("group", *group_part, "group");
      user.gid = *parse_id((*it)[2]);
    }
  }
  // Supplementary groups come from the membership lists; Docker adds none for an explicit
  // group (USER u:g), matching `docker run --user u:g`.
  if (!group_part && !name.empty()) {
    for (const auto& f : groups) {
      if (f.size() < 4) continue;
      auto gid = parse_id(f[2]);
      if (!gid) continue;
      for (std::string_view member : split(f[3], ',')) {
        if (member == name &&
            std::find(user.groups.begin(), user.groups.end(), *gid) == user.groups.end()) {
          user.groups.push_back(*gid);
        }
      }
    }
  }
  // The primary gid is a supplementary group too: runc/containerd add it (BuildKit's
  // ensureAdditionalGids, the CVE-2022-36109 fix), so a file whose group denies access cannot be
  // read through the primary group after the process drops it.
  if (std::find(user.groups.begin(), user.groups.end(), user.gid) == user.groups.end()) {
    user.groups.insert(user.groups.begin(), user.gid);
  }
  return user;
}

}  // namespace mybuild::sandbox
