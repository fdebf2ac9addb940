// Faults between the client and a real registry (fault_proxy.py): resets mid-blob, 500s, 429
// with Retry-After, stalls and corrupted bytes. Transient faults are retried to success (with a
// Range resume for a reset download); corruption and endless stalls fail clearly.
#include <gtest/gtest.h>

#include <chrono>

#include "common/error.h"
#include "common/io.h"
#include "registry/client.h"
#include "tests/registry/registry_server.h"
#include "tests/registry/test_image.h"

namespace mybuild::registry::testing {
namespace {

class Faults : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_registry()) GTEST_SKIP() << "docker-registry is not installed (deps/registry.txt)";
    server_ = std::make_unique<RegistryServer>();
    rules(R"([])");
    proxy_ = std::make_unique<ScriptServer>(
        "fault_proxy.py", std::vector<std::string>{std::to_string(server_->port()),
                                                   (dir_.path() / "rules.json").string(),
                                                   (dir_.path() / "proxy.log").string()});
  }
  void rules(const std::string& json) {
    common::write_file_atomic(dir_.path() / "rules.json", json);
  }
  std::string proxy_log() { return common::read_file(dir_.path() / "proxy.log"); }
  Reference ref(const std::string& rest) { return parse_reference(proxy_->domain() + "/" + rest); }
  // Pushes directly (no faults) and returns the image.
  TestImage seed(const std::string& rest) {
    Client direct(test_options(dir_));
    auto img = make_image("amd64", {pseudo_random(200000, 21), pseudo_random(3000, 22)});
    push_image(direct, parse_reference(server_->domain() + "/" + rest), img);
    return img;
  }
  common::TempDir dir_;
  std::unique_ptr<RegistryServer> server_;
  std::unique_ptr<ScriptServer> proxy_;
};

TEST_F(Faults, ResetMidBlobResumesWithRange) {
  auto img = seed("f/reset:1");
  rules(R"([{"method": "GET", "path": "/blobs/", "action": "reset", "count": 1}])");
  Client c(test_options(dir_));
  common::StringWriter w;
  c.fetch_blob(ref("f/reset:1"), img.layers[0].desc, w);
  EXPECT_EQ(w.str(), img.layers[0].data);
  // The second request asked only for what was missing.
  EXPECT_NE(proxy_log().find(" bytes="), std::string::npos) << proxy_log();
}

TEST_F(Faults, ServerErrorsAndRateLimitsAreRetried) {
  auto img = seed("f/retry:1");
  rules(R"([{"method": "GET", "path": "/manifests/", "action": "status500", "count": 2},
            {"method": "GET", "path": "/blobs/", "action": "status429", "count": 1}])");
  Client c(test_options(dir_));
  auto t0 = std::chrono::steady_clock::now();
  auto got = c.resolve(ref("f/retry:1"), common::Platform::parse("linux/amd64"));
  EXPECT_EQ(got.root.body, img.manifest.data);
  common::StringWriter w;
  c.fetch_blob(ref("f/retry:1"), got.layers[1], w);
  EXPECT_EQ(w.str(), img.layers[1].data);
  // Retry-After: 1 was honoured rather than our 20 ms test backoff.
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(900));
}

TEST_F(Faults, CorruptionFailsWithIntegrityError) {
  auto img = seed("f/corrupt:1");
  rules(R"([{"method": "GET", "path": "/blobs/", "action": "corrupt", "count": 99}])");
  Client c(test_options(dir_));
  common::StringWriter w;
  try {
    c.fetch_blob(ref("f/corrupt:1"), img.layers[1].desc, w);
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kIntegrity);
    EXPECT_NE(e.full_message().find("expected " + img.layers[1].desc.digest.str()),
              std::string::npos)
        << e.full_message();
  }
  rules(R"([{"method": "GET", "path": "/manifests/", "action": "corrupt", "count": 99}])");
  try {
    c.fetch_manifest(ref("f/corrupt@" + img.manifest.desc.digest.str()));
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kIntegrity) << e.full_message();
  }
}

TEST_F(Faults, StallIsATimeoutNotAHang) {
  seed("f/stall:1");
  rules(R"([{"method": "GET", "path": "/manifests/", "action": "stall", "count": 99}])");
  auto o = test_options(dir_);
  o.transport.low_speed_time = std::chrono::seconds(1);
  o.max_attempts = 2;
  Client c(o);
  auto t0 = std::chrono::steady_clock::now();
  try {
    c.fetch_manifest(ref("f/stall:1"));
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kNetwork);
    EXPECT_NE(e.full_message().find("Timeout"), std::string::npos) << e.full_message();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(15));
}

TEST_F(Faults, PushThroughFaultsAndHtmlErrors) {
  rules(R"([{"method": "PUT", "path": "/blobs/uploads/", "action": "status500", "count": 1},
            {"method": "POST", "path": "/blobs/uploads/", "action": "status429", "count": 1},
            {"method": "PATCH", "path": "/blobs/uploads/", "action": "reset", "count": 1}])");
  auto o = test_options(dir_);
  o.monolithic_max = 64 << 10;
  o.chunk_size = 50 << 10;
  Client c(o);
  auto img = make_image("amd64", {pseudo_random(150000, 31), pseudo_random(1000, 32)});
  push_image(c, ref("f/push:1"), img);
  Client direct(test_options(dir_));
  auto r = parse_reference(server_->domain() + "/f/push:1");
  for (const auto& l : img.layers) {
    common::StringWriter w;
    direct.fetch_blob(r, l.desc, w);
    EXPECT_EQ(w.str(), l.data);
  }
  rules(R"([{"method": "GET", "action": "html502", "count": 99}])");
  auto o2 = test_options(dir_);
  o2.max_attempts = 2;
  Client c2(o2);
  try {
    c2.fetch_manifest(ref("f/push:1"));
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_NE(e.full_message().find("HTML page (\"502 Bad Gateway\")"), std::string::npos)
        << e.full_message();
  }
}

// Misbehaving servers (evil_registry.py): each a clear error, none a crash or a hang.
class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    evil_ = std::make_unique<ScriptServer>("evil_registry.py", std::vector<std::string>{});
  }
  common::Error resolve_error(const std::string& name) {
    auto o = test_options(dir_);
    o.transport.low_speed_time = std::chrono::seconds(1);
    o.max_attempts = 1;
    Client c(o);
    try {
      c.resolve(parse_reference(evil_->domain() + "/" + name + ":x"),
                common::Platform::parse("linux/amd64"));
    } catch (const common::Error& e) {
      return e;
    }
    ADD_FAILURE() << name << " resolved";
    return common::Error(common::ErrorKind::kInternal, "");
  }
  common::TempDir dir_;
  std::unique_ptr<ScriptServer> evil_;
};

TEST_F(BadInput, EachMisbehaviourIsAClearError) {
  struct Want {
    std::string name;
    common::ErrorKind kind;
    std::string text;
  };
  const Want wants[] = {
      {"malformed", common::ErrorKind::kIntegrity, "is not valid JSON"},
      {"wrongtype", common::ErrorKind::kIntegrity, "\"application/x-foo\", which is not an image"},
      {"schema1", common::ErrorKind::kUsage, "schema 1"},
      {"redirect", common::ErrorKind::kNetwork, "redirects"},
      {"html", common::ErrorKind::kNotFound, "HTML page (\"Not Found\")"},
      {"huge", common::ErrorKind::kIntegrity, "larger than"},
      {"never", common::ErrorKind::kNetwork, "Timeout"},
  };
  for (const auto& w : wants) {
    auto e = resolve_error(w.name);
    EXPECT_EQ(e.kind(), w.kind) << w.name << ": " << e.full_message();
    EXPECT_NE(e.full_message().find(w.text), std::string::npos)
        << w.name << ": " << e.full_message();
  }
}

TEST_F(BadInput, DigestMismatchAndOversizedBlob) {
  Client c(test_options(dir_));
  auto asked = common::Digest::sha256_of("something else");
  try {
    c.fetch_manifest(parse_reference(evil_->domain() + "/lying@" + asked.str()));
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kIntegrity);
    EXPECT_NE(e.full_message().find("not the " + asked.str()), std::string::npos);
  }
  common::Descriptor d;
  d.digest = common::Digest::sha256_of("x");
  d.size = 10;
  common::StringWriter w;
  try {
    c.fetch_blob(parse_reference(evil_->domain() + "/absurd"), d, w);
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kIntegrity);
  }
  EXPECT_LE(w.str().size(), 10u);
}

}  // namespace
}  // namespace mybuild::registry::testing
