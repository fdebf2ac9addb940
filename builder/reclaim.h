// Reclaiming what a dead mybuild left under a state root. mybuild has no daemon: a build killed
// with SIGKILL (or by the OOM killer, or a power cut) cannot clean up, so the next mybuild
// command that opens the root does it for it. Each kind of leftover names its owner (pid and
// start time, common/process_owner.h) and only leftovers of processes that no longer run are
// taken: several mybuild processes may use one root at once.
//
//   what                                        where                          owner in
//   active snapshots and views, their mounts    <root>/snapshots/<driver>/N    the snapshot record
//   a step's cgroups and /etc files             <root>/run/sandbox/<run>       its `record` file
//   scratch copies for RUN binds, ADD urls      <root>/tmp/mybuild-*-<owner>-  the name
//   half-written blobs                          <root>/ingest                  an flock
//   leases (they would pin blobs until expiry)  metadata.db, table leases      owner columns
#pragma once

#include <filesystem>

namespace mybuild::builder {

struct ReclaimResult {
  int snapshots = 0;  // dead processes' active snapshots and views (with their mounts)
  int sandbox_runs = 0;
  int temp_dirs = 0;
  int ingests = 0;
  int leases = 0;
  int total() const { return snapshots + sandbox_runs + temp_dirs + ingests + leases; }
};

// Reclaims everything dead processes left at `root` (which need not exist: then nothing).
// Never touches what a live process owns. Failures to remove one leftover are logged and the
// rest goes on; opening the store itself failing throws (as any command would).
ReclaimResult reclaim_dead(const std::filesystem::path& root);

}  // namespace mybuild::builder
