// Leak records: each run keeps a small directory <state_dir>/<run id>/ holding its generated
// /etc files, an empty mount point for its rootfs and a `record` naming its owner (pid and
// start time) and the cgroup directories it created. A run removes its own directory when it
// ends; after a kill -9 of mybuild, the next run finds records whose owner is gone and removes
// their cgroups and directories (the mounts lived only in the step's mount namespace and
// vanished with it; the processes died with their PID namespace through PR_SET_PDEATHSIG).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace mybuild::sandbox {

class RunRecord {
 public:
  // Creates <state_dir>/<id>/ with the owner line written. Throws Error(kSandbox).
  RunRecord(const std::filesystem::path& state_dir, std::string id);
  RunRecord(const RunRecord&) = delete;
  RunRecord& operator=(const RunRecord&) = delete;
  ~RunRecord();  // removes the run directory (the caller has removed its cgroups)

  const std::filesystem::path& dir() const { return dir_; }
  const std::string& id() const { return id_; }
  void add_cgroups(const std::vector<std::filesystem::path>& dirs);

 private:
  std::filesystem::path dir_;
  std::string id_;
};

// Removes what dead runs left behind; returns how many runs were cleaned. Never throws.
int clean_stale_runs(const std::filesystem::path& state_dir) noexcept;

// Writes a small file of a run directory. No fsync and no rename: these files matter only
// while this boot lasts (a kill -9 leaves them in the page cache), and fsync cost ~10 ms each
// (measured: five per step doubled the start time of /bin/true).
void write_run_file(const std::filesystem::path& path, std::string_view data, int mode = 0644);

// A new unique run id ("<pid>-<counter>-<random>").
std::string new_run_id();

}  // namespace mybuild::sandbox
