// Resolving a Dockerfile USER ("name", "uid", "name:group", "uid:gid") against the rootfs's own
// /etc/passwd and /etc/group, as Docker does (moby/sys/user GetExecUser): names must exist,
// numbers need not; the gid defaults to the user's primary group (0 when unknown); the
// supplementary groups are the primary gid and the groups whose member list names the user.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mybuild::sandbox {

struct ResolvedUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups;  // supplementary: the primary gid first, no duplicates
  std::string home = "/";
};

// passwd/group: the files' contents ("" when missing). Throws Error(kSandbox) for unknown
// names ("unable to find user app: no matching entries in passwd file").
ResolvedUser resolve_user(std::string_view spec, std::string_view passwd, std::string_view group);

}  // namespace mybuild::sandbox
