// Git contexts over smart HTTP with TLS and Basic auth: a repository behind lighttpd running
// `git http-backend`, its certificate trusted through SSL_CERT_FILE or certs.d. The token comes
// from BuildKit's GIT_AUTH_TOKEN secret or from the docker config's login for the host; a
// missing or refused login is an error naming the repository, and the token is nowhere in the
// store, the image or the output.
#include "common/base64.h"
#include "tests/build/git_servers.h"

namespace mybuild::build_testing {
namespace {

constexpr const char* kGitToken = "tok-3f9a8c2e71d4";

class GitHttps : public BuildTest {
 protected:
  void SetUp() override {
    BuildTest::SetUp();
    if (IsSkipped()) return;
    if (!have_tool("git")) GTEST_SKIP() << "git is not installed (deps/build_tests.txt)";
    const fs::path repo = work() / "private-src";
    write_file(repo / "Dockerfile", "FROM busybox\nCOPY hello /hello\n");
    write_file(repo / "hello", "private\n");
    Ran r = run_process({"sh", "-c",
                         "git init -q -b main && git add -A && git commit -qm one && "
                         "git clone -q --bare . ../repos/private.git"},
                        in_dir(repo, git_test_env(work())));
    ASSERT_TRUE(r.ok()) << r.both();
    fs::create_directories(work() / "files");
    server_ = std::make_unique<HttpsGitServer>(work() / "https", work() / "repos", work() / "files",
                                               "x-access-token", kGitToken);
    if (!server_->problem().empty()) GTEST_SKIP() << server_->problem();
    fs::create_directories(work() / "docker-config");
  }
  std::string url() const { return server_->git_url("private.git") + "#main"; }
  // The server's CA through SSL_CERT_FILE; no docker config login unless a test writes one.
  RunOptions env(std::map<std::string, std::string> more = {}) const {
    more.emplace("SSL_CERT_FILE", server_->ca_file().string());
    more.emplace("DOCKER_CONFIG", (work() / "docker-config").string());
    return in_dir(work(), more);
  }

  std::unique_ptr<HttpsGitServer> server_;
};

TEST_F(GitHttps, TokenSecretFetchesAndLeavesNoTrace) {
  Ran ok = build({"-t", "priv:v1", "--secret", "id=GIT_AUTH_TOKEN,env=TOK"}, url(),
                 env({{"TOK", kGitToken}}));
  ASSERT_EQ(ok.failure(), "");
  EXPECT_EQ(image("priv:v1").content("/hello"), "private\n");
  // The host-scoped id, and ADD of the URL in a Dockerfile.
  dockerfile("FROM busybox\nADD " + url() + " /src/\n");
  Ran add =
      build({"-t", "priv:v2", "--secret", "id=GIT_AUTH_TOKEN." + server_->host() + ",env=TOK"}, "",
            env({{"TOK", kGitToken}}));
  ASSERT_EQ(add.failure(), "");
  EXPECT_EQ(image("priv:v2").content("/src/hello"), "private\n");
  // GIT_AUTH_HEADER is the Authorization value as written.
  Ran header = build(
      {"-t", "priv:v3", "--secret", "id=GIT_AUTH_HEADER,env=HDR"}, url(),
      env({{"HDR", "basic " + common::base64_encode(std::string("x-access-token:") + kGitToken)}}));
  ASSERT_EQ(header.failure(), "");
  // Not in the output, nor anywhere in the store (images, history, cache records, checkouts).
  EXPECT_EQ(ok.both().find(kGitToken), std::string::npos);
  EXPECT_EQ(add.both().find(kGitToken), std::string::npos);
  Ran grep = run_process({"grep", "-rl", "-a", kGitToken, root().string()}, {});
  EXPECT_EQ(grep.out, "") << "the token is stored in these files";
}

TEST_F(GitHttps, MissingOrRefusedCredentialsNameTheRepository) {
  Ran none = build({}, url(), env());
  EXPECT_FALSE(none.ok());
  EXPECT_NE(none.err.find("authentication required by " + server_->git_url("private.git")),
            std::string::npos)
      << none.both();
  Ran wrong = build({"--secret", "id=GIT_AUTH_TOKEN,env=TOK"}, url(), env({{"TOK", "wrong-tok"}}));
  EXPECT_FALSE(wrong.ok());
  EXPECT_NE(wrong.err.find("authentication refused by " + server_->git_url("private.git") +
                           " (credentials from secret GIT_AUTH_TOKEN)"),
            std::string::npos)
      << wrong.both();
  EXPECT_EQ(wrong.both().find("wrong-tok"), std::string::npos);
}

TEST_F(GitHttps, DockerConfigLoginAndCertsDTrust) {
  // `docker login 127.0.0.1:PORT` as config.json stores it; the CA in mybuild's certs.d.
  write_file(work() / "docker-config/config.json",
             "{\"auths\":{\"" + server_->host() + "\":{\"auth\":\"" +
                 common::base64_encode(std::string("x-access-token:") + kGitToken) + "\"}}}");
  write_file(work() / "mybuild-config/certs.d" / server_->host() / "ca.crt",
             read_file(server_->ca_file()));
  RunOptions opts = in_dir(work(), {{"DOCKER_CONFIG", (work() / "docker-config").string()},
                                    {"MYBUILD_CONFIG", (work() / "mybuild-config").string()}});
  ASSERT_EQ(build({"-t", "login:v1"}, url(), opts).failure(), "");
  EXPECT_EQ(image("login:v1").content("/hello"), "private\n");
  // Untrusted (no CA given): a TLS error naming the repository.
  fs::remove_all(work() / "mybuild-config");
  Ran untrusted = build({}, url(), opts);
  EXPECT_FALSE(untrusted.ok());
  EXPECT_NE(untrusted.err.find(server_->git_url("private.git")), std::string::npos)
      << untrusted.both();
}

// `mybuild build https://…/ctx.tar.gz` and --build-context NAME=https://…/x.tar: downloaded
// (the CA from certs.d), unpacked as an untrusted tar; a URL that is no archive is the
// Dockerfile; an entry that leaves the context is refused.
TEST_F(GitHttps, TarballUrlContexts) {
  const fs::path files = work() / "files";
  write_file(work() / "tarsrc/Dockerfile", "FROM busybox\nCOPY f /f\n");
  write_file(work() / "tarsrc/f", "from the tarball\n");
  write_file(work() / "extrasrc/g", "named tarball\n");
  write_file(files / "Dockerfile.txt", "FROM busybox\nENV FROM_URL=1\n");
  write_file(work() / "evil/in/x", "x\n");
  write_file(work() / "evil/outside", "escape\n");
  Ran tars = run_process(
      {"sh", "-c",
       "tar -czf " + (files / "ctx.tar.gz").string() + " -C tarsrc . && tar -cf " +
           (files / "extra.tar").string() + " -C extrasrc . && cd evil/in && tar -cPf " +
           (files / "evil.tar").string() + " x ../outside"},
      in_dir(work()));
  ASSERT_TRUE(tars.ok()) << tars.both();
  write_file(work() / "mybuild-config/certs.d" / server_->host() / "ca.crt",
             read_file(server_->ca_file()));
  RunOptions opts = in_dir(work(), {{"MYBUILD_CONFIG", (work() / "mybuild-config").string()}});
  ASSERT_EQ(build({"-t", "tar:v1"}, server_->file_url("ctx.tar.gz"), opts).failure(), "");
  EXPECT_EQ(image("tar:v1").content("/f"), "from the tarball\n");

  dockerfile("FROM busybox\nCOPY --from=extra g /g\n");
  ASSERT_EQ(build({"-t", "named:v1", "--build-context", "extra=" + server_->file_url("extra.tar")},
                  "", opts)
                .failure(),
            "");
  EXPECT_EQ(image("named:v1").content("/g"), "named tarball\n");

  ASSERT_EQ(build({"-t", "df:v1"}, server_->file_url("Dockerfile.txt"), opts).failure(), "");
  Ran evil = build({}, server_->file_url("evil.tar"), opts);
  EXPECT_FALSE(evil.ok());
  EXPECT_NE(evil.err.find("../outside"), std::string::npos) << evil.both();
  EXPECT_NE(evil.err.find(server_->file_url("evil.tar")), std::string::npos) << evil.both();
  EXPECT_FALSE(fs::exists(root() / "tmp/outside"));
}

}  // namespace
}  // namespace mybuild::build_testing
