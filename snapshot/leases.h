// Leases: what a running build holds so that garbage collection leaves it alone (containerd's
// leases, simplified). Kept in SQLite (tables `leases`, `lease_content`), so they protect
// content across processes: a `mybuild prune` in another shell sees them.
//
// A lease protects
//   1. every digest added to it (and, through the GC's walk, what those manifests reference),
//   2. every blob created after the lease was (the GC keeps blobs whose mtime is not older
//      than the oldest live lease): a build need not race to add a layer it has just written
//      before a concurrent prune sees it.
// Leases expire: a build that dies (SIGKILL, power loss) cannot release its lease, so each has
// an expiry that a long build extends with renew(). Expired leases protect nothing and are
// deleted by the next collection.
//
// Not thread-safe (one Database connection; see snapshot/database.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/digest.h"
#include "snapshot/database.h"

namespace mybuild::snapshot {

struct Lease {
  std::string id;
  std::string label;   // for people: "build app:v1 (pid 1234)"
  int64_t created_at;  // Unix seconds
  int64_t expires_at;  // Unix seconds
};

class Leases {
 public:
  explicit Leases(Database& db);

  Lease create(std::chrono::seconds ttl, std::string_view label = "");
  // Moves the expiry to now + ttl; kNotFound when the lease is gone (expired and collected).
  void renew(std::string_view id, std::chrono::seconds ttl);
  // kNotFound when the lease is gone.
  void add(std::string_view id, const common::Digest& d);
  // Releasing a lease that is gone is not an error.
  void release(std::string_view id);

  // Live leases (not expired at `now`), oldest first.
  std::vector<Lease> active(int64_t now);
  // Digests held by live leases.
  std::vector<common::Digest> held(int64_t now);
  // Deletes expired leases; returns how many.
  int64_t expire(int64_t now);
  // Releases the leases whose owning process has exited (killed: it never released them);
  // returns their ids. A lease of a live process is never touched.
  std::vector<std::string> release_dead_owners();

  static int64_t now();

 private:
  void require(std::string_view id);
  Database& db_;
};

// A lease for the life of a scope: created by the constructor, released by the destructor
// (errors there are logged, not thrown). Move-only.
class LeaseGuard {
 public:
  LeaseGuard(Database& db, std::chrono::seconds ttl, std::string_view label = "");
  LeaseGuard(LeaseGuard&& other) noexcept;
  LeaseGuard& operator=(LeaseGuard&&) = delete;
  LeaseGuard(const LeaseGuard&) = delete;
  LeaseGuard& operator=(const LeaseGuard&) = delete;
  ~LeaseGuard();

  const std::string& id() const { return lease_.id; }
  void add(const common::Digest& d) { Leases(*db_).add(lease_.id, d); }

 private:
  Database* db_;
  Lease lease_;
};

}  // namespace mybuild::snapshot
