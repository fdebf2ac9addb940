// The image commands through the CLI, on a store in a temp dir (no registry, no root): images,
// tag, rmi and inspect on images made with `mybuild import`, and the errors users see.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "cli/exit_codes.h"
#include "common/digest.h"
#include "common/temp_dir.h"

namespace mybuild::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct CommandResult {
  int code;
  std::string out;
  std::string err;
};

// A one-file ustar archive written by hand (the CLI's tests may use only builder/ and common/).
void write_tar(const fs::path& path, const std::string& file_name, const std::string& body) {
  std::string header(512, '\0');
  auto put = [&header](size_t at, const std::string& s) { header.replace(at, s.size(), s); };
  auto octal = [](uint64_t v, int width) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%0*llo", width - 1, static_cast<unsigned long long>(v));
    return std::string(buf);
  };
  put(0, file_name);
  put(100, octal(0644, 8));
  put(108, octal(0, 8));
  put(116, octal(0, 8));
  put(124, octal(body.size(), 12));
  put(136, octal(1700000000, 12));
  put(148, "        ");
  header[156] = '0';
  put(257, "ustar");
  put(263, "00");
  unsigned sum = 0;
  for (unsigned char c : header) sum += c;
  put(148, octal(sum, 7));
  std::string data = header + body;
  data.append((512 - body.size() % 512) % 512, '\0');
  data.append(1024, '\0');
  std::ofstream(path, std::ios::binary) << data;
}

class ImageCommands : public ::testing::Test {
 protected:
  CommandResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {"mybuild", "--root", (dir_.path() / "root").string()});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    std::ostringstream out, err;
    int code = cli::run(static_cast<int>(argv.size()), argv.data(), out, err);
    return {code, out.str(), err.str()};
  }
  // Imports a one-file image; returns its image ID (the config digest).
  std::string import(const std::string& name, const std::string& content) {
    fs::path tar = dir_.path() / (content + ".tar");
    write_tar(tar, "hello.txt", content);
    auto r = run({"import", "--compression", "none", tar.string(), name});
    EXPECT_EQ(r.code, 0) << r.err;
    return r.out.substr(0, r.out.size() - 1);
  }
  common::TempDir dir_{"mybuild-cli-images-"};
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST_F(ImageCommands, EmptyStoreListsOnlyTheHeaderAndCreatesNothing) {
  auto r = run({"images"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "REPOSITORY   TAG   IMAGE ID   CREATED   SIZE\n");
  EXPECT_FALSE(fs::exists(dir_.path() / "root"));
}

TEST_F(ImageCommands, ImagesTableQuietDigestsAndJson) {
  std::string id = import("busybox:1", "one");
  std::string other = import("127.0.0.1:5000/team/app:v2", "two");
  ASSERT_EQ(id.rfind("sha256:", 0), 0u);

  auto table = lines(run({"images"}).out);
  ASSERT_EQ(table.size(), 3u);
  EXPECT_EQ(table[0].rfind("REPOSITORY", 0), 0u);
  std::string both = table[1] + "\n" + table[2];
  EXPECT_NE(both.find("busybox "), std::string::npos) << both;
  EXPECT_NE(both.find("127.0.0.1:5000/team/app   v2    " + other.substr(7, 12)), std::string::npos)
      << both;
  EXPECT_NE(both.find(" ago   2.05kB"), std::string::npos) << both;

  auto quiet = lines(run({"images", "-q"}).out);
  ASSERT_EQ(quiet.size(), 2u);
  EXPECT_TRUE((quiet[0] == id.substr(7, 12)) != (quiet[1] == id.substr(7, 12)));

  auto filtered = lines(run({"images", "--digests", "busybox"}).out);
  ASSERT_EQ(filtered.size(), 2u);
  EXPECT_NE(filtered[0].find("DIGEST"), std::string::npos);
  EXPECT_NE(filtered[1].find("sha256:"), std::string::npos);

  auto js = lines(run({"images", "--format", "json"}).out);
  ASSERT_EQ(js.size(), 2u);
  bool seen = false;
  for (const auto& l : js) {
    json j = json::parse(l);
    if (j["Repository"] != "busybox") continue;
    seen = true;
    EXPECT_EQ(j["Tag"], "1");
    EXPECT_EQ(j["ID"], id.substr(7, 12));
    EXPECT_EQ(j["Size"].get<std::string>().back(), 'B');
  }
  EXPECT_TRUE(seen);
}

TEST_F(ImageCommands, TagByNameAndIdPrefixAndErrors) {
  std::string id = import("app:v1", "one");
  EXPECT_EQ(run({"tag", "app:v1", "app:v2"}).code, 0);
  auto byid = run({"tag", id.substr(7, 6), "other/app"});
  EXPECT_EQ(byid.code, 0) << byid.err;
  auto table = run({"images"}).out;
  EXPECT_NE(table.find("\napp          v2       "), std::string::npos) << table;
  EXPECT_NE(table.find("\nother/app    latest   "), std::string::npos) << table;

  auto missing = run({"tag", "nope:1", "x:1"});
  EXPECT_EQ(missing.code, kExitFailure);
  EXPECT_NE(missing.err.find("no such image: nope:1"), std::string::npos) << missing.err;
  auto digest_target = run({"tag", "app:v1", "x@sha256:" + std::string(64, 'a')});
  EXPECT_EQ(digest_target.code, kExitUsage) << digest_target.err;
  EXPECT_EQ(run({"tag", "app:v1", "Bad Name"}).code, kExitUsage);
}

TEST_F(ImageCommands, RmiUntagsByNameAndByIdWithForce) {
  std::string id = import("app:v1", "one");
  run({"tag", "app:v1", "app:v2"});
  run({"tag", "app:v1", "app:v3"});

  auto r = run({"rmi", "app:v2"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "Untagged: app:v2\n");

  auto conflict = run({"rmi", id.substr(7, 12)});
  EXPECT_EQ(conflict.code, kExitUsage);
  EXPECT_NE(conflict.err.find("must be forced"), std::string::npos) << conflict.err;

  // A missing name is reported by name; the others are still removed.
  auto mixed = run({"rmi", "nope", "app:v3"});
  EXPECT_EQ(mixed.code, kExitFailure);
  EXPECT_EQ(mixed.out, "Untagged: app:v3\n");
  EXPECT_NE(mixed.err.find("no such image: nope"), std::string::npos) << mixed.err;

  run({"tag", "app:v1", "app:v4"});
  auto forced = run({"rmi", "-f", id.substr(7, 12)});
  EXPECT_EQ(forced.code, 0) << forced.err;
  EXPECT_EQ(forced.out, "Untagged: app:v1\nUntagged: app:v4\n");
  EXPECT_EQ(lines(run({"images"}).out).size(), 1u);
}

TEST_F(ImageCommands, InspectShowsConfigAndExactManifest) {
  std::string id = import("app:v1", "one");
  run({"tag", "app:v1", "127.0.0.1:5000/app:v1"});
  auto r = run({"inspect", "app:v1"});
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 1u);
  const json& img = j[0];
  EXPECT_EQ(img["Id"], id);
  EXPECT_EQ(img["RepoTags"], json({"127.0.0.1:5000/app:v1", "app:v1"}));
  ASSERT_EQ(img["RepoDigests"].size(), 2u);
  EXPECT_EQ(img["Os"], "linux");
  EXPECT_FALSE(img["Architecture"].get<std::string>().empty());
  EXPECT_EQ(img["RootFS"]["Layers"].size(), 1u);
  std::string raw = img["Manifest"]["Raw"];
  EXPECT_EQ(img["Manifest"]["Digest"], common::Digest::sha256_of(raw).str());
  EXPECT_EQ(json::parse(raw)["config"]["digest"], id);
  EXPECT_NE(img["RepoDigests"][1].get<std::string>().find(
                "app@" + img["Manifest"]["Digest"].get<std::string>()),
            std::string::npos);

  auto partly = run({"inspect", id.substr(7, 5), "nope"});
  EXPECT_EQ(partly.code, kExitFailure);
  EXPECT_EQ(json::parse(partly.out).size(), 1u);
  EXPECT_NE(partly.err.find("no such image: nope"), std::string::npos) << partly.err;
}

TEST_F(ImageCommands, PushAndPullUsageErrors) {
  auto push = run({"push", "nothing:here"});
  EXPECT_EQ(push.code, kExitFailure);
  EXPECT_NE(push.err.find("does not exist locally with the tag: nothing:here"), std::string::npos)
      << push.err;
  EXPECT_EQ(run({"pull", "Not A Reference"}).code, kExitUsage);
  EXPECT_EQ(run({"pull", "--platform", "linux/", "busybox"}).code, kExitUsage);
  EXPECT_EQ(run({"pull"}).code, kExitUsage);
}

}  // namespace
}  // namespace mybuild::cli
