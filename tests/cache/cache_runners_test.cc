// --cache-to / --cache-from as CI uses them: runner A builds and exports, runner B starts with
// an empty state root (and a copy of the context at another path, with other mtimes, as a
// fresh clone has) and imports. What B runs is read from its progress output; what moves over
// the wire from the fault proxy's request log (every request passes it) and the sizes of the
// blobs in the registry's storage.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/build/build_fixture.h"
#include "tests/registry/registry_server.h"

namespace mybuild::build_testing {
namespace {

using registry::testing::RegistryServer;
using registry::testing::ScriptServer;

class CacheRunners : public BuildTest {
 protected:
  void SetUp() override {
    BuildTest::SetUp();
    if (IsSkipped()) return;
    if (!registry::testing::have_registry()) GTEST_SKIP() << "docker-registry is not installed";
    server_ = std::make_unique<RegistryServer>();
    write_file(work() / "rules.json", "[]");
    proxy_ = std::make_unique<ScriptServer>(
        "fault_proxy.py",
        std::vector<std::string>{std::to_string(server_->port()), (work() / "rules.json").string(),
                                 log().string()});
    reg_ = proxy_->domain();
    Ran push = mybuild({"push", "busybox:latest", reg_ + "/base:latest"});
    ASSERT_TRUE(push.ok()) << push.both();
    dockerfile("FROM " + reg_ +
               "/base:latest\n"
               "COPY a.txt /a.txt\n"
               "RUN cat /a.txt > /b.txt && echo ran\"\"-b\n"
               "COPY c.txt /c.txt\n"
               "RUN cat /c.txt > /d.txt && echo ran\"\"-d\n");
    write("a.txt", "A\n");
    write("c.txt", "C\n");
  }

  fs::path log() const { return work() / "proxy.log"; }
  void clear_log() { write_file(log(), ""); }
  std::vector<std::string> log_lines(const std::string& prefix) const {
    std::vector<std::string> out;
    std::istringstream in(read_file(log()));
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(prefix, 0) == 0) out.push_back(line);
    }
    return out;
  }
  // Bytes of the blobs GET'd from `repo` (sizes from the registry's own storage).
  int64_t bytes_fetched(const std::string& repo) const {
    int64_t total = 0;
    for (const auto& line : log_lines("GET /v2/" + repo + "/blobs/sha256:")) {
      std::string hex = line.substr(line.find("sha256:") + 7, 64);
      total += static_cast<int64_t>(
          fs::file_size(server_->dir() / "data/docker/registry/v2/blobs/sha256" / hex.substr(0, 2) /
                        hex / "data"));
    }
    return total;
  }

  // Runner B: its own empty state root, and the context copied to another path.
  fs::path ctx_b() const { return work() / "runner-b-ctx"; }
  void copy_context_to_b() {
    fs::copy(ctx(), ctx_b(), fs::copy_options::recursive);
    // A fresh clone's mtimes are the checkout time: make them differ from A's for certain.
    for (const auto& e : fs::recursive_directory_iterator(ctx_b())) {
      fs::last_write_time(e.path(), fs::file_time_type::clock::now() + std::chrono::hours(1));
    }
  }
  Ran build_b(const std::string& root, std::vector<std::string> args) {
    std::vector<std::string> argv = {MYBUILD_BINARY, "--root",     (work() / root).string(),
                                     "build",        "--progress", "plain"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(ctx_b().string());
    RunOptions o;
    o.cwd = work();
    return run_process(argv, o);
  }
  // Records in a type=local cache layout.
  size_t local_records(const fs::path& dir) {
    auto index = nlohmann::json::parse(read_file(dir / "index.json"));
    auto blob = [&](const nlohmann::json& d) {
      std::string digest = d["digest"];
      return nlohmann::json::parse(read_file(dir / "blobs/sha256" / digest.substr(7)));
    };
    return blob(blob(index["manifests"][0])["config"])["records"].size();
  }

  std::unique_ptr<RegistryServer> server_;
  std::unique_ptr<ScriptServer> proxy_;
  std::string reg_;
};

TEST_F(CacheRunners, RegistryCacheRunnerBRunsNothingAndMovesNoLayerBytes) {
  const std::string cache = "type=registry,ref=" + reg_ + "/app:cache,mode=max";
  Ran a = build({"-t", reg_ + "/app:1", "--push", "--cache-to", cache});
  ASSERT_TRUE(a.ok()) << a.both();
  EXPECT_EQ(run_steps(a.err).size(), 4u) << a.err;
  // The cache's layers are the image's blobs: exporting it uploaded only its record list.
  EXPECT_NE(a.err.find("1 blobs uploaded"), std::string::npos) << a.err;

  copy_context_to_b();
  clear_log();
  Ran b = build_b("root-b", {"-t", reg_ + "/app:1", "--push", "--cache-from", cache});
  ASSERT_TRUE(b.ok()) << b.both();
  EXPECT_TRUE(run_steps(b.err).empty()) << b.err;
  EXPECT_EQ(cached_steps(b.err).size(), 4u) << b.err;
  EXPECT_EQ(b.err.find("ran-b"), std::string::npos);
  // Fetched from app: the cache manifest's record list only; uploaded: nothing but the tag.
  EXPECT_EQ(log_lines("GET /v2/app/blobs/").size(), 1u) << read_file(log());
  EXPECT_EQ(log_lines("PUT /v2/app/blobs/").size() + log_lines("PATCH /v2/").size(), 0u)
      << read_file(log());
  const int64_t config_bytes = bytes_fetched("app");
  std::cout << "[ figures ] runner B, fully cached with --push: " << run_steps(b.err).size()
            << " steps run, " << config_bytes << " bytes fetched from the cache (records), 0 "
            << "layer bytes fetched or uploaded\n";

  // One file changes: B runs the two steps that read it, and fetches the two layers under them.
  write_file(ctx_b() / "c.txt", "C2\n");
  clear_log();
  Ran b2 = build_b("root-b", {"--cache-from", cache});
  ASSERT_TRUE(b2.ok()) << b2.both();
  std::vector<std::string> ran = run_steps(b2.err);
  ASSERT_EQ(ran.size(), 2u) << b2.err;
  EXPECT_NE(ran[0].find("COPY c.txt"), std::string::npos) << ran[0];
  EXPECT_NE(ran[1].find("RUN cat /c.txt"), std::string::npos) << ran[1];
  EXPECT_EQ(b2.err.find("ran-b"), std::string::npos);
  EXPECT_EQ(log_lines("GET /v2/app/blobs/").size(), 3u) << read_file(log());  // records + 2
  std::cout << "[ figures ] runner B, c.txt changed: " << ran.size() << " steps run, "
            << bytes_fetched("app") << " bytes fetched from the cache\n";
}

TEST_F(CacheRunners, LocalCacheMinAndMax) {
  dockerfile("FROM " + reg_ +
             "/base:latest AS tool\n"
             "RUN echo tool > /tool && echo ran\"\"-tool\n"
             "FROM " +
             reg_ +
             "/base:latest\n"
             "COPY a.txt /a.txt\n"
             "RUN cat /a.txt > /b.txt && echo ran\"\"-b\n"
             "COPY --from=tool /tool /tool\n");
  Ran a = build({"--cache-to", "type=local,dest=" + (work() / "min").string(), "--cache-to",
                 "type=local,dest=" + (work() / "max").string() + ",mode=max"});
  ASSERT_TRUE(a.ok()) << a.both();
  EXPECT_EQ(local_records(work() / "min"), 3u);  // the final stage's steps
  EXPECT_EQ(local_records(work() / "max"), 4u);  // and the tool stage's RUN

  copy_context_to_b();
  Ran max = build_b("root-max", {"--cache-from", "type=local,src=" + (work() / "max").string()});
  ASSERT_TRUE(max.ok()) << max.both();
  EXPECT_TRUE(run_steps(max.err).empty()) << max.err;
  Ran min = build_b("root-min", {"--cache-from", "type=local,src=" + (work() / "min").string()});
  ASSERT_TRUE(min.ok()) << min.both();
  EXPECT_NE(min.err.find("ran-tool"), std::string::npos) << min.err;  // not in a min cache
  EXPECT_EQ(min.err.find("ran-b"), std::string::npos) << min.err;
}

TEST_F(CacheRunners, InlineCacheRoundTrip) {
  Ran a = build({"-t", reg_ + "/inl:1", "--push", "--cache-to", "type=inline"});
  ASSERT_TRUE(a.ok()) << a.both();
  copy_context_to_b();
  Ran b = build_b("root-b", {"--cache-from", "type=inline,ref=" + reg_ + "/inl:1"});
  ASSERT_TRUE(b.ok()) << b.both();
  EXPECT_TRUE(run_steps(b.err).empty()) << b.err;
  EXPECT_EQ(cached_steps(b.err).size(), 4u) << b.err;
}

TEST_F(CacheRunners, CacheRepoAliasAndBadCachesAreNotFatal) {
  Ran a = build({"--cache-repo", reg_ + "/kaniko"});
  ASSERT_TRUE(a.ok()) << a.both();
  EXPECT_NE(a.both().find("not found"), std::string::npos) << a.both();  // first run: no cache
  copy_context_to_b();
  Ran b = build_b("root-b", {"--cache-repo", reg_ + "/kaniko"});
  ASSERT_TRUE(b.ok()) << b.both();
  EXPECT_TRUE(run_steps(b.err).empty()) << b.err;

  // An image that is not a cache, and a layout whose index is garbage: named, then ignored.
  write_file(work() / "bad/index.json", "{not json");
  Ran c = build_b("root-c", {"--cache-from", reg_ + "/base:latest", "--cache-from",
                             "type=local,src=" + (work() / "bad").string()});
  ASSERT_TRUE(c.ok()) << c.both();
  EXPECT_NE(c.both().find("cannot use --cache-from " + reg_ + "/base:latest"), std::string::npos)
      << c.both();
  EXPECT_NE(c.both().find("cannot use --cache-from " + (work() / "bad").string()),
            std::string::npos)
      << c.both();
  EXPECT_NE(c.err.find("ran-b"), std::string::npos);
}

}  // namespace
}  // namespace mybuild::build_testing
