#include "registry/docker_config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/io.h"
#include "common/temp_dir.h"

namespace mybuild::registry {
namespace {

void write(const std::filesystem::path& p, const std::string& s, int mode = 0644) {
  common::write_file_atomic(p, s, mode);
}

TEST(DockerConfig, ReadsAuthsEntries) {
  common::TempDir dir;
  // "alice:s3cr:et" base64: passwords may contain ':'.
  write(dir.path() / "config.json", R"({"auths": {
      "https://index.docker.io/v1/": {"auth": "YWxpY2U6czNjcjpldA=="},
      "https://ghcr.io": {"identitytoken": "refresh-tok"},
      "localhost:5000": {}}})");
  DockerConfig cfg(dir.path() / "config.json");
  auto hub = cfg.lookup("docker.io");
  ASSERT_TRUE(hub);
  EXPECT_EQ(hub->username, "alice");
  EXPECT_EQ(hub->password, "s3cr:et");
  EXPECT_NE(hub->source.find("auths \"https://index.docker.io/v1/\""), std::string::npos);
  auto ghcr = cfg.lookup("ghcr.io");
  ASSERT_TRUE(ghcr);
  EXPECT_EQ(ghcr->identity_token, "refresh-tok");
  EXPECT_FALSE(cfg.lookup("localhost:5000"));  // an empty entry holds nothing
  EXPECT_FALSE(cfg.lookup("quay.io"));
}

TEST(DockerConfig, MissingFileIsNoCredentials) {
  common::TempDir dir;
  EXPECT_FALSE(DockerConfig(dir.path() / "nope.json").lookup("docker.io"));
}

TEST(DockerConfig, BadAuthFieldSaysWhereWithoutTheSecret) {
  common::TempDir dir;
  write(dir.path() / "config.json", R"({"auths": {"r.example": {"auth": "c2VjcmV0"}}})");
  try {
    DockerConfig(dir.path() / "config.json").lookup("r.example");
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kAuth);
    EXPECT_NE(e.full_message().find("r.example"), std::string::npos);
    EXPECT_EQ(e.full_message().find("secret"), std::string::npos);
    EXPECT_EQ(e.full_message().find("c2VjcmV0"), std::string::npos);
  }
  write(dir.path() / "config.json", "{not json");
  EXPECT_THROW(DockerConfig(dir.path() / "config.json").lookup("x"), common::Error);
}

TEST(DockerConfig, StoreAndEraseKeepOtherKeysAndMode0600) {
  common::TempDir dir;
  auto path = dir.path() / "sub" / "config.json";
  std::filesystem::create_directories(path.parent_path());
  write(path, R"({"psFormat": "table", "auths": {"other.io": {"auth": "dTpw"}}})");
  DockerConfig cfg(path);
  EXPECT_EQ(cfg.store("docker.io", {"bob", "pw", "", ""}), path.string());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto j = nlohmann::json::parse(common::read_file(path));
  EXPECT_EQ(j["psFormat"], "table");
  EXPECT_EQ(j["auths"]["https://index.docker.io/v1/"]["auth"], "Ym9iOnB3");
  EXPECT_EQ(cfg.lookup("docker.io")->password, "pw");
  EXPECT_TRUE(cfg.erase("docker.io"));
  EXPECT_FALSE(cfg.lookup("docker.io"));
  EXPECT_FALSE(cfg.erase("docker.io"));
  EXPECT_EQ(cfg.lookup("other.io")->username, "u");
}

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

// `mybuild login` on a shared machine: the directory it creates is private, and symlinks
// another user planted (at the config path, or at the temp name the old code used,
// config.json.tmp-<pid>) are never written through.
TEST(DockerConfig, StoreCreatesPrivateDirAndFollowsNoPlantedSymlink) {
  common::TempDir dir;
  auto victim = dir.path() / "victim";
  const std::string precious = R"({"precious": true})";
  write(victim, precious, 0644);
  auto path = dir.path() / "home" / ".docker" / "config.json";
  DockerConfig cfg(path);
  cfg.store("localhost:5000", {"u", "first", "", ""});
  EXPECT_EQ(mode_of(path.parent_path()), 0700u);
  EXPECT_EQ(mode_of(path), 0600u);

  auto tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid());
  std::filesystem::create_symlink(victim, tmp);
  std::filesystem::remove(path);
  std::filesystem::create_symlink(victim, path);
  cfg.store("localhost:5000", {"u", "second", "", ""});
  EXPECT_EQ(common::read_file(victim), precious);
  EXPECT_EQ(mode_of(victim), 0644u);
  EXPECT_FALSE(std::filesystem::is_symlink(path));
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(cfg.lookup("localhost:5000")->password, "second");
  EXPECT_TRUE(cfg.erase("localhost:5000"));
  EXPECT_EQ(common::read_file(victim), precious);
}

TEST(DockerConfig, StricterExistingModeIsKept) {
  common::TempDir dir;
  auto path = dir.path() / "config.json";
  write(path, "{}", 0400);
  DockerConfig cfg(path);
  cfg.store("localhost:5000", {"u", "pw", "", ""});
  EXPECT_EQ(mode_of(path), 0400u);
  write(path, "{}", 0644);
  cfg.store("localhost:5000", {"u", "pw", "", ""});
  EXPECT_EQ(mode_of(path), 0600u);  // looser than 0600 is not kept
}

// A real helper executable speaking the protocol, stored in a temp dir put first on PATH.
class HelperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* old = std::getenv("PATH");
    old_path_ = old ? old : "";
    auto helper = dir_.path() / "docker-credential-mytest";
    std::ofstream(helper) << "#!/bin/sh\n"
                             "store="
                          << (dir_.path() / "store").string()
                          << "\n"
                             "case \"$1\" in\n"
                             "get) read url; if [ -f \"$store\" ]; then cat \"$store\"; else "
                             "echo 'credentials not found in native keychain'; exit 1; fi;;\n"
                             "store) cat > \"$store\";;\n"
                             "erase) rm -f \"$store\";;\n"
                             "esac\n";
    std::filesystem::permissions(helper, std::filesystem::perms::owner_all);
    ::setenv("PATH", (dir_.path().string() + ":" + old_path_).c_str(), 1);
  }
  void TearDown() override { ::setenv("PATH", old_path_.c_str(), 1); }
  common::TempDir dir_;
  std::string old_path_;
};

TEST_F(HelperTest, CredsStoreRoundTrip) {
  auto path = dir_.path() / "config.json";
  write(path, R"({"credsStore": "mytest"})");
  DockerConfig cfg(path);
  EXPECT_FALSE(cfg.lookup("r.example"));  // "not found" is absence, not an error
  EXPECT_EQ(cfg.store("r.example", {"carol", "hunter2", "", ""}), "docker-credential-mytest");
  auto c = cfg.lookup("r.example");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "carol");
  EXPECT_EQ(c->password, "hunter2");
  EXPECT_EQ(c->source, "credential helper docker-credential-mytest");
  // The secret went to the helper, not into the file.
  EXPECT_EQ(common::read_file(path).find("hunter2"), std::string::npos);
  EXPECT_TRUE(cfg.erase("r.example"));
  EXPECT_FALSE(cfg.lookup("r.example"));
}

TEST_F(HelperTest, CredHelpersPerRegistryAndIdentityToken) {
  auto path = dir_.path() / "config.json";
  write(path, R"({"credHelpers": {"r.example": "mytest"}, "auths": {"x.io": {"auth": "dTpw"}}})");
  write(dir_.path() / "store", R"({"ServerURL":"r.example","Username":"<token>","Secret":"idt"})");
  DockerConfig cfg(path);
  auto c = cfg.lookup("r.example");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->identity_token, "idt");
  EXPECT_EQ(c->username, "");
  EXPECT_EQ(cfg.lookup("x.io")->source.find("config file"), 0u);
}

TEST_F(HelperTest, MissingHelperIsAClearAuthError) {
  auto path = dir_.path() / "config.json";
  write(path, R"({"credsStore": "does-not-exist"})");
  try {
    DockerConfig(path).lookup("r.example");
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kAuth);
    EXPECT_NE(e.message().find("docker-credential-does-not-exist"), std::string::npos);
  }
}

// A pipeline written for Kaniko mounts its credentials at /kaniko/.docker/config.json while the
// image's DOCKER_CONFIG names another directory: the Kaniko file answers what the primary lacks.
TEST(DockerConfig, KanikoConfigIsTheFallback) {
  common::TempDir dir;
  auto primary = dir.path() / "docker" / "config.json";
  auto kaniko = dir.path() / "kaniko" / ".docker" / "config.json";
  std::filesystem::create_directories(primary.parent_path());
  std::filesystem::create_directories(kaniko.parent_path());
  write(primary, R"({"auths": {"mine.example": {"auth": "bWU6MQ=="}}})");  // me:1
  write(kaniko, R"({"auths": {"mine.example": {"auth": "a2FuOjI="},
                              "ci.example": {"auth": "Y2k6Mw=="}}})");     // kan:2, ci:3

  auto own = lookup_credentials(primary, "mine.example", kaniko);
  ASSERT_TRUE(own);
  EXPECT_EQ(own->username, "me");  // the primary wins where it has an entry
  auto ci = lookup_credentials(primary, "ci.example", kaniko);
  ASSERT_TRUE(ci);
  EXPECT_EQ(ci->password, "3");
  EXPECT_NE(ci->source.find(kaniko.string()), std::string::npos) << ci->source;
  EXPECT_FALSE(lookup_credentials(primary, "other.example", kaniko));
  // No primary file at all: the fallback alone.
  EXPECT_TRUE(lookup_credentials(dir.path() / "none" / "config.json", "ci.example", kaniko));
}

}  // namespace
}  // namespace mybuild::registry
