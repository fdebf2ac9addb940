#include "builder/copy/user_lookup.h"

#include <charconv>
#include <vector>

#include "builder/context/path.h"
#include "common/error.h"
#include "common/io.h"

namespace mybuild::builder {
namespace {

using common::Error;
using common::ErrorKind;

// /etc/passwd of a real image is a few KB; a cap keeps a hostile image from costing memory.
constexpr size_t kMaxDatabase = 8 << 20;

std::optional<uint32_t> parse_id(std::string_view s) {
  uint32_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// The text of /etc/<file> inside rootfs, or "" when the image has none.
std::string read_database(const std::filesystem::path& rootfs, std::string_view file) {
  auto rel = resolve_in_root(rootfs, "/etc/" + std::string(file));
  if (!rel) return {};
  return common::read_file(rootfs / *rel, kMaxDatabase);
}

std::vector<std::string_view> split_db_line(std::string_view line, char sep) {
  std::vector<std::string_view> out;
  size_t i = 0;
  for (;;) {
    size_t j = line.find(sep, i);
    out.push_back(line.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) return out;
    i = j + 1;
  }
}

// Calls fn(fields) for each entry line (blank lines and # comments skipped) until it returns
// true.
template <typename Fn>
bool for_each_entry(std::string_view text, Fn fn) {
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find('\n', i);
    if (j == std::string_view::npos) j = text.size();
    std::string_view line = text.substr(i, j - i);
    i = j + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    if (fn(split_db_line(line, ':'))) return true;
  }
  return false;
}

}  // namespace

std::optional<PasswdEntry> lookup_user(const std::filesystem::path& rootfs, std::string_view name) {
  std::optional<PasswdEntry> found;
  for_each_entry(read_database(rootfs, "passwd"), [&](const std::vector<std::string_view>& f) {
    if (f.size() < 4 || f[0] != name) return false;
    auto uid = parse_id(f[2]);
    auto gid = parse_id(f[3]);
    if (!uid || !gid) return false;
    found = PasswdEntry{*uid, *gid};
    return true;
  });
  return found;
}

std::optional<uint32_t> lookup_group(const std::filesystem::path& rootfs, std::string_view name) {
  std::optional<uint32_t> found;
  for_each_entry(read_database(rootfs, "group"), [&](const std::vector<std::string_view>& f) {
    if (f.size() < 3 || f[0] != name) return false;
    found = parse_id(f[2]);
    return found.has_value();
  });
  return found;
}

Owner resolve_chown(std::string_view spec, const std::filesystem::path& rootfs) {
  const size_t colon = spec.find(':');
  const std::string_view user = spec.substr(0, colon);
  const std::optional<std::string_view> group =
      colon == std::string_view::npos ? std::nullopt
                                      : std::optional<std::string_view>(spec.substr(colon + 1));
  if (user.empty() || (group && (group->empty() || group->find(':') != std::string_view::npos))) {
    throw Error(ErrorKind::kDockerfile,
                "invalid --chown value \"" + std::string(spec) + "\": expected user[:group]");
  }
  Owner owner;
  if (all_digits(user)) {
    auto uid = parse_id(user);
    if (!uid)
      throw Error(ErrorKind::kDockerfile, "--chown: uid out of range: " + std::string(user));
    owner = {*uid, *uid};
  } else {
    auto entry = lookup_user(rootfs, user);
    if (!entry) {
      throw Error(ErrorKind::kNotFound, "--chown=" + std::string(spec) + ": no such user \"" +
                                            std::string(user) + "\" in the image's /etc/passwd");
    }
    owner = {entry->uid, entry->gid};
  }
  if (group) {
    if (all_digits(*group)) {
      auto gid = parse_id(*group);
      if (!gid) {
        throw Error(ErrorKind::kDockerfile, "--chown: gid out of range: " + std::string(*group));
      }
      owner.gid = *gid;
    } else {
      auto gid = lookup_group(rootfs, *group);
      if (!gid) {
        throw Error(ErrorKind::kNotFound, "--chown=" + std::string(spec) + ": no such group \"" +
                                              std::string(*group) + "\" in the image's /etc/group");
      }
      owner.gid = *gid;
    }
  }
  return owner;
}

}  // namespace mybuild::builder
