// `--progress rawjson` statuses (BuildKit's VertexStatus) for the bytes a build moves: the base
// image's layers it pulls from a real docker-registry, and the blobs `--push` uploads.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>

#include "tests/cache/cache_fixture.h"

namespace mybuild::build_testing {
namespace {

using nlohmann::json;

class TransferProgress : public CacheRunners {
 protected:
  // The last status of each (vertex, id), and the vertexes by name.
  struct Stream {
    std::map<std::string, std::string> vertex_by_name;  // name -> digest
    std::map<std::pair<std::string, std::string>, json> last_status;
    std::map<std::pair<std::string, std::string>, int> status_count;
  };
  static Stream parse(const std::string& err) {
    Stream s;
    std::istringstream lines(err);
    for (std::string line; std::getline(lines, line);) {
      if (line.empty()) continue;
      json j = json::parse(line);
      for (const auto& v : j.value("vertexes", json::array())) {
        s.vertex_by_name[v.value("name", "")] = v.value("digest", "");
      }
      for (const auto& st : j.value("statuses", json::array())) {
        auto key = std::make_pair(st.value("vertex", ""), st.value("id", ""));
        s.last_status[key] = st;
        ++s.status_count[key];
      }
    }
    return s;
  }
  std::string vertex_named(const Stream& s, const std::string& start) {
    for (const auto& [name, digest] : s.vertex_by_name) {
      if (name.find(start) != std::string::npos) return digest;
    }
    return "";
  }
  json registry_manifest(const std::string& repo, const std::string& tag) const {
    std::string link = read_file(server_->dir() / "data/docker/registry/v2/repositories" / repo /
                                 "_manifests/tags" / tag / "current/link");
    return json::parse(registry_blob(link));
  }
  static void expect_final(const json& st, int64_t size, const std::string& what) {
    EXPECT_EQ(st.value("total", int64_t{-1}), size) << what << ": " << st;
    EXPECT_EQ(st.value("current", int64_t{-1}), size) << what << ": " << st;
    EXPECT_TRUE(st.contains("completed") && st.contains("started") && st.contains("timestamp"))
        << what << ": " << st;
  }
};

TEST_F(TransferProgress, RawjsonHasStatusesForPulledLayersAndPushedBlobs) {
  // A root of its own, so that the base's layer is not in the store yet and is really fetched.
  RunOptions o;
  o.cwd = work();
  Ran r = run_process({MYBUILD_BINARY, "--root", (work() / "fresh").string(), "build", "--progress",
                       "rawjson", "-t", reg_ + "/app:v1", "--push", ctx().string()},
                      o);
  ASSERT_TRUE(r.ok()) << r.both();
  Stream s = parse(r.err);

  const std::string from = vertex_named(s, "FROM " + reg_ + "/base:latest");
  ASSERT_NE(from, "") << r.err;
  json base = registry_manifest("base", "latest");
  ASSERT_FALSE(base["layers"].empty());
  for (const auto& layer : base["layers"]) {
    auto key = std::make_pair(from, layer["digest"].get<std::string>());
    ASSERT_TRUE(s.last_status.count(key)) << "no status for " << key.second << ": " << r.err;
    const json& st = s.last_status[key];
    expect_final(st, layer["size"].get<int64_t>(), "pulled layer");
    EXPECT_FALSE(st.contains("name")) << "BuildKit's downloads have no name: " << st;
  }

  const std::string push = vertex_named(s, "pushing " + reg_ + "/app:v1");
  ASSERT_NE(push, "") << r.err;
  json app = registry_manifest("app", "v1");
  json blobs = app["layers"];
  blobs.push_back(app["config"]);
  for (const auto& blob : blobs) {
    auto key = std::make_pair(push, blob["digest"].get<std::string>());
    ASSERT_TRUE(s.last_status.count(key)) << "no push status for " << key.second << ": " << r.err;
    const json& st = s.last_status[key];
    expect_final(st, blob["size"].get<int64_t>(), "pushed blob");
    EXPECT_EQ(st.value("name", ""), "pushing") << st;
  }
  // Every status line exactly in BuildKit's shape and field order (Go writes struct fields in
  // declaration order; name and total omitempty).
  const std::regex shape(
      R"(\{"statuses":\[\{"id":"sha256:[0-9a-f]{64}","vertex":"sha256:[0-9a-f]{64}",)"
      R"(("name":"pushing",)?"total":[1-9][0-9]*,"current":[0-9]+,"timestamp":"[-0-9T:.]+Z",)"
      R"("started":"[-0-9T:.]+Z"(,"completed":"[-0-9T:.]+Z")?\}\]\})");
  std::istringstream lines(r.err);
  int status_lines = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("\"statuses\"") == std::string::npos) continue;
    ++status_lines;
    EXPECT_TRUE(std::regex_match(line, shape)) << line;
  }
  EXPECT_GE(status_lines, 2);
}

}  // namespace
}  // namespace mybuild::build_testing
