#include "builder/run/disk_full.h"

#include <sys/statvfs.h>
#include <unistd.h>

namespace mybuild::builder {

std::optional<std::string> full_disk_note(const std::filesystem::path& root, uint64_t free_bytes) {
  if (free_bytes >= kFullDiskSlack) return std::nullopt;
  return "the file system of the state root " + root.string() + " is full (" +
         std::to_string(free_bytes / 1024) +
         " KiB free): No space left on device; free space there or build with a --root on a "
         "larger file system";
}

std::optional<uint64_t> free_bytes(const std::filesystem::path& root) {
  struct statvfs st {};
  if (::statvfs(root.c_str(), &st) != 0) return std::nullopt;
  uint64_t blocks = ::geteuid() == 0 ? st.f_bfree : st.f_bavail;
  return blocks * st.f_frsize;
}

}  // namespace mybuild::builder
