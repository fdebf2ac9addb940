// The store's metadata database: one SQLite file, <root>/metadata.db, holding what is not OCI
// layout (tags and their history, leases, snapshot records, build cache records).
//
// Contract:
// - WAL mode and a busy timeout, so several mybuild processes share one root: readers never
//   block, writers queue for up to `busy_timeout` and then fail with kResource. The WAL stays
//   after the last close (no checkpoint, so no fsync, on close: database.cc, keep_wal_on_close).
// - Writes that must be atomic go in a Transaction (BEGIN IMMEDIATE: the write lock is taken at
//   the start, so a read-then-write never fails half way with SQLITE_BUSY). It rolls back unless
//   commit() was called, so an exception leaves the database as it was.
// - Each component owns its tables and migrates them with migrate("component", steps): steps
//   run in order, once, inside one transaction; the versions live in the table
//   schema_versions, and PRAGMA user_version records the version of that table itself.
// - Thread-safety: a Database is one connection and is NOT thread-safe. Open one per thread
//   (opening costs well under a millisecond) or serialise access yourself. Statements and
//   Transactions belong to the Database that made them and must not outlive it.
//
//   snapshot::Database db(root / "metadata.db");
//   db.migrate("tags", {{"CREATE TABLE tags (name TEXT PRIMARY KEY, digest TEXT NOT NULL)"}});
//   snapshot::Transaction tx(db);
//   db.prepare("INSERT INTO tags VALUES (?, ?)").bind(1, "app:v1").bind(2, d.str()).run();
//   tx.commit();
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace mybuild::snapshot {

class Database;

// Where a state root keeps its metadata database.
inline std::filesystem::path metadata_path(const std::filesystem::path& root) {
  return root / "metadata.db";
}

// One prepared statement. Parameters are 1-based, columns 0-based (SQLite's convention).
// Move-only; finalised on destruction.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const std::string& text) {
    return bind(index, std::string_view(text));
  }
  Statement& bind(int index, std::optional<std::string_view> text_or_null);
  Statement& bind_null(int index);

  // Advances to the next row: true when a row is ready, false when done. Throws kResource.
  bool step();
  // Steps to completion, for statements that return no rows.
  void run();
  // Makes the statement ready to step again (bindings are kept).
  void reset();

  bool is_null(int column) const;
  int64_t column_int(int column) const;
  std::string column_text(int column) const;

 private:
  friend class Database;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  void check_bind(int rc, int index);

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class Database {
 public:
  // Opens (creating if needed) the database file, its parent directory included.
  // Throws Error(kResource) naming the file.
  explicit Database(const std::filesystem::path& file,
                    std::chrono::milliseconds busy_timeout = std::chrono::seconds(30));
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs one or more statements that return no rows.
  void exec(std::string_view sql);
  Statement prepare(std::string_view sql);
  // Brings `component`'s tables up to date: runs steps[v..] where v is the component's stored
  // version, all in one transaction, and records the new version. Re-running is a no-op.
  // A database newer than this binary (v > steps.size()) is an error (kResource).
  void migrate(std::string_view component, std::span<const std::string_view> steps);
  void migrate(std::string_view component, std::initializer_list<std::string_view> steps) {
    migrate(component, std::span<const std::string_view>(steps.begin(), steps.size()));
  }
  int64_t schema_version(std::string_view component);

  int64_t last_insert_rowid() const;
  // Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t changes() const;
  bool in_transaction() const;

  const std::filesystem::path& path() const { return path_; }
  sqlite3* handle() const { return db_; }

 private:
  void keep_wal_on_close();
  static int on_wal_commit(void* self, sqlite3* db, const char* name, int frames);

  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
  int wal_frames_ = 0;  // frames in the WAL after this connection's last commit
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit() succeeded.
// Not nestable: SQLite has no nested BEGIN (use SAVEPOINT by hand if ever needed).
class Transaction {
 public:
  explicit Transaction(Database& db);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace mybuild::snapshot
