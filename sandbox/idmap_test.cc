#include "sandbox/idmap.h"

#include <gtest/gtest.h>

#include "common/io.h"
#include "common/temp_dir.h"
#include "sandbox/rootless.h"

namespace mybuild::sandbox {
namespace {

TEST(Subid, RangesByNameOrUidInFileOrder) {
  std::string text =
      "# comment\n"
      "alice:100000:65536\n"
      "bob:165536:65536\n"
      "\n"
      "1000:300000:10\n"
      "alice:500000:5";  // no final newline
  EXPECT_EQ(parse_subid(text, "alice", 1000),
            (std::vector<IdRange>{{100000, 65536}, {300000, 10}, {500000, 5}}));
  EXPECT_EQ(parse_subid(text, "bob", 1001), (std::vector<IdRange>{{165536, 65536}}));
  EXPECT_TRUE(parse_subid(text, "carol", 1002).empty());
}

TEST(Subid, MalformedLinesAreSkipped) {
  std::string text =
      "alice\n"
      "alice:1\n"
      "alice:x:10\n"
      "alice:10:\n"
      "alice:10:0\n"
      "alice:-1:10\n"
      "alice:4294967000:1000\n"  // wraps past 2^32
      "alice:99999999999:1\n"    // not a 32-bit number
      "alice:10:20:30\n"
      "alicex:1:1\n"
      ":1:1\n"
      "alice:200:300\n";
  EXPECT_EQ(parse_subid(text, "alice", 7), (std::vector<IdRange>{{200, 300}}));
}

TEST(Subid, MissingFileHasNoRanges) {
  EXPECT_TRUE(read_subid("/nonexistent/subuid", "root", 0).empty());
  common::TempDir dir("mybuild-idmap-");
  common::write_file_atomic(dir.path() / "subuid", "me:1000:2000\n");
  EXPECT_EQ(read_subid((dir.path() / "subuid").string(), "me", 5),
            (std::vector<IdRange>{{1000, 2000}}));
}

TEST(IdMap, CallerIsRootThenRangesBackToBack) {
  auto m = rootless_mappings(1001, {{300000, 65536}, {500000, 10}});
  EXPECT_EQ(m, (std::vector<IdMapping>{{0, 1001, 1}, {1, 300000, 65536}, {65537, 500000, 10}}));
  EXPECT_EQ(mapped_count(m), 65547u);
  EXPECT_TRUE(is_mapped(m, 0));
  EXPECT_TRUE(is_mapped(m, 65536));
  EXPECT_TRUE(is_mapped(m, 65546));
  EXPECT_FALSE(is_mapped(m, 65547));
}

TEST(IdMap, NoRangesMapsOnlyTheCaller) {
  auto m = rootless_mappings(1001, {});
  EXPECT_EQ(m, (std::vector<IdMapping>{{0, 1001, 1}}));
  EXPECT_FALSE(is_mapped(m, 1));
}

TEST(IdMap, AtMostTheKernelsLineLimit) {
  std::vector<IdRange> many;
  for (uint32_t i = 0; i < 1000; ++i) many.push_back({100000 + i * 10, 10});
  EXPECT_EQ(rootless_mappings(5, many).size(), 340u);
  // Ranges that would push inside ids past 2^32 stop the list.
  auto big = rootless_mappings(5, {{1, 4000000000u}, {10, 4000000000u}});
  EXPECT_EQ(big.size(), 2u);
}

TEST(IdMap, FixNamesTheUser) {
  EXPECT_EQ(subid_fix("alice"),
            "usermod --add-subuids 100000-165535 --add-subgids 100000-165535 alice");
}

TEST(Rootless, PlanWarnsWithTheFixWhenTheUserHasNoRange) {
  common::TempDir dir("mybuild-idmap-");
  common::write_file_atomic(dir.path() / "subuid", "someone-else:100000:65536\n");
  common::write_file_atomic(dir.path() / "subgid", "");
  RootlessPlan plan =
      plan_rootless((dir.path() / "subuid").string(), (dir.path() / "subgid").string());
  ASSERT_EQ(plan.warnings.size(), 1u);
  EXPECT_NE(plan.warnings[0].find(subid_fix(plan.user)), std::string::npos) << plan.warnings[0];
  EXPECT_EQ(plan.uids.size(), 1u);
  EXPECT_EQ(plan.gids.size(), 1u);
}

TEST(Rootless, InitialNamespaceIsNotAUserNamespace) {
  // Tests run in the host's namespaces (the rootless suite enters its own in main()).
  if (in_user_namespace()) GTEST_SKIP() << "this test process runs in a user namespace";
  EXPECT_FALSE(inside_rootless());
}

}  // namespace
}  // namespace mybuild::sandbox
