// TempDir: a directory created with mkdtemp and removed (recursively) on destruction.
#pragma once

#include <filesystem>
#include <string_view>
#include <utility>

namespace mybuild::common {

class TempDir {
 public:
  // Creates <parent>/<prefix>XXXXXX; parent defaults to $TMPDIR or /tmp.
  explicit TempDir(std::string_view prefix = "mybuild-", std::filesystem::path parent = {});
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const { return path_; }
  // Keeps the directory on destruction.
  std::filesystem::path release() { return std::exchange(path_, {}); }

 private:
  std::filesystem::path path_;
};

}  // namespace mybuild::common
