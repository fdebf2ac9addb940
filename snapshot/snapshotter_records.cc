#include "snapshot/snapshotter_records.h"

#include <unistd.h>

#include <chrono>

#include "common/error.h"
#include "common/io.h"
#include "common/process_owner.h"
#include "snapshot/database.h"

namespace mybuild::snapshot {
namespace {

using common::Error;
using common::ErrorKind;

constexpr std::string_view kColumns =
    "s.id, s.key, s.kind, s.parent_id, COALESCE(p.key, ''), s.created_ns, s.owner_pid, "
    "s.owner_start, s.bytes, s.inodes";
constexpr std::string_view kFrom = " FROM snapshots s LEFT JOIN snapshots p ON p.id = s.parent_id ";

SnapshotKind kind_from(const std::string& text) {
  if (text == "active") return SnapshotKind::kActive;
  if (text == "view") return SnapshotKind::kView;
  if (text == "committed") return SnapshotKind::kCommitted;
  throw Error(ErrorKind::kIntegrity, "snapshot record with unknown kind \"" + text + "\"");
}

std::optional<int64_t> optional_int(const Statement& st, int column) {
  if (st.is_null(column)) return std::nullopt;
  return st.column_int(column);
}

SnapshotRecord read_row(const Statement& st) {
  SnapshotRecord r;
  r.id = st.column_int(0);
  r.key = st.column_text(1);
  r.kind = kind_from(st.column_text(2));
  r.parent_id = optional_int(st, 3);
  r.parent_key = st.column_text(4);
  r.created_ns = st.column_int(5);
  r.owner_pid = optional_int(st, 6);
  r.owner_start = optional_int(st, 7);
  if (!st.is_null(8)) r.usage = TreeUsage{st.column_int(8), st.column_int(9)};
  return r;
}

std::string describe(std::string_view key) { return "snapshot \"" + std::string(key) + "\""; }

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

SnapshotInfo SnapshotRecord::info() const {
  return SnapshotInfo{
      .name = key,
      .parent = parent_key,
      .kind = kind,
      .created = std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(
              std::chrono::nanoseconds(created_ns))),
  };
}

std::string_view to_string(SnapshotKind kind) {
  switch (kind) {
    case SnapshotKind::kActive:
      return "active";
    case SnapshotKind::kView:
      return "view";
    case SnapshotKind::kCommitted:
      return "committed";
  }
  return "unknown";
}

// A zombie counts as gone (common/process_owner.h): a killed mybuild whose parent has not
// waited for it yet holds its snapshots no more than one that was reaped.
std::optional<int64_t> process_start_time(int64_t pid) { return common::process_start_time(pid); }

SnapshotRecords::SnapshotRecords(Database& db, std::string driver)
    : db_(db), driver_(std::move(driver)) {
  db_.migrate("snapshotter", {"CREATE TABLE snapshots ("
                              " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                              " driver TEXT NOT NULL,"
                              " key TEXT NOT NULL,"
                              " kind TEXT NOT NULL CHECK (kind IN ('active', 'view', 'committed')),"
                              " parent_id INTEGER REFERENCES snapshots(id),"
                              " created_ns INTEGER NOT NULL,"
                              " owner_pid INTEGER,"
                              " owner_start INTEGER,"
                              " bytes INTEGER,"
                              " inodes INTEGER,"
                              " UNIQUE (driver, key));"
                              "CREATE INDEX snapshots_parent ON snapshots(parent_id);"});
}

std::optional<SnapshotRecord> SnapshotRecords::find(std::string_view key) {
  auto st = db_.prepare(std::string("SELECT ") + std::string(kColumns) + std::string(kFrom) +
                        "WHERE s.driver = ? AND s.key = ?");
  st.bind(1, driver_).bind(2, key);
  if (!st.step()) return std::nullopt;
  return read_row(st);
}

std::optional<SnapshotRecord> SnapshotRecords::find_id(int64_t id) {
  auto st = db_.prepare(std::string("SELECT ") + std::string(kColumns) + std::string(kFrom) +
                        "WHERE s.driver = ? AND s.id = ?");
  st.bind(1, driver_).bind(2, id);
  if (!st.step()) return std::nullopt;
  return read_row(st);
}

SnapshotRecord SnapshotRecords::insert(std::string_view key, SnapshotKind kind,
                                       std::string_view parent) {
  if (key.empty()) throw Error(ErrorKind::kInternal, "snapshot key must not be empty");
  Transaction tx(db_);
  if (find(key)) throw Error(ErrorKind::kInternal, describe(key) + " already exists");
  std::optional<int64_t> parent_id;
  if (!parent.empty()) {
    auto p = find(parent);
    if (!p) throw Error(ErrorKind::kNotFound, "parent " + describe(parent) + " does not exist");
    if (p->kind != SnapshotKind::kCommitted) {
      throw Error(ErrorKind::kInternal, "parent " + describe(parent) + " is not committed");
    }
    parent_id = p->id;
  }
  int64_t pid = ::getpid();
  auto st = db_.prepare(
      "INSERT INTO snapshots (driver, key, kind, parent_id, created_ns, owner_pid, owner_start)"
      " VALUES (?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, driver_).bind(2, key).bind(3, to_string(kind));
  if (parent_id) {
    st.bind(4, *parent_id);
  } else {
    st.bind_null(4);
  }
  st.bind(5, now_ns()).bind(6, pid).bind(7, process_start_time(pid).value_or(0)).run();
  int64_t id = db_.last_insert_rowid();
  tx.commit();
  return *find_id(id);
}

void SnapshotRecords::commit(std::string_view key, std::string_view name, const TreeUsage& usage) {
  if (name.empty()) throw Error(ErrorKind::kInternal, "snapshot name must not be empty");
  Transaction tx(db_);
  auto r = find(key);
  if (!r) throw Error(ErrorKind::kNotFound, describe(key) + " does not exist");
  if (r->kind != SnapshotKind::kActive) {
    throw Error(ErrorKind::kInternal, "cannot commit " + describe(key) + ": it is " +
                                          std::string(to_string(r->kind)) + ", not active");
  }
  if (find(name)) throw Error(ErrorKind::kInternal, describe(name) + " already exists");
  db_.prepare(
         "UPDATE snapshots SET key = ?, kind = 'committed', owner_pid = NULL, owner_start = NULL,"
         " bytes = ?, inodes = ? WHERE id = ?")
      .bind(1, name)
      .bind(2, usage.bytes)
      .bind(3, usage.inodes)
      .bind(4, r->id)
      .run();
  tx.commit();
}

SnapshotRecord SnapshotRecords::erase(std::string_view key) {
  Transaction tx(db_);
  auto r = find(key);
  if (!r) throw Error(ErrorKind::kNotFound, describe(key) + " does not exist");
  auto children = db_.prepare("SELECT key FROM snapshots WHERE parent_id = ? LIMIT 1");
  children.bind(1, r->id);
  if (children.step()) {
    throw Error(ErrorKind::kInternal, "cannot remove " + describe(key) + ": " +
                                          describe(children.column_text(0)) + " is its child");
  }
  db_.prepare("DELETE FROM snapshots WHERE id = ?").bind(1, r->id).run();
  tx.commit();
  return *r;
}

void SnapshotRecords::erase_id(int64_t id) {
  db_.prepare("DELETE FROM snapshots WHERE driver = ? AND id = ?")
      .bind(1, driver_)
      .bind(2, id)
      .run();
}

std::vector<SnapshotRecord> SnapshotRecords::parents(const SnapshotRecord& record) {
  std::vector<SnapshotRecord> chain;
  std::optional<int64_t> next = record.parent_id;
  while (next) {
    auto r = find_id(*next);
    if (!r) {
      throw Error(ErrorKind::kIntegrity, "snapshot record " + std::to_string(*next) +
                                             ", parent in the chain of " + describe(record.key) +
                                             ", is missing");
    }
    next = r->parent_id;
    chain.push_back(std::move(*r));
  }
  return chain;
}

std::vector<SnapshotRecord> SnapshotRecords::list() {
  auto st = db_.prepare(std::string("SELECT ") + std::string(kColumns) + std::string(kFrom) +
                        "WHERE s.driver = ? ORDER BY s.id");
  st.bind(1, driver_);
  std::vector<SnapshotRecord> out;
  while (st.step()) out.push_back(read_row(st));
  return out;
}

std::vector<SnapshotRecord> SnapshotRecords::abandoned() {
  std::vector<SnapshotRecord> out;
  for (auto& r : list()) {
    if (r.kind == SnapshotKind::kCommitted || !r.owner_pid) continue;
    auto start = process_start_time(*r.owner_pid);
    if (!start || (r.owner_start && *r.owner_start != 0 && *start != *r.owner_start)) {
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace mybuild::snapshot
