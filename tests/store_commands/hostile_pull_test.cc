// The mybuild binary against a registry that lies (tests/registry/fault_proxy.py in front of a
// real docker-registry): `mybuild pull` and `mybuild build` FROM end in a clear error naming
// what failed, or in a retry that succeeds, and leave nothing half-written in the state root:
// ingest/ is empty, every blob's name is its digest, and nothing is tagged. A push whose
// streamed upload a proxy refuses still lands, from the store.
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "common/digest.h"
#include "tests/store_commands/fixture.h"

namespace mybuild::store_commands_testing {
namespace {

// Every file under blobs/sha256 is named by the sha256 of its bytes; ingest/ holds nothing.
std::string store_damage(const fs::path& root) {
  std::string bad;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root / "ingest", ec)) {
    bad += "left in ingest: " + e.path().string() + "\n";
  }
  for (const auto& e : fs::directory_iterator(root / "oci/blobs/sha256", ec)) {
    auto got = std::string(common::Digest::sha256_of(common::read_file(e.path())).hex());
    if (got != e.path().filename().string()) bad += "torn blob: " + e.path().string() + "\n";
  }
  return bad;
}

class HostilePull : public WithRegistry {
 protected:
  void SetUp() override {
    WithRegistry::SetUp();
    if (IsSkipped()) return;
    rules("[]");
    proxy_ = std::make_unique<registry::testing::ScriptServer>(
        "fault_proxy.py", std::vector<std::string>{std::to_string(server_->port()),
                                                   (work_.path() / "rules.json").string(),
                                                   (work_.path() / "proxy.log").string()});
    // A config with a short low-speed window, so that a slow-loris fails in seconds.
    fs::create_directories(work_.path() / "config");
    common::write_file_atomic(work_.path() / "config/config.json",
                              R"({"low-speed-limit": 100, "low-speed-time": 2})");
    import(a_, "busybox:latest");
    name_ = proxy_->domain() + "/hostile/bb:1";
    Ran push = mybuild(a_, {"push", "busybox", server_->domain() + "/hostile/bb:1"});
    ASSERT_EQ(push.code, 0) << push.out;
  }
  void rules(const std::string& rules_json) {
    common::write_file_atomic(work_.path() / "rules.json", rules_json);
  }
  Ran mybuild(const fs::path& store, std::vector<std::string> args) {
    args.insert(args.begin(),
                {"/usr/bin/env", "MYBUILD_CONFIG=" + (work_.path() / "config").string(),
                 MYBUILD_BINARY, "--root", store.string()});
    Ran r{0, {}};
    r.code = registry::testing::run_command(args, &r.out);
    return r;
  }
  // The pull fails, says `why`, and leaves the store clean and untagged.
  void expect_clean_failure(const std::string& what, const std::string& why) {
    Ran r = mybuild(b_, {"pull", name_});
    EXPECT_EQ(r.code, 1) << what << "\n" << r.out;
    EXPECT_TRUE(contains(r.out, why)) << what << "\n" << r.out;
    EXPECT_TRUE(contains(r.out, "pulling " + name_)) << what << "\n" << r.out;
    EXPECT_EQ(store_damage(b_), "") << what;
    EXPECT_FALSE(contains(mybuild(b_, {"images"}).out, "hostile/bb")) << what;
  }
  fs::path a_ = work_.path() / "a";
  fs::path b_ = work_.path() / "b";
  std::string name_;
  std::unique_ptr<registry::testing::ScriptServer> proxy_;
};

TEST_F(HostilePull, EachLieIsACleanFailure) {
  rules(R"([{"method": "GET", "path": "/blobs/", "action": "corrupt", "count": 999}])");
  expect_clean_failure("corrupt blob", "expected sha256:");
  rules(R"([{"method": "GET", "path": "/blobs/", "action": "truncate", "count": 999}])");
  expect_clean_failure("short blob", "bytes");
  rules(R"([{"method": "GET", "path": "/blobs/", "action": "endless", "count": 999}])");
  expect_clean_failure("endless blob", "bytes its descriptor says");
  rules(R"([{"method": "GET", "path": "/manifests/", "action": "endless", "count": 999}])");
  expect_clean_failure("endless manifest", "larger than");
  rules(R"([{"method": "GET", "path": "/manifests/", "action": "html200", "count": 999}])");
  expect_clean_failure("html manifest", "an HTML page (\"Sign in\"), not a manifest");
  rules(R"([{"method": "GET", "path": "/manifests/", "action": "location", "count": 999,
             "to": "file:///etc/passwd"}])");
  expect_clean_failure("file:// redirect", "fetching manifest");
  rules(R"([{"method": "GET", "path": "/blobs/", "action": "drip", "count": 999}])");
  auto t0 = std::chrono::steady_clock::now();
  expect_clean_failure("slow-loris", "Less than 100 bytes/sec");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(60));
}

TEST_F(HostilePull, TransientLiesAreRetriedToSuccess) {
  rules(R"([{"method": "GET", "path": "/blobs/", "action": "truncate", "count": 1},
            {"method": "GET", "path": "/blobs/", "action": "reset", "count": 1}])");
  Ran r = mybuild(b_, {"pull", name_});
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(store_damage(b_), "");
  EXPECT_TRUE(contains(mybuild(b_, {"images"}).out, "hostile/bb")) << r.out;
}

TEST_F(HostilePull, BuildFromALyingRegistryFailsClean) {
  if (::geteuid() != 0) GTEST_SKIP() << "builds need root";
  fs::create_directories(work_.path() / "ctx");
  common::write_file_atomic(work_.path() / "ctx/Dockerfile", "FROM " + name_ + "\nRUN true\n");
  rules(R"([{"method": "GET", "path": "/blobs/", "action": "corrupt", "count": 999}])");
  Ran r =
      mybuild(b_, {"build", "--progress", "plain", "-t", "out:1", (work_.path() / "ctx").string()});
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_TRUE(contains(r.out, "expected sha256:")) << r.out;
  EXPECT_TRUE(contains(r.out, name_)) << r.out;
  EXPECT_EQ(store_damage(b_), "");
  EXPECT_FALSE(contains(mybuild(b_, {"images"}).out, "out")) << r.out;
}

// A proxy that wants every body's length (411 to a chunked PATCH) breaks the upload that streams
// a layer while it is compressed; the push then sends the stored blob with its length instead.
TEST_F(HostilePull, APushWhoseStreamedUploadIsRefusedUploadsFromTheStore) {
  rules(R"([{"method": "PATCH", "path": "/blobs/uploads/", "action": "nochunked", "count": 999}])");
  const fs::path c = work_.path() / "c";
  import(c, "busybox:latest");
  const std::string dest = proxy_->domain() + "/hostile/fallback:1";
  // zstd: the imported gzip layer is converted, and so streamed up as it is compressed.
  Ran push = mybuild(c, {"push", "--compression", "zstd", "busybox", dest});
  EXPECT_EQ(push.code, 0) << push.out;
  EXPECT_TRUE(contains(push.out, "again from the local store")) << push.out;
  std::string log = common::read_file(work_.path() / "proxy.log");
  EXPECT_TRUE(contains(log, "status411")) << log;  // the streamed PATCH was tried, and refused
  rules("[]");
  Ran pull = mybuild(b_, {"pull", dest});
  EXPECT_EQ(pull.code, 0) << pull.out;  // every blob arrived whole: the pull verifies digests
  EXPECT_EQ(store_damage(b_), "");
  EXPECT_EQ(store_damage(c), "");
}

}  // namespace
}  // namespace mybuild::store_commands_testing
