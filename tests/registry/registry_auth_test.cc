// Authentication against real servers: htpasswd Basic auth, TLS with a test CA through a
// certs.d directory, and the Bearer token flow with token_server.py (anonymous, Basic to the
// token endpoint, OAuth2 refresh token, token reuse per scope, scope upgrade for a mount).
// Secrets must not appear in any error or log line.
#include <gtest/gtest.h>

#include "common/error.h"
#include "common/io.h"
#include "common/log.h"
#include "registry/client.h"
#include "tests/registry/registry_server.h"
#include "tests/registry/test_image.h"

namespace mybuild::registry::testing {
namespace {

const std::string kPassword = "pa55:w0rd-SECRET";

void write_auths(const common::TempDir& dir, const std::string& domain, const std::string& user,
                 const std::string& password) {
  std::filesystem::create_directories(dir.path() / "docker");
  DockerConfig(dir.path() / "docker" / "config.json")
      .store(domain, Credentials{user, password, "", ""});
}

common::Error catch_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const common::Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error";
  return common::Error(common::ErrorKind::kInternal, "");
}

class Auth : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_registry()) GTEST_SKIP() << "docker-registry is not installed (deps/registry.txt)";
  }
  common::TempDir dir_;
};

TEST_F(Auth, HtpasswdBasic) {
  RegistryOptions o;
  o.htpasswd = std::pair{std::string("alice"), kPassword};
  RegistryServer server(o);
  auto r = parse_reference(server.domain() + "/basic/app:1");
  auto img = make_image("amd64", {pseudo_random(2000, 1)});
  {
    Client anonymous(test_options(dir_));
    auto e = catch_error([&] { push_image(anonymous, r, img); });
    EXPECT_EQ(e.kind(), common::ErrorKind::kAuth);
    EXPECT_NE(e.full_message().find("mybuild login " + server.domain()), std::string::npos)
        << e.full_message();
  }
  write_auths(dir_, server.domain(), "alice", "wrong-" + kPassword);
  {
    Client wrong(test_options(dir_));
    auto e = catch_error([&] { push_image(wrong, r, img); });
    EXPECT_EQ(e.kind(), common::ErrorKind::kAuth);
    EXPECT_NE(e.full_message().find("config file"), std::string::npos) << e.full_message();
    EXPECT_NE(e.full_message().find("repository:basic/app:pull,push"), std::string::npos);
    EXPECT_EQ(e.full_message().find(kPassword), std::string::npos);
    EXPECT_THROW(wrong.check_login(server.domain(), {"alice", "nope", "", "given"}), common::Error);
  }
  write_auths(dir_, server.domain(), "alice", kPassword);
  Client good(test_options(dir_));
  push_image(good, r, img);
  EXPECT_EQ(good.resolve(r, common::Platform::parse("linux/amd64")).root.body, img.manifest.data);
  EXPECT_NO_THROW(good.check_login(server.domain(), {"alice", kPassword, "", "given"}));
}

TEST_F(Auth, TlsWithCertsDirCa) {
  common::TempDir pki_dir;
  TestPki pki(pki_dir.path());
  RegistryOptions o;
  o.tls = &pki;
  RegistryServer server(o);
  auto r = parse_reference(server.domain() + "/tls/app:1");
  auto img = make_image("amd64", {pseudo_random(2000, 2)});
  {
    // Loopback, but it speaks TLS with an unknown CA: an error, not a downgrade to HTTP.
    Client untrusting(test_options(dir_));
    auto e = catch_error([&] { push_image(untrusting, r, img); });
    EXPECT_EQ(e.kind(), common::ErrorKind::kNetwork);
    EXPECT_NE(e.full_message().find("ca.crt"), std::string::npos) << e.full_message();
  }
  auto certs = dir_.path() / "certs.d" / server.domain();
  std::filesystem::create_directories(certs);
  std::filesystem::copy_file(pki.ca_cert, certs / "ca.crt");
  Client c(test_options(dir_));
  push_image(c, r, img);
  common::StringWriter w;
  c.fetch_blob(r, img.layers[0].desc, w);
  EXPECT_EQ(w.str(), img.layers[0].data);
}

// A registry reached over https whose Bearer challenge points at a plain-http token server: a
// downgrade that would send the password (Basic to the token server) and the token in clear.
TEST_F(Auth, HttpsRegistryWithHttpTokenRealmIsRefused) {
  common::TempDir pki_dir;
  TestPki pki(pki_dir.path());
  TokenServer tokens(pki);
  ASSERT_EQ(tokens.realm().rfind("http://", 0), 0u);
  RegistryServer server(
      RegistryOptions{.tls = &pki, .htpasswd = std::nullopt, .token = &tokens, .token_pki = &pki});
  auto certs = dir_.path() / "certs.d" / server.domain();
  std::filesystem::create_directories(certs);
  std::filesystem::copy_file(pki.ca_cert, certs / "ca.crt");
  write_auths(dir_, server.domain(), "tokenuser", "tokenpass");
  Client c(test_options(dir_));
  auto e = catch_error([&] {
    c.resolve(parse_reference(server.domain() + "/tok/app:1"), common::Platform::host());
  });
  EXPECT_EQ(e.kind(), common::ErrorKind::kAuth) << e.full_message();
  EXPECT_NE(e.full_message().find(tokens.realm()), std::string::npos) << e.full_message();
  EXPECT_NE(e.full_message().find("in clear"), std::string::npos) << e.full_message();
  EXPECT_EQ(tokens.tokens_issued(), 0);
  auto login = catch_error([&] {
    c.check_login(server.domain(), {"tokenuser", "tokenpass", "", "given"});
  });
  EXPECT_EQ(login.kind(), common::ErrorKind::kAuth) << login.full_message();
  EXPECT_EQ(tokens.tokens_issued(), 0);
}

class Token : public Auth {
 protected:
  void SetUp() override {
    Auth::SetUp();
    if (IsSkipped()) return;
    pki_ = std::make_unique<TestPki>(pki_dir_.path());
    tokens_ = std::make_unique<TokenServer>(*pki_);
    server_ = std::make_unique<RegistryServer>(RegistryOptions{
        .tls = nullptr, .htpasswd = std::nullopt, .token = tokens_.get(), .token_pki = pki_.get()});
  }
  Reference ref(const std::string& rest) { return parse_reference(server_->domain() + "/" + rest); }
  common::TempDir pki_dir_;
  std::unique_ptr<TestPki> pki_;
  std::unique_ptr<TokenServer> tokens_;
  std::unique_ptr<RegistryServer> server_;
};

TEST_F(Token, PushWithCredentialsPullAnonymouslyAndReuseTokens) {
  auto r = ref("tok/app:1");
  auto img = make_image("amd64", {pseudo_random(3000, 3), pseudo_random(3000, 4)});
  write_auths(dir_, server_->domain(), "tokenuser", "tokenpass");
  {
    Client c(test_options(dir_));
    push_image(c, r, img);
    int after_push = tokens_->tokens_issued();
    EXPECT_GE(after_push, 1);
    // The same scope again: served from the token cache.
    for (const auto& l : img.layers)
      EXPECT_EQ(c.push_blob(r, l.desc, reader_of(l.data)), PushOutcome::kExisted);
    EXPECT_EQ(tokens_->tokens_issued(), after_push);
  }
  common::TempDir empty;
  Client anon(test_options(empty));
  auto got = anon.resolve(r, common::Platform::parse("linux/amd64"));
  int after_resolve = tokens_->tokens_issued();
  for (const auto& l : got.layers) {
    common::StringWriter w;
    anon.fetch_blob(r, l, w);
  }
  EXPECT_EQ(tokens_->tokens_issued(), after_resolve);  // one pull token for all of it
  auto e = catch_error([&] {
    anon.push_manifest(ref("tok/app:2"), img.manifest.desc.media_type, img.manifest.data);
  });
  EXPECT_EQ(e.kind(), common::ErrorKind::kAuth);
  EXPECT_NE(e.full_message().find("anonymous"), std::string::npos) << e.full_message();
  EXPECT_NE(e.full_message().find("repository:tok/app:pull,push"), std::string::npos);
}

TEST_F(Token, WrongPasswordNamesSourceNotSecret) {
  write_auths(dir_, server_->domain(), "tokenuser", kPassword);
  common::log::set_level(common::log::Level::kDebug);
  ::testing::internal::CaptureStderr();
  Client c(test_options(dir_));
  auto e = catch_error([&] { c.resolve(ref("tok/x:1"), common::Platform::host()); });
  std::string logs = ::testing::internal::GetCapturedStderr();
  common::log::set_level(common::log::Level::kInfo);
  EXPECT_EQ(e.kind(), common::ErrorKind::kAuth);
  EXPECT_NE(e.full_message().find("config file"), std::string::npos) << e.full_message();
  EXPECT_NE(e.full_message().find("repository:tok/x:pull"), std::string::npos);
  for (const std::string& text : {e.full_message(), logs}) {
    EXPECT_EQ(text.find(kPassword), std::string::npos) << text;
    EXPECT_EQ(text.find("Authorization"), std::string::npos) << text;
    EXPECT_EQ(text.find("eyJ"), std::string::npos) << text;  // no JWT
  }
}

TEST_F(Token, IdentityTokenUsesOAuthAndMountUpgradesScope) {
  std::filesystem::create_directories(dir_.path() / "docker");
  DockerConfig(dir_.path() / "docker" / "config.json")
      .store(server_->domain(), Credentials{"", "", "refresh-tokenuser-0123456789", ""});
  Client c(test_options(dir_));
  auto blob = make_blob(pseudo_random(4000, 5), common::media_type::kOciLayerGzip);
  EXPECT_EQ(c.push_blob(ref("src/a"), blob.desc, reader_of(blob.data)), PushOutcome::kUploaded);
  EXPECT_EQ(c.push_blob(ref("dst/b"), blob.desc, reader_of(blob.data), ref("src/a")),
            PushOutcome::kMounted);
}

TEST_F(Token, CheckLogin) {
  Client c(test_options(dir_));
  EXPECT_NO_THROW(c.check_login(server_->domain(), {"tokenuser", "tokenpass", "", "given"}));
  auto e = catch_error([&] {
    c.check_login(server_->domain(),
                  {"tokenuser", "bad-" + kPassword, "", "the given credentials"});
  });
  EXPECT_EQ(e.kind(), common::ErrorKind::kAuth);
  EXPECT_EQ(e.full_message().find(kPassword), std::string::npos);
}

}  // namespace
}  // namespace mybuild::registry::testing
