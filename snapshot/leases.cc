#include "snapshot/leases.h"

#include <random>
#include <utility>

#include "common/error.h"
#include "common/log.h"
#include "common/process_owner.h"

namespace mybuild::snapshot {
namespace {

using common::Error;
using common::ErrorKind;

constexpr std::string_view kLeaseMigrations[] = {
    "CREATE TABLE leases ("
    " id TEXT PRIMARY KEY,"
    " label TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL);"
    "CREATE TABLE lease_content ("
    " lease_id TEXT NOT NULL REFERENCES leases(id) ON DELETE CASCADE,"
    " digest TEXT NOT NULL,"
    " PRIMARY KEY (lease_id, digest));",
    // The process that holds the lease (common/process_owner.h): a killed build's lease is
    // dropped by the next mybuild instead of protecting its content until it expires.
    "ALTER TABLE leases ADD COLUMN owner_pid INTEGER;"
    "ALTER TABLE leases ADD COLUMN owner_start INTEGER;",
};

// 128 random bits in hex: unique across processes without coordination.
std::string new_lease_id() {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 4; ++i) {
    uint32_t v = rd();
    for (int j = 0; j < 8; ++j, v >>= 4) id += kHex[v & 0xf];
  }
  return id;
}

}  // namespace

Leases::Leases(Database& db) : db_(db) { db_.migrate("leases", kLeaseMigrations); }

int64_t Leases::now() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

Lease Leases::create(std::chrono::seconds ttl, std::string_view label) {
  int64_t t = now();
  Lease lease{new_lease_id(), std::string(label), t, t + ttl.count()};
  auto owner = common::ProcessOwner::self();
  db_.prepare(
         "INSERT INTO leases (id, label, created_at, expires_at, owner_pid, owner_start)"
         " VALUES (?, ?, ?, ?, ?, ?)")
      .bind(1, lease.id)
      .bind(2, lease.label)
      .bind(3, lease.created_at)
      .bind(4, lease.expires_at)
      .bind(5, owner.pid)
      .bind(6, owner.start)
      .run();
  return lease;
}

void Leases::require(std::string_view id) {
  if (db_.changes() == 0) {
    throw Error(ErrorKind::kNotFound, "lease " + std::string(id) + " has expired or was released");
  }
}

void Leases::renew(std::string_view id, std::chrono::seconds ttl) {
  db_.prepare("UPDATE leases SET expires_at = ? WHERE id = ?")
      .bind(1, now() + ttl.count())
      .bind(2, id)
      .run();
  require(id);
}

void Leases::add(std::string_view id, const common::Digest& d) {
  // One statement, so a concurrent collection cannot delete the lease between a check and the
  // insert: the row is added only while the lease exists.
  db_.prepare(
         "INSERT OR IGNORE INTO lease_content (lease_id, digest) "
         "SELECT id, ? FROM leases WHERE id = ?")
      .bind(1, d.str())
      .bind(2, id)
      .run();
  if (db_.changes() == 0) {
    auto st = db_.prepare("SELECT 1 FROM leases WHERE id = ?");
    st.bind(1, id);
    if (!st.step()) {
      throw Error(ErrorKind::kNotFound,
                  "lease " + std::string(id) + " has expired or was released");
    }
  }
}

void Leases::release(std::string_view id) {
  db_.prepare("DELETE FROM leases WHERE id = ?").bind(1, id).run();
}

std::vector<Lease> Leases::active(int64_t t) {
  std::vector<Lease> out;
  auto st = db_.prepare(
      "SELECT id, label, created_at, expires_at FROM leases WHERE expires_at > ? "
      "ORDER BY created_at, id");
  st.bind(1, t);
  while (st.step()) {
    out.push_back(Lease{st.column_text(0), st.column_text(1), st.column_int(2), st.column_int(3)});
  }
  return out;
}

std::vector<common::Digest> Leases::held(int64_t t) {
  std::vector<common::Digest> out;
  auto st = db_.prepare(
      "SELECT DISTINCT c.digest FROM lease_content c JOIN leases l ON l.id = c.lease_id "
      "WHERE l.expires_at > ? ORDER BY c.digest");
  st.bind(1, t);
  while (st.step()) out.push_back(common::Digest::parse(st.column_text(0)));
  return out;
}

int64_t Leases::expire(int64_t t) {
  db_.prepare("DELETE FROM leases WHERE expires_at <= ?").bind(1, t).run();
  return db_.changes();
}

std::vector<std::string> Leases::release_dead_owners() {
  std::vector<std::string> dead;
  auto st =
      db_.prepare("SELECT id, owner_pid, owner_start FROM leases WHERE owner_pid IS NOT NULL");
  while (st.step()) {
    common::ProcessOwner owner{st.column_int(1), st.is_null(2) ? 0 : st.column_int(2)};
    if (!owner.alive()) dead.push_back(st.column_text(0));
  }
  for (const auto& id : dead) release(id);
  return dead;
}

LeaseGuard::LeaseGuard(Database& db, std::chrono::seconds ttl, std::string_view label)
    : db_(&db), lease_(Leases(db).create(ttl, label)) {}

LeaseGuard::LeaseGuard(LeaseGuard&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), lease_(std::move(other.lease_)) {}

LeaseGuard::~LeaseGuard() {
  if (!db_) return;
  try {
    Leases(*db_).release(lease_.id);
  } catch (const std::exception& e) {
    common::log::warn("releasing lease " + lease_.id + ": " + e.what());
  }
}

}  // namespace mybuild::snapshot
