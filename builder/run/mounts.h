// RUN --mount values (BuildKit's instructions/commands_runmount.go): a CSV of key=value fields.
//   type=bind (default)  target, source, from, rw|readwrite
//   type=cache           target, id (default: target), sharing, from, source, mode, uid, gid
//                        (from= seeds the cache with source= of that stage or image, a path
//                        that must not climb out of it with "..": builder/run/cache_seed.h)
//   type=tmpfs           target, size
//   type=secret          id, target|dst (default /run/secrets/<id>), required, mode, uid, gid, env
//   type=ssh             id (default "default"), target|dst (default
//                        /run/buildkit/ssh_agent.<n>), required (default true), mode, uid, gid
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace mybuild::builder {

struct RunMount {
  std::string type = "bind";
  std::string target;
  std::string source;
  std::optional<std::string> from;
  std::string id;
  bool readonly = true;  // bind: read-only unless rw; cache: read-write unless ro
  std::string sharing = "shared";
  std::optional<uint32_t> mode;
  uint32_t uid = 0;
  uint32_t gid = 0;
  bool required = false;
  std::optional<uint64_t> size_bytes;  // tmpfs
  std::optional<std::string> env;      // secret as an env variable
};

// Parses one --mount value (already expanded). Throws Error(kDockerfile) naming the field.
RunMount parse_run_mount(std::string_view text);

// BuildKit's default target of the n-th ssh mount of a RUN (0-based, counting ssh mounts only).
inline constexpr std::string_view kSshTargetPrefix = "/run/buildkit/ssh_agent.";
void assign_ssh_targets(std::vector<RunMount>& mounts);

}  // namespace mybuild::builder
