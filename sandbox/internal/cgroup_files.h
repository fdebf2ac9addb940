// Small helpers shared by cgroup_v1.cc and cgroup_v2.cc for reading and writing control files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace mybuild::sandbox::internal {

// Writes value to dir/file; throws Error(kSandbox) "cgroup: write <path> = <value>: <errno>".
void write_cgroup_file(const std::filesystem::path& dir, const char* file, std::string_view value);
// Reads a whole control file; nullopt when it cannot be read.
std::optional<std::string> read_cgroup_file(const std::filesystem::path& dir, const char* file);
// The number after "key " in a "key value" per line file (memory.events, cpu.stat,
// memory.oom_control).
std::optional<uint64_t> cgroup_keyed_value(const std::filesystem::path& dir, const char* file,
                                           std::string_view key);
std::optional<uint64_t> cgroup_number(const std::filesystem::path& dir, const char* file);

}  // namespace mybuild::sandbox::internal
