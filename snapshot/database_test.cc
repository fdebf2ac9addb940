#include "snapshot/database.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <thread>

#include "common/error.h"
#include "common/temp_dir.h"

namespace mybuild::snapshot {
namespace {

using common::Error;
using common::ErrorKind;

int64_t count_rows(Database& db, std::string_view table) {
  auto st = db.prepare("SELECT COUNT(*) FROM " + std::string(table));
  EXPECT_TRUE(st.step());
  return st.column_int(0);
}

TEST(Database, OpensInWalModeAndCreatesParents) {
  common::TempDir dir;
  Database db(dir.path() / "a" / "b" / "metadata.db");
  auto st = db.prepare("PRAGMA journal_mode");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_text(0), "wal");
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "a" / "b" / "metadata.db"));
}

// A process that only reads must not write: every write makes SQLite create, sync and later
// checkpoint the WAL (three fdatasyncs on every no-op build, issue 17).
TEST(Database, ReopeningAnUpToDateDatabaseWritesNothing) {
  common::TempDir dir;
  const auto file = dir.path() / "m.db";
  {
    Database db(file);
    db.migrate("t", {"CREATE TABLE t (k TEXT)"});
  }
  const auto wal = dir.path() / "m.db-wal";
  ASSERT_TRUE(std::filesystem::exists(wal));  // the last close leaves it: no checkpoint, no fsync
  const auto before = std::filesystem::file_size(wal);
  Database db(file);
  db.migrate("t", {"CREATE TABLE t (k TEXT)"});
  auto st = db.prepare("PRAGMA user_version");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_int(0), 1);
  EXPECT_EQ(std::filesystem::file_size(wal), before);
}

// What the last close leaves in the WAL is the database: a new connection (the next command)
// reads it, and so does one after a checkpoint has moved it into the main file.
TEST(Database, RowsInTheKeptWalAreReadByTheNextOpen) {
  common::TempDir dir;
  const auto file = dir.path() / "m.db";
  {
    Database db(file);
    db.exec("CREATE TABLE t (k TEXT)");
    db.prepare("INSERT INTO t VALUES ('kept')").run();
  }
  ASSERT_GT(std::filesystem::file_size(dir.path() / "m.db-wal"), 0u);
  for (const char* after : {"", "PRAGMA wal_checkpoint(TRUNCATE);"}) {
    Database db(file);
    db.exec(after);
    auto st = db.prepare("SELECT k FROM t");
    ASSERT_TRUE(st.step()) << after;
    EXPECT_EQ(st.column_text(0), "kept");
  }
}

// <dir>/m.db with an empty table t (v TEXT), closed.
std::filesystem::path make_table_t(const common::TempDir& dir) {
  const auto file = dir.path() / "m.db";
  Database db(file);
  db.exec("CREATE TABLE t (v TEXT)");
  return file;
}

// 200 rows of 4000 bytes in one transaction: a WAL of about 200 frames.
void fill_wal_with_rows(Database& db) {
  Transaction tx(db);
  auto insert = db.prepare("INSERT INTO t VALUES (?)");
  for (int i = 0; i < 200; ++i) {
    insert.reset();
    insert.bind(1, std::string(4000, static_cast<char>('a' + i % 26))).run();
  }
  tx.commit();
}

// The next command re-reads the whole WAL to open the database: a big write does not leave it
// behind (database.cc, kCheckpointFrames), a small one does (no fsync).
TEST(Database, ABigWriteLeavesNoLongWalBehind) {
  common::TempDir dir;
  const auto file = make_table_t(dir);
  const auto wal = dir.path() / "m.db-wal";
  const auto small = std::filesystem::file_size(wal);
  EXPECT_GT(small, 0u);
  {
    Database db(file);
    fill_wal_with_rows(db);
    EXPECT_GT(std::filesystem::file_size(wal), 64u * 4096);
  }
  EXPECT_EQ(std::filesystem::file_size(wal), 0u);
  Database db(file);
  auto st = db.prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_int(0), 200);
}

// A long WAL that a writer could not end (another process was reading) is ended by the next
// close that can, a reader's too.
TEST(Database, ALongWalLeftBehindIsEndedByTheNextClose) {
  common::TempDir dir;
  const auto file = make_table_t(dir);
  const auto wal = dir.path() / "m.db-wal";
  auto reader = std::make_unique<Database>(file);
  reader->exec("BEGIN");
  {
    auto st = reader->prepare("SELECT count(*) FROM t");
    ASSERT_TRUE(st.step());  // the read transaction now holds its snapshot
  }
  {
    Database writer(file);
    fill_wal_with_rows(writer);
  }  // its truncating checkpoint was refused at once (no busy wait): the reader reads
  EXPECT_GT(std::filesystem::file_size(wal), 64u * 4096);
  reader->exec("COMMIT");
  reader.reset();
  EXPECT_EQ(std::filesystem::file_size(wal), 0u);
}

TEST(Database, BindStepAndColumns) {
  common::TempDir dir;
  Database db(dir.path() / "m.db");
  db.exec("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER, n TEXT)");
  db.prepare("INSERT INTO t VALUES (?, ?, ?)")
      .bind(1, "key")
      .bind(2, int64_t{1} << 40)
      .bind(3, std::optional<std::string_view>())
      .run();
  EXPECT_EQ(db.changes(), 1);
  auto st = db.prepare("SELECT k, v, n FROM t");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_text(0), "key");
  EXPECT_EQ(st.column_int(1), int64_t{1} << 40);
  EXPECT_TRUE(st.is_null(2));
  EXPECT_FALSE(st.step());
}

TEST(Database, BadSqlNamesTheStatement) {
  common::TempDir dir;
  Database db(dir.path() / "m.db");
  try {
    db.prepare("SELEC nonsense");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kResource);
    EXPECT_NE(e.message().find("SELEC nonsense"), std::string::npos) << e.message();
  }
}

TEST(Database, TransactionRollsBackUnlessCommitted) {
  common::TempDir dir;
  Database db(dir.path() / "m.db");
  db.exec("CREATE TABLE t (v INTEGER)");
  {
    Transaction tx(db);
    db.exec("INSERT INTO t VALUES (1)");
    EXPECT_TRUE(db.in_transaction());
  }
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(count_rows(db, "t"), 0);
  EXPECT_THROW(
      {
        Transaction tx(db);
        db.exec("INSERT INTO t VALUES (2)");
        throw std::runtime_error("boom");
      },
      std::runtime_error);
  EXPECT_EQ(count_rows(db, "t"), 0);
  {
    Transaction tx(db);
    db.exec("INSERT INTO t VALUES (3)");
    tx.commit();
  }
  EXPECT_EQ(count_rows(db, "t"), 1);
}

TEST(Database, MigrationsRunOncePerComponent) {
  common::TempDir dir;
  auto path = dir.path() / "m.db";
  {
    Database db(path);
    db.migrate("a", {"CREATE TABLE a1 (x)"});
    db.migrate("b", {"CREATE TABLE b1 (x)", "CREATE TABLE b2 (x)"});
    EXPECT_EQ(db.schema_version("a"), 1);
    EXPECT_EQ(db.schema_version("b"), 2);
  }
  Database db(path);
  // Re-running step 1 would fail ("table a1 already exists"), so this proves it is skipped.
  db.migrate("a", {"CREATE TABLE a1 (x)", "CREATE TABLE a2 (x)"});
  EXPECT_EQ(db.schema_version("a"), 2);
  EXPECT_EQ(count_rows(db, "a2"), 0);
  // A failing step leaves the version and earlier steps of that run untouched.
  EXPECT_THROW(db.migrate("c", {"CREATE TABLE c1 (x)", "CREATE TABLE broken ("}), Error);
  EXPECT_EQ(db.schema_version("c"), 0);
  EXPECT_THROW(db.prepare("SELECT * FROM c1"), Error);
  // A newer database than the code is refused.
  EXPECT_THROW(db.migrate("b", {"CREATE TABLE b1 (x)"}), Error);
}

// Two connections (as two processes would have) writing at once: BEGIN IMMEDIATE plus the busy
// timeout serialise them; no increment is lost.
TEST(Database, ConcurrentWritersFromThreadsAndProcesses) {
  common::TempDir dir;
  auto path = dir.path() / "m.db";
  {
    Database db(path);
    db.exec("CREATE TABLE counter (v INTEGER); INSERT INTO counter VALUES (0);");
  }
  auto bump = [&](int times) {
    Database db(path);
    for (int i = 0; i < times; ++i) {
      Transaction tx(db);
      auto st = db.prepare("SELECT v FROM counter");
      st.step();
      int64_t v = st.column_int(0);
      db.prepare("UPDATE counter SET v = ?").bind(1, v + 1).run();
      tx.commit();
    }
  };
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      bump(100);
    } catch (...) {
      ::_exit(1);
    }
    ::_exit(0);
  }
  std::thread t1(bump, 100), t2(bump, 100);
  t1.join();
  t2.join();
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  Database db(path);
  auto st = db.prepare("SELECT v FROM counter");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_int(0), 300);
}

}  // namespace
}  // namespace mybuild::snapshot

namespace mybuild::snapshot {
namespace {

// Several processes opening the same new database at once (two builds on a fresh root): the
// switch to WAL must wait for the others, not fail with "database is locked".
TEST(Database, ManyProcessesCreateTheSameFileAtOnce) {
  for (int round = 0; round < 5; ++round) {
    common::TempDir dir("db-race-");
    std::vector<pid_t> children;
    for (int i = 0; i < 6; ++i) {
      pid_t pid = ::fork();
      if (pid == 0) {
        try {
          Database db(dir.path() / "new.db");
          db.migrate("race", {"CREATE TABLE t (x INTEGER)"});
          ::_exit(0);
        } catch (...) {
          ::_exit(1);
        }
      }
      children.push_back(pid);
    }
    for (pid_t pid : children) {
      int status = 0;
      ::waitpid(pid, &status, 0);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "round " << round;
    }
  }
}

}  // namespace
}  // namespace mybuild::snapshot
