#include "snapshot/database.h"

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <system_error>
#include <thread>
#include <utility>

#include "common/error.h"
#include "common/log.h"

namespace mybuild::snapshot {
namespace {

using common::Error;
using common::ErrorKind;

[[noreturn]] void throw_sqlite(sqlite3* db, std::string_view what, std::string_view subject) {
  std::string msg = std::string(what) + "(" + std::string(subject) + "): ";
  msg += db ? sqlite3_errmsg(db) : "out of memory";
  throw Error(ErrorKind::kResource, std::move(msg));
}

// Statements are short; an error names the start of the SQL, enough to find it in the source.
std::string sql_excerpt(std::string_view sql) {
  constexpr size_t kMax = 60;
  return std::string(sql.substr(0, kMax)) + (sql.size() > kMax ? "..." : "");
}

}  // namespace

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::check_bind(int rc, int index) {
  if (rc != SQLITE_OK) throw_sqlite(db_, "sqlite3_bind", "parameter " + std::to_string(index));
}

Statement& Statement::bind(int index, int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  check_bind(
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      index);
  return *this;
}

Statement& Statement::bind(int index, std::optional<std::string_view> text_or_null) {
  return text_or_null ? bind(index, *text_or_null) : bind_null(index);
}

Statement& Statement::bind_null(int index) {
  check_bind(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw_sqlite(db_, "sqlite3_step", sql_excerpt(sqlite3_sql(stmt_)));
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() { sqlite3_reset(stmt_); }

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t Statement::column_int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::column_text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  if (!text) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

Database::Database(const std::filesystem::path& file, std::chrono::milliseconds busy_timeout)
    : path_(file) {
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) {
    throw Error(ErrorKind::kResource,
                "mkdir(" + file.parent_path().string() + "): " + ec.message());
  }
  // NOMUTEX: a connection is used by one thread at a time (see the header), so SQLite's own
  // per-connection mutex would only cost time.
  int rc =
      sqlite3_open_v2(file.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg =
        "sqlite3_open(" + file.string() + "): " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw Error(ErrorKind::kResource, std::move(msg));
  }
  try {
    sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout.count()));
    // WAL: readers do not block the writer and a crash leaves the last committed state.
    // synchronous=NORMAL is durable in WAL mode except for the last transactions before a
    // power loss, never corrupt (sqlite.org/pragma.html#pragma_synchronous).
    // Switching a new database to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY
    // at once (no busy handler) when another process opens the same new file at that moment:
    // retry within the busy timeout.
    auto deadline = std::chrono::steady_clock::now() + busy_timeout;
    for (;;) {
      int prc = sqlite3_exec(db_, "PRAGMA journal_mode=WAL;", nullptr, nullptr, nullptr);
      if (prc == SQLITE_OK) break;
      if ((prc != SQLITE_BUSY && prc != SQLITE_LOCKED) ||
          std::chrono::steady_clock::now() > deadline) {
        exec("PRAGMA journal_mode=WAL;");  // throws with SQLite's message
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    keep_wal_on_close();
    exec(
        "CREATE TABLE IF NOT EXISTS schema_versions ("
        " component TEXT PRIMARY KEY, version INTEGER NOT NULL);");
    // Setting user_version writes the header page even when the value is the same: a WAL
    // created, synced and checkpointed again by every process that only reads (issue 17).
    bool current = false;
    {
      Statement uv = prepare("PRAGMA user_version");
      current = uv.step() && uv.column_int(0) == 1;
    }
    if (!current) exec("PRAGMA user_version=1;");
  } catch (Error& e) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
    e.add_context("opening " + file.string());
    throw;
  }
}

// With synchronous=NORMAL a commit never syncs; what did were the WAL's own life cycle, five
// fdatasyncs in every command that wrote a row (a no-op build's lease and the build cache's
// last_used, issue 17): the last connection's close checkpointed (WAL, directory, database)
// and deleted the WAL, so the next command's first write made a new one (its header and the
// directory synced again). Without the checkpoint on close the WAL simply stays: committed
// rows are read from it as before. Durability is what synchronous=NORMAL promised: a power
// loss may take the transactions since the last checkpoint (the kernel's writeback usually has
// them on disk within half a minute), never a torn database; a killed process loses nothing.
// The WAL is kept short at rest (kCheckpointFrames) because the first connection of every
// command reads all of it to rebuild its index: the close of a connection whose last commit
// left it longer, or that finds the file longer, checkpoints and truncates it (only when no
// other connection is busy), so a cold build's thousands of rows, or the WAL an older mybuild
// or a crash left, are not re-read by every later command. While a command runs, a commit
// checkpoints (passive) only at SQLite's own autocheckpoint limit, so a cold build syncs no
// more often than it did.
namespace {
constexpr int kCheckpointFrames = 64;                             // 256 KiB of 4 KiB pages
constexpr uintmax_t kCheckpointBytes = kCheckpointFrames * 4120;  // their frames in the file
constexpr int kAutoCheckpointFrames = 1000;                       // SQLite's default
}  // namespace

int Database::on_wal_commit(void* self, sqlite3* db, const char*, int frames) {
  static_cast<Database*>(self)->wal_frames_ = frames;
  if (frames >= kAutoCheckpointFrames) {
    sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  return SQLITE_OK;  // a checkpoint that could not finish is retried by the next commit
}

void Database::keep_wal_on_close() {
  if (sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr) != SQLITE_OK) {
    throw Error(ErrorKind::kResource, "sqlite3_db_config(SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, " +
                                          path_.string() + "): " + sqlite3_errmsg(db_));
  }
  sqlite3_wal_hook(db_, &Database::on_wal_commit, this);  // replaces the autocheckpoint
}

Database::~Database() {
  if (!db_) return;
  std::error_code ec;
  const uintmax_t wal_bytes = std::filesystem::file_size(path_.string() + "-wal", ec);
  if (wal_frames_ >= kCheckpointFrames || (!ec && wal_bytes > kCheckpointBytes)) {
    // No busy handler: a reader or writer in another process keeps the WAL as it is.
    sqlite3_busy_timeout(db_, 0);
    sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  }
  if (sqlite3_close_v2(db_) != SQLITE_OK) {
    common::log::warn("sqlite3_close(" + path_.string() + "): " + sqlite3_errmsg(db_));
  }
}

void Database::exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = "sqlite3_exec(" + sql_excerpt(sql) + "): " + (err ? err : "unknown error");
    sqlite3_free(err);
    throw Error(ErrorKind::kResource, std::move(msg));
  }
}

Statement Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    throw_sqlite(db_, "sqlite3_prepare", sql_excerpt(sql));
  }
  return Statement(db_, stmt);
}

int64_t Database::schema_version(std::string_view component) {
  auto st = prepare("SELECT version FROM schema_versions WHERE component = ?");
  st.bind(1, component);
  return st.step() ? st.column_int(0) : 0;
}

void Database::migrate(std::string_view component, std::span<const std::string_view> steps) {
  auto wanted = static_cast<int64_t>(steps.size());
  // The common case, up to date, needs no write lock (and works inside a caller's transaction).
  if (schema_version(component) == wanted) return;
  Transaction tx(*this);  // IMMEDIATE: two processes starting at once migrate one after another
  int64_t version = schema_version(component);
  if (version > wanted) {
    throw Error(ErrorKind::kResource, "metadata " + path_.string() + ": schema of '" +
                                          std::string(component) + "' is version " +
                                          std::to_string(version) + ", newer than this mybuild (" +
                                          std::to_string(wanted) + ")");
  }
  if (version == wanted) return;  // the transaction rolls back: nothing was written
  for (auto i = version; i < wanted; ++i) {
    try {
      exec(steps[static_cast<size_t>(i)]);
    } catch (Error& e) {
      e.add_context("migrating '" + std::string(component) + "' to version " +
                    std::to_string(i + 1));
      throw;
    }
  }
  prepare(
      "INSERT INTO schema_versions (component, version) VALUES (?, ?) "
      "ON CONFLICT(component) DO UPDATE SET version = excluded.version")
      .bind(1, component)
      .bind(2, wanted)
      .run();
  tx.commit();
}

int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

int64_t Database::changes() const { return sqlite3_changes64(db_); }

bool Database::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (done_) return;
  try {
    db_.exec("ROLLBACK");
  } catch (const std::exception& e) {
    common::log::warn(std::string("rollback: ") + e.what());
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace mybuild::snapshot
