// The two-runner fixture of the cache suite: a real docker-registry behind
// tests/registry/fault_proxy.py (whose request log counts what moved), a busybox base pushed to
// it, runner A building in the fixture's root and context, runner B in a root of its own with a
// copy of the context at another path and other mtimes, as a fresh clone has.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/build/build_fixture.h"
#include "tests/registry/registry_server.h"

namespace mybuild::build_testing {

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
  // A tool stage whose RUN only a mode=max cache records, and a final stage (COPY, RUN,
  // COPY --from) that both modes record; each RUN prints "ran-tool" or "ran-b" when it runs.
  void two_stage_dockerfile() {
    dockerfile("FROM " + reg_ + "/base:latest AS tool\n" +
               "RUN echo tool > /tool && echo ran\"\"-tool\n" + "FROM " + reg_ + "/base:latest\n" +
               "COPY a.txt /a.txt\n" + "RUN cat /a.txt > /b.txt && echo ran\"\"-b\n" +
               "COPY --from=tool /tool /tool\n");
  }

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

  // A blob in the registry's own storage.
  std::string registry_blob(const std::string& digest) const {
    return read_file(server_->dir() / "data/docker/registry/v2/blobs/sha256" / digest.substr(7, 2) /
                     digest.substr(7) / "data");
  }
  // The config (record list) of the cache manifest tagged `repo:tag` in the registry.
  nlohmann::json registry_cache_config(const std::string& repo, const std::string& tag) const {
    std::string link = read_file(server_->dir() / "data/docker/registry/v2/repositories" / repo /
                                 "_manifests/tags" / tag / "current/link");
    auto manifest = nlohmann::json::parse(registry_blob(link));
    return nlohmann::json::parse(registry_blob(manifest["config"]["digest"]));
  }

  std::unique_ptr<RegistryServer> server_;
  std::unique_ptr<ScriptServer> proxy_;
  std::string reg_;
};

}  // namespace mybuild::build_testing
