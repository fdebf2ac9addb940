// `mybuild check [--repair]` on damaged stores: each kind of damage is found (exit 1, named),
// --repair removes it, and the store then checks clean and builds again.
#include <signal.h>
#include <unistd.h>

#include <fstream>

#include "tests/crash/crash_fixture.h"

namespace mybuild::crash_testing {
namespace {

class CheckTest : public CrashTest {
 protected:
  void SetUp() override {
    CrashTest::SetUp();
    if (IsSkipped()) return;
    dockerfile("FROM busybox\nRUN echo made > /made\n");
    ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  }

  // check finds something naming `expected`, --repair fixes it, and then all is well.
  // `settled_by_check`: the damage is gone once the plain check opened the store (a cut WAL:
  // opening the database keeps its last whole transaction), so --repair has nothing left.
  void expect_found_and_repaired(const std::string& expected, bool settled_by_check = false) {
    Ran found = mybuild({"check"});
    EXPECT_EQ(found.code, 1) << found.both();
    EXPECT_NE(found.out.find("problem: "), std::string::npos) << found.both();
    EXPECT_NE(found.out.find(expected), std::string::npos) << found.both();
    Ran repaired = mybuild({"check", "--repair"});
    EXPECT_EQ(repaired.code, 0) << repaired.both();
    if (!settled_by_check) {
      EXPECT_NE(repaired.out.find("repaired: "), std::string::npos) << repaired.both();
    }
    EXPECT_EQ(check_failure(), "");
    import_base("busybox:latest");  // in case the repair took the base's tag
    EXPECT_EQ(build({"-t", "app:v1"}).failure(), "");
    EXPECT_EQ(check_failure(), "");
  }
};

TEST_F(CheckTest, AFreshStoreIsClean) {
  Ran r = mybuild({"check"});
  EXPECT_EQ(r.code, 0) << r.both();
  EXPECT_NE(r.out.find("clean"), std::string::npos) << r.out;
}

TEST_F(CheckTest, FindsACorruptBlob) {
  auto img = image("app:v1");
  ASSERT_GE(img.layers.size(), 2u);
  std::string digest = img.layers.back().digest;  // the RUN step's layer
  fs::path blob = layout() / "blobs" / "sha256" / digest.substr(7);
  ::chmod(blob.c_str(), 0644);
  { std::ofstream(blob, std::ios::binary | std::ios::in | std::ios::out) << "XX"; }
  expect_found_and_repaired("blob " + digest);
}

TEST_F(CheckTest, FindsADeletedSnapshotDirectory) {
  // The newest committed snapshot: the RUN step's (no child depends on it).
  int64_t newest = -1;
  for (const auto& e : fs::directory_iterator(root() / "snapshots" / "overlay")) {
    newest = std::max<int64_t>(newest, std::stoll(e.path().filename().string()));
  }
  ASSERT_GE(newest, 0);
  fs::path dir = root() / "snapshots" / "overlay" / std::to_string(newest);
  fs::remove_all(dir);
  expect_found_and_repaired("its directory " + dir.string() + "/fs is missing");
}

// A killed mybuild leaves its WAL (as a clean close now does too); cutting that WAL short loses
// its last transactions.
TEST_F(CheckTest, FindsATruncatedWal) {
  dockerfile("FROM busybox\nRUN sleep 100\n");
  Background b = start({"build", "--progress", "plain", ctx().string()});
  ASSERT_TRUE(wait_for_text(b.err, "RUN sleep 100", 30)) << read_file(b.err);
  ::kill(b.pid, SIGKILL);
  wait_process(b);
  fs::path wal = root() / "metadata.db-wal";
  ASSERT_TRUE(fs::exists(wal)) << "the killed build left no WAL";
  auto size = fs::file_size(wal);
  ASSERT_GT(size, 1000u);
  fs::resize_file(wal, size - 100);
  dockerfile("FROM busybox\nRUN echo made > /made\n");
  expect_found_and_repaired("metadata.db-wal is cut short", /*settled_by_check=*/true);
  EXPECT_EQ(leaks({b.pid}), "");
}

}  // namespace
}  // namespace mybuild::crash_testing
