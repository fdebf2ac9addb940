#include "builder/run/disk_full.h"

#include <gtest/gtest.h>

namespace mybuild::builder {
namespace {

TEST(FullDiskNote, NamesTheRootAndTheCauseOnlyWhenFull) {
  auto note = full_disk_note("/var/lib/mybuild", 8192);
  ASSERT_TRUE(note);
  EXPECT_NE(note->find("/var/lib/mybuild"), std::string::npos) << *note;
  EXPECT_NE(note->find("No space left on device"), std::string::npos) << *note;
  EXPECT_NE(note->find("8 KiB free"), std::string::npos) << *note;
  EXPECT_FALSE(full_disk_note("/var/lib/mybuild", kFullDiskSlack));
  EXPECT_FALSE(full_disk_note("/var/lib/mybuild", uint64_t{1} << 40));
}

TEST(FullDiskNote, FreeBytesOfARealFileSystem) {
  EXPECT_TRUE(free_bytes("/"));
  EXPECT_FALSE(free_bytes("/nonexistent/for/sure"));
}

}  // namespace
}  // namespace mybuild::builder
