// --ssh and RUN --mount=type=ssh end to end, against a real sshd on loopback (ssh_server.h)
// serving a private git repository that only the test's key may read:
//   a git context over ssh with `--ssh default=KEYFILE`, and a wrong key refused by name;
//   a RUN step cloning it with `git clone ssh://...` through the forwarded agent: a real
//   ssh-agent's socket (`--ssh default=$SSH_AUTH_SOCK`) and mybuild's own agent for a key file;
//   the image has the clone but no key and no socket; the step cannot find the key anywhere;
//   a type=ssh mount without --ssh is left out with a warning, or with required=true an error,
//   naming the id.
// Host keys: mybuild accepts the server's unknown host key for git sources, as BuildKit does
// without known hosts; the sshd here has a key made for the test that no known_hosts lists.
// The step's image is the busybox base plus the host's git and ssh with the libraries ldd
// names (no download).
#include <signal.h>

#include <chrono>
#include <memory>
#include <thread>

#include "tests/build/build_fixture.h"
#include "tests/build/ssh_server.h"

namespace mybuild::build_testing {
namespace {

constexpr const char* kGitEnv =
    "GIT_CONFIG_NOSYSTEM=1 HOME=/tmp GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t "
    "GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t ";

class SshBuild : public BuildTest {
 protected:
  void SetUp() override {
    BuildTest::SetUp();
    if (IsSkipped()) return;
    if (!std::filesystem::exists("/usr/sbin/sshd")) {
      GTEST_SKIP() << "openssh-server is not installed (deps/build_tests.txt)";
    }
    server_ = std::make_unique<SshServer>(work() / "sshd");
    ASSERT_TRUE(server_->up()) << server_->why_not();
    const fs::path src = work() / "repo-src";
    write_file(src / "Dockerfile", "FROM busybox\nCOPY hello /hello\n");
    write_file(src / "hello", "private\n");
    repo_ = (server_->dir() / "repo.git").string();
    Ran git = run_process({"sh", "-c",
                           std::string("cd ") + src.string() + " && " + kGitEnv +
                               "git init -q -b main && git add -A && " + kGitEnv +
                               "git commit -qm one && git clone -q --bare . " + repo_},
                          {});
    ASSERT_TRUE(git.ok()) << git.both();
  }

  // The busybox base plus /usr/bin/git, /usr/bin/ssh and their libraries, as "gitssh".
  void import_git_ssh_base() {
    fs::path tar = make_busybox_tar(work());
    const std::string append =
        "set -e; files=; for f in $( (echo /usr/bin/git /usr/bin/ssh; ldd /usr/bin/git "
        "/usr/bin/ssh | grep -o '/[^ :]*') | sort -u); do files=\"$files ${f#/}\"; done; "
        "tar --append --dereference --hard-dereference --file " +
        tar.string() + " -C / $files";
    Ran r = run_process({"sh", "-c", append}, {});
    ASSERT_TRUE(r.ok()) << r.both();
    Ran imported = mybuild({"import", "--compression", "none", tar.string(), "gitssh"});
    ASSERT_TRUE(imported.ok()) << imported.both();
  }

  // A Dockerfile whose step clones the private repository through the ssh mount.
  void clone_dockerfile(const std::string& mount = "--mount=type=ssh") {
    dockerfile("FROM gitssh\nRUN --network=host " + mount +
               " test -S \"$SSH_AUTH_SOCK\" && GIT_SSH_COMMAND='ssh -o StrictHostKeyChecking=no "
               "-o UserKnownHostsFile=/dev/null -o BatchMode=yes' HOME=/tmp git clone -q " +
               server_->url(repo_) + " /clone && echo \"sock=$SSH_AUTH_SOCK\" > /sock\n");
  }

  // No layer holds a private key, an agent socket's stub or mybuild's socket directory.
  void expect_no_key_or_socket(const std::string& ref) {
    StoredImage img = image(ref);
    for (const auto& layer : img.layers) {
      for (const auto& [path, entry] : layer.entries) {
        EXPECT_EQ(entry.content.find("PRIVATE KEY"), std::string::npos) << path;
        EXPECT_EQ(path.find("ssh_agent"), std::string::npos) << path;
        EXPECT_EQ(path.find("mybuild-ssh"), std::string::npos) << path;
        EXPECT_NE(path, "run/buildkit") << "the mount's stub directory stayed";
      }
    }
  }

  std::unique_ptr<SshServer> server_;
  std::string repo_;
};

TEST_F(SshBuild, GitContextOverSshWithAKeyFile) {
  Ran ok = build({"-t", "fromssh:v1", "--ssh", "default=" + server_->client_key().string()},
                 server_->url(repo_) + "#main");
  ASSERT_EQ(ok.failure(), "");
  EXPECT_EQ(image("fromssh:v1").content("/hello"), "private\n");

  const std::string url = server_->url(repo_) + "#main";
  Ran wrong = build({"--ssh", "default=" + server_->other_key().string()}, url);
  EXPECT_FALSE(wrong.ok());
  EXPECT_NE(wrong.err.find("authentication refused"), std::string::npos) << wrong.both();
  EXPECT_NE(wrong.err.find(url), std::string::npos) << wrong.both();

  Ran none = build({}, url);
  EXPECT_FALSE(none.ok());
  EXPECT_NE(none.err.find("--ssh default"), std::string::npos) << none.both();
}

// An RSA key: ssh in the step asks mybuild's agent with the rsa-sha2 flags and gets in (the
// server refuses SHA-1 "ssh-rsa" signatures, as OpenSSH does since 8.8). For git sources
// Debian's libssh2 1.10 offers RSA keys as ssh-rsa only: the error says so.
TEST_F(SshBuild, RsaKeyFileForTheStepAndWhyNotForGit) {
  import_git_ssh_base();
  clone_dockerfile();
  Ran git =
      build({"--ssh", "default=" + server_->rsa_key().string()}, server_->url(repo_) + "#main");
  EXPECT_FALSE(git.ok());
  EXPECT_NE(git.err.find("use an ed25519 key"), std::string::npos) << git.both();
  Ran step = build({"-t", "rsa:v2", "--allow", "network.host", "--ssh",
                    "default=" + server_->rsa_key().string()});
  ASSERT_EQ(step.failure(), "");
  EXPECT_EQ(image("rsa:v2").content("/clone/hello"), "private\n");
}

TEST_F(SshBuild, StepClonesThroughARealAgent) {
  import_git_ssh_base();
  SshAgentProcess agent(work() / "agent", server_->client_key());
  ASSERT_TRUE(agent.up());
  clone_dockerfile();
  Ran r = build({"-t", "cloned:agent", "--allow", "network.host", "--ssh",
                 "default=" + agent.socket().string()});
  ASSERT_EQ(r.failure(), "");
  StoredImage img = image("cloned:agent");
  EXPECT_EQ(img.content("/clone/hello"), "private\n");
  EXPECT_EQ(img.content("/sock"), "sock=/run/buildkit/ssh_agent.0\n");
  expect_no_key_or_socket("cloned:agent");
  EXPECT_EQ(r.both().find(agent.socket().string()), std::string::npos) << "the agent's path";
  // The same agent authenticates a git context over ssh (the keys it lists, signed by it).
  Ran git = build({"-t", "fromagent:v1", "--ssh", "default=" + agent.socket().string()},
                  server_->url(repo_) + "#main");
  ASSERT_EQ(git.failure(), "");
  EXPECT_EQ(image("fromagent:v1").content("/hello"), "private\n");
}

TEST_F(SshBuild, StepClonesThroughMybuildsOwnAgentForAKeyFile) {
  import_git_ssh_base();
  clone_dockerfile("--mount=type=ssh,id=deploy,target=/agent.sock,mode=0600");
  const std::string key = server_->client_key().string();
  Ran r = build({"-t", "cloned:key", "--allow", "network.host", "--ssh", "deploy=" + key});
  ASSERT_EQ(r.failure(), "");
  StoredImage img = image("cloned:key");
  EXPECT_EQ(img.content("/clone/hello"), "private\n");
  EXPECT_EQ(img.content("/sock"), "sock=/agent.sock\n");
  EXPECT_FALSE(img.has("/agent.sock"));
  expect_no_key_or_socket("cloned:key");
}

// The step sees a socket, never the key: not at its host path, not anywhere in its filesystem.
TEST_F(SshBuild, TheStepCannotReadTheKey) {
  const std::string key = server_->client_key().string();
  dockerfile(
      "FROM busybox\nRUN --mount=type=ssh test -S /run/buildkit/ssh_agent.0 && "
      "test ! -e " +
      key +
      " && ! ls /run/buildkit | grep -v ssh_agent.0 && "
      "for d in /*; do case $d in /proc|/sys|/dev) continue;; esac; "
      "if grep -rqs 'PRIVATE KEY' $d; then echo found in $d; exit 1; fi; done\n");
  Ran r = build({"--ssh", "default=" + key});
  EXPECT_EQ(r.failure(), "");
}

TEST_F(SshBuild, MissingSshIdIsAnErrorOnlyWhenRequired) {
  dockerfile("FROM busybox\nRUN --mount=type=ssh,id=deploy,required=true true\n");
  Ran r = build();
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.err.find("ssh agent id \"deploy\""), std::string::npos) << r.both();
  // BuildKit's default, required=false: the step runs without the mount, and a warning names it.
  dockerfile(
      "FROM busybox\nRUN --mount=type=ssh test ! -e /run/buildkit && test -z \"$SSH_AUTH_SOCK\"\n");
  r = build();
  EXPECT_EQ(r.failure(), "");
  EXPECT_NE(r.both().find("ssh agent id \"default\""), std::string::npos) << r.both();
}

// ^C while a step holds an ssh mount: the build ends, and the agent socket with its directory
// and threads goes with it (RAII in StepMounts), nothing left in the state root's tmp.
TEST_F(SshBuild, CancelRemovesTheAgentSocket) {
  dockerfile("FROM busybox\nRUN --mount=type=ssh touch /tmp/started && sleep 60\n");
  const std::string key = server_->client_key().string();
  Background b = start_process({MYBUILD_BINARY, "--root", root().string(), "build", "--progress",
                                "plain", "--ssh", "default=" + key, ctx().string()},
                               in_dir(work()), work());
  const fs::path tmp = root() / "tmp";
  auto agent_dirs = [&] {
    int n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(tmp, ec)) {
      n += e.path().filename().string().starts_with("mybuild-ssh-") ? 1 : 0;
    }
    return n;
  };
  for (int i = 0; i < 400 && agent_dirs() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_EQ(agent_dirs(), 1) << "the step's agent socket never appeared";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(b.pid, SIGINT);
  const auto t0 = std::chrono::steady_clock::now();
  Ran r = wait_process(b);
  EXPECT_FALSE(r.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20)) << r.both();
  EXPECT_EQ(agent_dirs(), 0);
}

}  // namespace
}  // namespace mybuild::build_testing
