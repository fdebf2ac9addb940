#include "image/store_check.h"

#include <gtest/gtest.h>

#include <string>

#include "common/io.h"
#include "common/temp_dir.h"
#include "snapshot/database.h"

namespace mybuild::image {
namespace {

// A WAL of SQLite's layout with 4 KiB pages: a 32-byte header, `frames` whole frames (a 24-byte
// frame header and a page each), then `tail` stray bytes.
std::string wal_bytes(int frames, size_t tail) {
  std::string wal(32, '\0');
  wal[0] = '\x37', wal[1] = '\x7f', wal[2] = '\x06', wal[3] = '\x82';  // magic
  wal[10] = '\x10';                                                    // page size 4096
  wal += std::string(static_cast<size_t>(frames) * (24 + 4096), 'f');
  return wal + std::string(tail, 't');
}

CheckReport check_wal_of(const std::string& bytes) {
  common::TempDir root;
  common::write_file_atomic(snapshot::metadata_path(root.path()).string() + "-wal", bytes);
  CheckReport report;
  check_wal(root.path(), report);
  return report;
}

TEST(CheckWal, WholeFramesAndALoneFrameHeaderAreNotProblems) {
  EXPECT_TRUE(check_wal_of(wal_bytes(3, 0)).clean());
  // SIGKILL between the two writes of a frame: its header is there, its page is not.
  EXPECT_TRUE(check_wal_of(wal_bytes(3, 24)).clean());
}

TEST(CheckWal, AnyOtherTailIsACutWal) {
  for (size_t tail : {1u, 23u, 25u, 24u + 4000u}) {
    CheckReport report = check_wal_of(wal_bytes(3, tail));
    ASSERT_EQ(report.problems.size(), 1u) << tail;
    EXPECT_NE(report.problems[0].what.find("is cut short"), std::string::npos);
  }
  EXPECT_FALSE(check_wal_of(std::string(20, 'x')).clean()) << "shorter than its header";
}

}  // namespace
}  // namespace mybuild::image
