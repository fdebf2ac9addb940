#include "sandbox/internal/cgroup_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace mybuild::sandbox::internal {

void write_cgroup_file(const std::filesystem::path& dir, const char* file, std::string_view value) {
  auto path = dir / file;
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  int err = 0;
  if (fd < 0) {
    err = errno;
  } else {
    if (::write(fd, value.data(), value.size()) != static_cast<ssize_t>(value.size())) err = errno;
    ::close(fd);
  }
  if (err != 0) {
    throw common::Error(
        common::ErrorKind::kSandbox,
        "cgroup: write " + path.string() + " = " + std::string(value) + ": " + std::strerror(err));
  }
}

std::optional<std::string> read_cgroup_file(const std::filesystem::path& dir, const char* file) {
  std::ifstream in(dir / file);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<uint64_t> cgroup_keyed_value(const std::filesystem::path& dir, const char* file,
                                           std::string_view key) {
  auto text = read_cgroup_file(dir, file);
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  std::string k;
  uint64_t v;
  while (in >> k >> v) {
    if (k == key) return v;
  }
  return std::nullopt;
}

std::optional<uint64_t> cgroup_number(const std::filesystem::path& dir, const char* file) {
  auto text = read_cgroup_file(dir, file);
  if (!text) return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc()) return std::nullopt;
  return v;
}

}  // namespace mybuild::sandbox::internal
