// Registries that lie (fault_proxy.py's hostile actions in front of real docker-registry
// servers, and evil_registry.py): a redirect to another host gets no credentials, a Location
// with another scheme is refused, an endless body and a slow-loris end in clear errors within
// bounds, a short blob is never taken for a whole one, an index naming itself does not loop,
// absurd token lifetimes neither overflow nor refetch, and a 200 HTML page is named as one.
#include <gtest/gtest.h>

#include <chrono>

#include "common/error.h"
#include "common/io.h"
#include "registry/client.h"
#include "tests/registry/registry_server.h"
#include "tests/registry/test_image.h"

namespace mybuild::registry::testing {
namespace {

using std::chrono::steady_clock;

const std::string kHostilePassword = "hostile-PA55-secret";

common::Error error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const common::Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error";
  return common::Error(common::ErrorKind::kInternal, "");
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A registry behind a fault proxy ("front"), and a second proxy in front of a second registry
// that plays "another host" (reached as localhost, another port), each logging what arrived.
class Hostile : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_registry()) GTEST_SKIP() << "docker-registry is not installed (deps/registry.txt)";
  }
  // `auth`: the front registry wants htpasswd Basic auth (alice, kHostilePassword).
  void start(bool auth) {
    RegistryOptions o;
    if (auth) o.htpasswd = std::pair{std::string("alice"), kHostilePassword};
    server_ = std::make_unique<RegistryServer>(o);
    other_ = std::make_unique<RegistryServer>();
    front_ = proxy(*server_, "front");
    elsewhere_ = proxy(*other_, "other");
    if (auth) {
      std::filesystem::create_directories(dir_.path() / "docker");
      DockerConfig(dir_.path() / "docker" / "config.json")
          .store(front_->domain(), Credentials{"alice", kHostilePassword, "", ""});
    }
  }
  std::unique_ptr<ScriptServer> proxy(const RegistryServer& to, const std::string& name) {
    common::write_file_atomic(dir_.path() / (name + ".json"), "[]");
    return std::make_unique<ScriptServer>(
        "fault_proxy.py", std::vector<std::string>{std::to_string(to.port()),
                                                   (dir_.path() / (name + ".json")).string(),
                                                   (dir_.path() / (name + ".log")).string()});
  }
  void rules(const std::string& name, const std::string& json) {
    common::write_file_atomic(dir_.path() / (name + ".json"), json);
  }
  std::string log(const std::string& name) {
    auto p = dir_.path() / (name + ".log");
    return std::filesystem::exists(p) ? common::read_file(p) : "";
  }
  std::string other_url() { return "http://localhost:" + std::to_string(elsewhere_->port()); }
  // Pushes an image through the front proxy (no faults yet) and, when asked, the same image to
  // the other registry under the same name.
  TestImage seed(const std::string& rest, bool also_other = false) {
    Client c(test_options(dir_));
    auto img = make_image("amd64", {pseudo_random(200000, 41), pseudo_random(3000, 42)});
    push_image(c, parse_reference(front_->domain() + "/" + rest), img);
    if (also_other) push_image(c, parse_reference(other_->domain() + "/" + rest), img);
    return img;
  }
  Reference ref(const std::string& rest) { return parse_reference(front_->domain() + "/" + rest); }

  common::TempDir dir_;
  std::unique_ptr<RegistryServer> server_, other_;
  std::unique_ptr<ScriptServer> front_, elsewhere_;
};

TEST_F(Hostile, RedirectToAnotherHostCarriesNoCredentials) {
  start(true);
  auto img = seed("h/redir:1", true);
  rules("front", R"([{"method": "GET", "path": "/blobs/", "action": "redirect", "count": 99,
                      "to": ")" +
                     other_url() + R"("}])");
  Client c(test_options(dir_));
  common::StringWriter w;
  c.fetch_blob(ref("h/redir:1"), img.layers[1].desc, w);
  EXPECT_EQ(w.str(), img.layers[1].data);
  // The front got Basic credentials; the other host got the request, without them.
  EXPECT_TRUE(has(log("front"), "/blobs/" + img.layers[1].desc.digest.str()));
  EXPECT_TRUE(has(log("front"), " redirect Basic")) << log("front");
  EXPECT_TRUE(has(log("other"), "/blobs/" + img.layers[1].desc.digest.str())) << log("other");
  EXPECT_FALSE(has(log("other"), "Basic")) << log("other");
  EXPECT_FALSE(has(log("other"), "Bearer")) << log("other");
}

TEST_F(Hostile, UploadLocationOnAnotherHostCarriesNoCredentials) {
  start(true);
  rules("front", R"([{"method": "POST", "path": "/blobs/uploads/", "action": "relocate",
                      "count": 99, "to": ")" +
                     other_url() + R"("}])");
  auto o = test_options(dir_);
  o.max_attempts = 2;
  Client c(o);
  auto img = make_image("amd64", {pseudo_random(5000, 43)});
  // The session is not the other registry's, so the upload fails there, clearly, and the
  // password never reaches it.
  auto e = error_of([&] { push_image(c, ref("h/upload:1"), img); });
  EXPECT_TRUE(has(e.full_message(), "pushing blob " + img.layers[0].desc.digest.str()))
      << e.full_message();
  EXPECT_TRUE(has(log("other"), "PUT /v2/h/upload/blobs/uploads/")) << log("other");
  EXPECT_FALSE(has(log("other"), "Basic")) << log("other");
  EXPECT_FALSE(has(e.full_message(), kHostilePassword));
}

TEST_F(Hostile, LocationWithAnotherSchemeIsRefused) {
  start(false);
  auto img = seed("h/scheme:1");
  for (const std::string to : {"file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/"}) {
    rules("front", R"([{"method": "GET", "path": "/manifests/", "action": "location",
                        "count": 99, "to": ")" +
                       to + R"("}])");
    auto o = test_options(dir_);
    o.max_attempts = 1;
    Client c(o);
    auto e = error_of([&] { c.fetch_manifest(ref("h/scheme:1")); });
    EXPECT_EQ(e.kind(), common::ErrorKind::kNetwork) << e.full_message();
    EXPECT_TRUE(has(e.full_message(), "fetching manifest")) << e.full_message();
    EXPECT_FALSE(has(e.full_message(), "root:x:0:0")) << e.full_message();
  }
  (void)img;
}

TEST_F(Hostile, EndlessBodyIsBounded) {
  start(false);
  auto img = seed("h/endless:1");
  rules("front", R"([{"method": "GET", "path": "/h/endless/", "action": "endless", "count": 99}])");
  auto o = test_options(dir_);
  o.max_attempts = 1;
  Client c(o);
  auto t0 = steady_clock::now();
  auto e = error_of([&] { c.fetch_manifest(ref("h/endless:1")); });
  EXPECT_EQ(e.kind(), common::ErrorKind::kIntegrity) << e.full_message();
  EXPECT_TRUE(has(e.full_message(), "larger than")) << e.full_message();
  common::StringWriter w;
  auto eb = error_of([&] { c.fetch_blob(ref("h/endless:1"), img.layers[0].desc, w); });
  EXPECT_EQ(eb.kind(), common::ErrorKind::kIntegrity) << eb.full_message();
  EXPECT_TRUE(has(eb.full_message(), "is larger than the 200000 bytes")) << eb.full_message();
  EXPECT_LE(w.str().size(), 200000u);
  EXPECT_LT(steady_clock::now() - t0, std::chrono::seconds(20));
}

TEST_F(Hostile, SlowLorisTimesOutAtTheLowSpeedLimit) {
  start(false);
  seed("h/slow:1");
  rules("front", R"([{"method": "GET", "path": "/manifests/", "action": "drip", "count": 99}])");
  auto o = test_options(dir_);
  o.transport.low_speed_time = std::chrono::seconds(1);
  o.transport.low_speed_limit = 100;  // the proxy drips 10 bytes/s
  o.max_attempts = 2;
  Client c(o);
  auto t0 = steady_clock::now();
  auto e = error_of([&] { c.fetch_manifest(ref("h/slow:1")); });
  EXPECT_EQ(e.kind(), common::ErrorKind::kNetwork) << e.full_message();
  EXPECT_TRUE(has(e.full_message(), "Less than 100 bytes/sec")) << e.full_message();
  EXPECT_LT(steady_clock::now() - t0, std::chrono::seconds(15));
}

TEST_F(Hostile, ShortOrWrongBlobIsNeverWhole) {
  start(false);
  auto img = seed("h/short:1");
  auto o = test_options(dir_);
  o.max_attempts = 3;
  Client c(o);
  // Always cut short: each resume gets half of what is left, and the client gives up clearly.
  rules("front", R"([{"method": "GET", "path": "/blobs/", "action": "truncate", "count": 99}])");
  common::StringWriter w;
  auto e = error_of([&] { c.fetch_blob(ref("h/short:1"), img.layers[0].desc, w); });
  EXPECT_TRUE(has(e.full_message(), "of 200000 bytes")) << e.full_message();
  EXPECT_LT(w.str().size(), 200000u);
  // Cut once: the resume completes it.
  rules("front", R"([{"method": "GET", "path": "/blobs/", "action": "truncate", "count": 1}])");
  common::StringWriter w2;
  c.fetch_blob(ref("h/short:1"), img.layers[0].desc, w2);
  EXPECT_EQ(w2.str(), img.layers[0].data);
  // Descriptors with the wrong size for the right digest: never taken as whole.
  rules("front", "[]");
  auto d = img.layers[1].desc;
  d.size -= 10;
  common::StringWriter w3;
  auto e3 = error_of([&] { c.fetch_blob(ref("h/short:1"), d, w3); });
  EXPECT_EQ(e3.kind(), common::ErrorKind::kIntegrity) << e3.full_message();
  EXPECT_TRUE(has(e3.full_message(), "larger than the 2990 bytes")) << e3.full_message();
  d.size += 17;
  common::StringWriter w4;
  auto e4 = error_of([&] { c.fetch_blob(ref("h/short:1"), d, w4); });
  EXPECT_TRUE(has(e4.full_message(), "fetching blob " + d.digest.str())) << e4.full_message();
  EXPECT_LE(w4.str().size(), 3000u);
}

TEST_F(Hostile, Html200WhereJsonWasExpected) {
  start(false);
  seed("h/html:1");
  rules("front", R"([{"method": "GET", "path": "/manifests/", "action": "html200", "count": 99}])");
  Client c(test_options(dir_));
  auto e = error_of([&] { c.fetch_manifest(ref("h/html:1")); });
  EXPECT_EQ(e.kind(), common::ErrorKind::kIntegrity) << e.full_message();
  EXPECT_TRUE(has(e.full_message(), "HTTP 200 with an HTML page (\"Sign in\"), not a manifest"))
      << e.full_message();
}

TEST(HostileEvil, IndexThatNamesItselfDoesNotLoop) {
  common::TempDir dir;
  ScriptServer evil("evil_registry.py", {});
  Client c(test_options(dir));
  auto t0 = steady_clock::now();
  auto e = error_of([&] {
    c.resolve(parse_reference(evil.domain() + "/selfref:x"),
              common::Platform::parse("linux/amd64"));
  });
  EXPECT_EQ(e.kind(), common::ErrorKind::kIntegrity) << e.full_message();
  EXPECT_TRUE(has(e.full_message(), "not the sha256:")) << e.full_message();
  EXPECT_LT(steady_clock::now() - t0, std::chrono::seconds(10));
}

// Token lifetimes a token server should never send: negative means the 60 s minimum, 10^18
// (which would overflow the clock) is clamped; either way one token serves the whole pull.
TEST(HostileTokens, AbsurdExpiryNeitherOverflowsNorRefetches) {
  if (!have_registry()) GTEST_SKIP() << "docker-registry is not installed (deps/registry.txt)";
  for (const std::string expires : {"-5", "1000000000000000000", "1e30", "\"soon\""}) {
    common::TempDir dir, pki_dir;
    TestPki pki(pki_dir.path());
    TokenServerOptions to;
    to.expires_in = expires;
    TokenServer tokens(pki, to);
    RegistryOptions o;
    o.token = &tokens;
    o.token_pki = &pki;
    RegistryServer server(o);
    std::filesystem::create_directories(dir.path() / "docker");
    DockerConfig(dir.path() / "docker" / "config.json")
        .store(server.domain(), Credentials{to.user, to.password, "", ""});
    Client c(test_options(dir));
    auto r = parse_reference(server.domain() + "/tok/app:1");
    auto img = make_image("amd64", {pseudo_random(3000, 44), pseudo_random(3000, 45)});
    push_image(c, r, img);
    int after_push = tokens.tokens_issued();
    auto got = c.resolve(r, common::Platform::parse("linux/amd64"));
    for (const auto& l : got.layers) {
      common::StringWriter w;
      c.fetch_blob(r, l, w);
    }
    EXPECT_LE(after_push, 2) << "expires_in " << expires;
    // The pull's scope set is not the push's: one more token, reused for every request.
    EXPECT_LE(tokens.tokens_issued() - after_push, 1) << "expires_in " << expires;
  }
}

}  // namespace
}  // namespace mybuild::registry::testing
