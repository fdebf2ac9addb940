// Secrets stay secret: a build reads a --secret file (as a file and as an env variable), pushes
// to an htpasswd registry with a password, pushes and pulls through a Bearer token server, with
// plain, tty (under script(1)'s pty) and rawjson progress (its base64 logs decoded before the
// search), --metadata-file and a failing step.
// Then every file of the state roots (blobs, the SQLite database and its -wal), every byte of
// progress and error output and the metadata file are searched for the secret's bytes, the
// password (also as the Basic header's base64) and every token the token server issued: none.
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "common/base64.h"
#include "registry/docker_config.h"
#include "tests/store_commands/fixture.h"

namespace mybuild::store_commands_testing {
namespace {

const std::string kSecret = "SeCrEt-bytes-7f3a9c-do-not-leak";
const std::string kPassword = "pw-Basic-8d2e41-do-not-leak";
const std::string kTokenPassword = "pw-Token-51b0c7-do-not-leak";

// rawjson progress carries RUN output and warnings as base64 (BuildKit's SolveStatus), where a
// leaked secret would not show as itself: the decoded bytes of every line that has them.
std::string decoded_rawjson(const std::string& printed) {
  std::string decoded;
  std::istringstream lines(printed);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) continue;
    for (const auto& l : j.value("logs", nlohmann::json::array())) {
      decoded += common::base64_decode(l.value("data", ""))
                     .value_or("");  // chunks joined: a split secret shows
    }
    for (const auto& w : j.value("warnings", nlohmann::json::array())) {
      decoded += common::base64_decode(w.value("short", "")).value_or("") + "\n";
    }
  }
  return decoded;
}

class SecretLeaks : public WithRegistry {
 protected:
  void SetUp() override {
    WithRegistry::SetUp();
    if (IsSkipped()) return;
    if (::geteuid() != 0) GTEST_SKIP() << "builds need root";
    registry::testing::RegistryOptions basic;
    basic.htpasswd = std::pair{std::string("alice"), kPassword};
    basic_ = std::make_unique<registry::testing::RegistryServer>(basic);
    fs::create_directories(work_.path() / "pki");
    pki_ = std::make_unique<registry::testing::TestPki>(work_.path() / "pki");
    registry::testing::TokenServerOptions to;
    to.password = kTokenPassword;
    to.anonymous_pull = false;
    tokens_ = std::make_unique<registry::testing::TokenServer>(*pki_, to);
    registry::testing::RegistryOptions tok;
    tok.token = tokens_.get();
    tok.token_pki = pki_.get();
    bearer_ = std::make_unique<registry::testing::RegistryServer>(tok);
    fs::create_directories(work_.path() / "docker");
    registry::DockerConfig cfg(work_.path() / "docker/config.json");
    cfg.store(basic_->domain(), {"alice", kPassword, "", ""});
    cfg.store(bearer_->domain(), {to.user, kTokenPassword, "", ""});
    common::write_file_atomic(work_.path() / "secret.txt", kSecret);
    import(a_, "busybox:latest");
  }
  // Runs mybuild with the test's docker config; records everything it printed.
  int mybuild(const fs::path& store, std::vector<std::string> args) {
    args.insert(args.begin(),
                {"/usr/bin/env", "DOCKER_CONFIG=" + (work_.path() / "docker").string(),
                 MYBUILD_BINARY, "--root", store.string()});
    std::string out;
    int code = registry::testing::run_command(args, &out);
    printed_ += out + decoded_rawjson(out);
    return code;
  }
  // The same under a pseudo-terminal (script(1)), so that tty progress is what a user sees.
  int mybuild_on_tty(const fs::path& store, const std::vector<std::string>& args) {
    std::string cmd = "DOCKER_CONFIG='" + (work_.path() / "docker").string() + "' '" +
                      MYBUILD_BINARY + "' --root '" + store.string() + "'";
    for (const auto& a : args) cmd += " '" + a + "'";
    std::string out;
    int code = registry::testing::run_command(
        {"/usr/bin/script", "-qfec", cmd, (work_.path() / "typescript").string()}, &out);
    printed_ += out + common::read_file(work_.path() / "typescript");
    return code;
  }
  void context(const std::string& dockerfile) {
    fs::create_directories(work_.path() / "ctx");
    common::write_file_atomic(work_.path() / "ctx/Dockerfile", dockerfile);
  }
  std::vector<std::string> build_args(const std::string& progress) {
    return {"build",
            "--progress",
            progress,
            "--no-cache",
            "--secret",
            "id=s,src=" + (work_.path() / "secret.txt").string(),
            "--metadata-file",
            (work_.path() / ("meta-" + progress + ".json")).string(),
            (work_.path() / "ctx").string()};
  }
  // Where any of `needles` occurs: in what was printed or in any file under `dirs`.
  std::string leaks(const std::vector<std::string>& needles, const std::vector<fs::path>& dirs) {
    std::string found;
    auto scan = [&](const std::string& where, const std::string& text) {
      for (const auto& n : needles) {
        if (text.find(n) != std::string::npos) found += where + " holds \"" + n + "\"\n";
      }
    };
    scan("printed output", printed_);
    for (const auto& d : dirs) {
      for (auto it =
               fs::recursive_directory_iterator(d, fs::directory_options::skip_permission_denied);
           it != fs::recursive_directory_iterator(); ++it) {
        if (it->is_regular_file() && !it->is_symlink()) {
          scan(it->path().string(), common::read_file(it->path()));
        }
      }
    }
    return found;
  }
  fs::path a_ = work_.path() / "a";
  fs::path b_ = work_.path() / "b";
  std::string printed_;
  std::unique_ptr<registry::testing::RegistryServer> basic_, bearer_;
  std::unique_ptr<registry::testing::TestPki> pki_;
  std::unique_ptr<registry::testing::TokenServer> tokens_;
};

TEST_F(SecretLeaks, NoSecretPasswordOrTokenAnywhere) {
  std::string basic_tag = basic_->domain() + "/s/app:1";
  context(
      "FROM busybox\n"
      "RUN --mount=type=secret,id=s test \"$(wc -c < /run/secrets/s)\" -eq " +
      std::to_string(kSecret.size()) +
      " && echo read-ok\n"
      "RUN --mount=type=secret,id=s,env=S_ENV test -n \"$S_ENV\" && echo env-ok > /ok\n");
  auto plain = build_args("plain");
  plain.insert(plain.begin() + 1, {"--push", "-t", basic_tag});
  ASSERT_EQ(mybuild(a_, plain), 0) << printed_;
  EXPECT_NE(printed_.find("read-ok"), std::string::npos) << printed_;
  EXPECT_EQ(mybuild(a_, build_args("rawjson")), 0) << printed_;
  // The scan of rawjson reads its base64 logs: the step's output is there, decoded.
  EXPECT_NE(decoded_rawjson(printed_).find("read-ok"), std::string::npos) << printed_;
  EXPECT_EQ(mybuild_on_tty(a_, build_args("tty")), 0) << printed_;
  // A failing step, reading the secret both ways, and its error message.
  context(
      "FROM busybox\n"
      "RUN --mount=type=secret,id=s,env=S_ENV grep -q no-such-text /run/secrets/s\n");
  EXPECT_EQ(mybuild(a_, build_args("plain")), 1) << printed_;
  EXPECT_EQ(mybuild(a_, build_args("rawjson")), 1) << printed_;
  // Bearer: push with the token server's Basic credentials, pull into another store.
  std::string bearer_tag = bearer_->domain() + "/t/app:1";
  ASSERT_EQ(mybuild(a_, {"push", "busybox", bearer_tag}), 0) << printed_;
  ASSERT_EQ(mybuild(b_, {"pull", bearer_tag}), 0) << printed_;
  ASSERT_EQ(mybuild(b_, {"pull", basic_tag}), 0) << printed_;
  // A refused password on both, whose error must not echo what was sent.
  registry::DockerConfig(work_.path() / "docker/config.json")
      .store(basic_->domain(), {"alice", kPassword + "-wrong", "", ""});
  EXPECT_NE(mybuild(b_, {"pull", basic_->domain() + "/s/other:1"}), 0) << printed_;

  std::vector<std::string> needles = {kSecret, kPassword, kTokenPassword,
                                      common::base64_encode("alice:" + kPassword),
                                      common::base64_encode("tokenuser:" + kTokenPassword)};
  auto issued = tokens_->issued_tokens();
  ASSERT_GE(issued.size(), 3u) << "the Bearer flow was not exercised";
  needles.insert(needles.end(), issued.begin(), issued.end());
  std::string found = leaks(needles, {a_, b_});
  for (const auto& p : {"plain", "rawjson", "tty"}) {
    auto meta = work_.path() / (std::string("meta-") + p + ".json");
    if (!fs::exists(meta)) continue;
    std::string text = common::read_file(meta);
    for (const auto& n : needles) {
      if (text.find(n) != std::string::npos) found += meta.string() + " holds \"" + n + "\"\n";
    }
  }
  EXPECT_EQ(found, "");
  EXPECT_TRUE(fs::exists(work_.path() / "meta-plain.json"));
}

}  // namespace
}  // namespace mybuild::store_commands_testing
