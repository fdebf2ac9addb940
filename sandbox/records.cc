#include "sandbox/records.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/io.h"
#include "common/log.h"
#include "common/process_owner.h"
#include "sandbox/cgroup.h"

namespace mybuild::sandbox {
namespace {

constexpr const char* kRecordFile = "record";
// Files a run directory may hold; removed by name so that a rootfs still mounted on `root`
// by mistake can never be recursed into.
constexpr const char* kRunFiles[] = {"hosts", "resolv.conf", "hostname", kRecordFile};
constexpr const char* kRunDirs[] = {"root", "secrets"};

// Field 22 of /proc/<pid>/stat, "" when gone (a zombie too: common/process_owner.h):
// distinguishes our pid from a later process reusing it.
std::string start_time(pid_t pid) {
  auto start = common::process_start_time(pid);
  return start ? std::to_string(*start) : "";
}

void remove_run_dir(const std::filesystem::path& dir) noexcept {
  for (const char* f : kRunFiles) ::unlink((dir / f).c_str());
  for (const char* d : kRunDirs) ::rmdir((dir / d).c_str());
  if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) {
    common::log::warn("rmdir " + dir.string() + ": " + std::strerror(errno));
  }
}

}  // namespace

void write_run_file(const std::filesystem::path& path, std::string_view data, int mode) {
  common::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) common::throw_errno("open", path.string());
  common::FdWriter(fd.get()).write(data);
}

std::string new_run_id() {
  static std::atomic<unsigned> counter{0};
  unsigned random = 0;
  if (::getrandom(&random, sizeof(random), 0) != sizeof(random)) random = 0;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%d-%u-%08x", static_cast<int>(::getpid()), counter++, random);
  return buf;
}

RunRecord::RunRecord(const std::filesystem::path& state_dir, std::string id)
    : dir_(state_dir / id), id_(std::move(id)) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec || ::mkdir(dir_.c_str(), 0700) != 0) {
    throw common::Error(common::ErrorKind::kSandbox,
                        "creating run record " + dir_.string() + ": " +
                            (ec ? ec.message() : std::string(std::strerror(errno))));
  }
  pid_t self = ::getpid();
  write_run_file(dir_ / kRecordFile,
                 "owner " + std::to_string(self) + " " + start_time(self) + "\n", 0600);
}

RunRecord::~RunRecord() { remove_run_dir(dir_); }

void RunRecord::add_cgroups(const std::vector<std::filesystem::path>& dirs) {
  std::string text = common::read_file(dir_ / kRecordFile);
  for (const auto& d : dirs) text += "cgroup " + d.string() + "\n";
  write_run_file(dir_ / kRecordFile, text, 0600);
}

int clean_stale_runs(const std::filesystem::path& state_dir) noexcept {
  int cleaned = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(state_dir, ec)) {
    try {
      std::ifstream in(entry.path() / kRecordFile);
      std::string kind, line;
      pid_t owner = 0;
      std::string owner_start;
      std::vector<std::filesystem::path> cgroups;
      while (std::getline(in, line)) {
        std::istringstream fields(line);
        fields >> kind;
        if (kind == "owner") {
          fields >> owner >> owner_start;
        } else if (kind == "cgroup") {
          std::string rest;
          std::getline(fields >> std::ws, rest);
          cgroups.emplace_back(rest);
        }
      }
      // No owner line yet: a run being created right now, or a crash in the first
      // instructions; only the latter is old.
      if (owner == 0) continue;
      if (!owner_start.empty() && start_time(owner) == owner_start) continue;  // still running
      for (auto it = cgroups.rbegin(); it != cgroups.rend(); ++it) {
        // Only ever our own leaf directories.
        if (it->filename().string().rfind("mybuild-", 0) == 0) remove_cgroup_dir(*it);
      }
      remove_run_dir(entry.path());
      ++cleaned;
    } catch (const std::exception& e) {
      common::log::warn("cleaning " + entry.path().string() + ": " + e.what());
    }
  }
  return cleaned;
}

}  // namespace mybuild::sandbox
