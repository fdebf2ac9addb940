// The registry options of the mybuild binary (image/registry_options.h) against real
// docker-registry servers: pull mirrors for another registry and for docker.io from the config
// file and the flags, with fallback when a mirror is down or lacks the image; the
// --max-concurrent-transfers flag on build, pull and push; client certificates from a certs.d
// directory against a registry that requires them; an insecure registry on a non-loopback
// address from the config file; and a malformed config file.
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "tests/store_commands/fixture.h"

namespace mybuild::store_commands_testing {
namespace {

using nlohmann::json;
using registry::testing::RegistryOptions;
using registry::testing::RegistryServer;

class RegistryOptionsCli : public WithRegistry {
 protected:
  // Runs `mybuild --root <store> args...` with MYBUILD_CONFIG (config.json, certs.d) and
  // DOCKER_CONFIG pointing into the test's directory, never at the host's.
  Ran mybuild(const fs::path& store, std::vector<std::string> args) {
    args.insert(args.begin(),
                {"/usr/bin/env", std::string("MYBUILD_CONFIG=") + config_dir_.string(),
                 std::string("DOCKER_CONFIG=") + (work_.path() / "docker").string(), MYBUILD_BINARY,
                 "--root", store.string()});
    Ran r{0, {}};
    r.code = registry::testing::run_command(args, &r.out);
    return r;
  }
  void write_config(const json& j) { write_config_text(j.dump(2)); }
  void write_config_text(const std::string& text) {
    fs::create_directories(config_dir_);
    common::write_file_atomic(config_dir_ / "config.json", text);
  }
  // The manifest digest `ref` has in `store` ("" when it is not there).
  std::string digest_in(const fs::path& store, const std::string& ref) {
    Ran r = mybuild(store, {"inspect", ref});
    if (r.code != 0) return "";
    return json::parse(r.out)[0]["Manifest"]["Digest"].get<std::string>();
  }
  // Imports busybox into store a_ and pushes it to `dest`; returns its manifest digest.
  std::string push_busybox(const std::string& dest) {
    auto imported = import(a_, "busybox:latest");
    Ran r = mybuild(a_, {"push", "busybox", dest});
    EXPECT_EQ(r.code, 0) << r.out;
    return imported.manifest_digest;
  }

  fs::path config_dir_ = work_.path() / "config";
  fs::path a_ = work_.path() / "a";
  fs::path b_ = work_.path() / "b";
  fs::path c_ = work_.path() / "c";
};

// Repositories a registry stores (its filesystem driver's layout), for "nothing was pushed".
std::vector<std::string> repositories(const RegistryServer& r) {
  std::vector<std::string> out;
  fs::path root = r.dir() / "data/docker/registry/v2/repositories";
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::end(it); ++it) {
    if (it->path().filename() == "_manifests") out.push_back(it->path().parent_path().string());
  }
  return out;
}

// Blobs in a store's content store (an empty or missing store has none).
size_t blob_count(const fs::path& store) {
  std::error_code ec;
  size_t n = 0;
  for (auto it = fs::directory_iterator(store / "oci/blobs/sha256", ec); it != fs::end(it); ++it) {
    ++n;
  }
  return n;
}

TEST_F(RegistryOptionsCli, MirrorOfAnotherRegistryFromTheConfigFileWithFallback) {
  // The origin (server_) is empty; only the mirror holds the image.
  auto mirror = std::make_unique<RegistryServer>();
  std::string digest = push_busybox(mirror->domain() + "/team/app:v1");
  std::string ref = on_registry("team/app:v1");
  write_config({{"mirrors", {{server_->domain(), {std::string("http://") + mirror->domain()}}}}});
  Ran pull = mybuild(b_, {"pull", ref});
  ASSERT_EQ(pull.code, 0) << pull.out;
  EXPECT_TRUE(contains(pull.out, "Digest: " + digest)) << pull.out;
  EXPECT_EQ(digest_in(b_, ref), digest);

  // The mirror down: the pull falls back to the origin, which now has the image.
  mirror.reset();
  ASSERT_EQ(mybuild(a_, {"push", "busybox", ref}).code, 0);
  Ran fallback = mybuild(c_, {"pull", ref});
  ASSERT_EQ(fallback.code, 0) << fallback.out;
  EXPECT_TRUE(contains(fallback.out, std::string("trying http://") + server_->domain()))
      << fallback.out;
  EXPECT_EQ(digest_in(c_, ref), digest);

  // A mirror that is up but lacks the image: the origin serves it too.
  RegistryServer empty_mirror;
  write_config({{"mirrors", {{server_->domain(), {empty_mirror.domain()}}}}});
  fs::path d = work_.path() / "d";
  Ran missing = mybuild(d, {"pull", ref});
  ASSERT_EQ(missing.code, 0) << missing.out;
  EXPECT_TRUE(contains(missing.out, std::string("not found on ") + empty_mirror.domain()))
      << missing.out;
  EXPECT_EQ(digest_in(d, ref), digest);
}

TEST_F(RegistryOptionsCli, DockerHubMirrorsFromTheFileAfterTheFlags) {
  // busybox:mirrored is on server_ only; Docker Hub itself is never reached.
  std::string digest = push_busybox(on_registry("library/busybox:mirrored"));
  write_config({{"registry-mirrors", {std::string("http://") + server_->domain()}}});
  Ran pull = mybuild(b_, {"pull", "busybox:mirrored"});
  ASSERT_EQ(pull.code, 0) << pull.out;
  EXPECT_TRUE(contains(pull.out, "Status: Downloaded newer image for busybox:mirrored"))
      << pull.out;
  EXPECT_EQ(digest_in(b_, "busybox:mirrored"), digest);

  // A flag's mirror is tried first; it is down, so the file's serves the pull.
  int dead = registry::testing::free_port();
  Ran both =
      mybuild(c_, {"pull", "--registry-mirror",
                   std::string("http://127.0.0.1:") + std::to_string(dead), "busybox:mirrored"});
  ASSERT_EQ(both.code, 0) << both.out;
  EXPECT_TRUE(contains(both.out, std::string("127.0.0.1:") + std::to_string(dead))) << both.out;
  EXPECT_TRUE(contains(both.out, std::string("trying http://") + server_->domain())) << both.out;
  EXPECT_EQ(digest_in(c_, "busybox:mirrored"), digest);
}

TEST_F(RegistryOptionsCli, MaxConcurrentTransfers) {
  // A five-layer image (busybox and four COPY layers of 1 MiB), built and pushed by build.
  import(a_, "busybox:latest");
  fs::path ctx = work_.path() / "ctx";
  fs::create_directories(ctx);
  std::string dockerfile = "FROM busybox\n";
  for (int i = 0; i < 4; ++i) {
    std::string name = std::string("f") + std::to_string(i);
    common::write_file_atomic(ctx / name, registry::testing::pseudo_random(1 << 20, 7 + i));
    dockerfile += "COPY " + name + " /" + name + "\n";
  }
  common::write_file_atomic(ctx / "Dockerfile", dockerfile);
  std::string ref = on_registry("multi/app:1");
  Ran zero = mybuild(a_, {"build", "--max-concurrent-transfers", "0", "-t", ref, ctx.string()});
  EXPECT_EQ(zero.code, 2) << zero.out;
  EXPECT_TRUE(contains(zero.out, "--max-concurrent-transfers")) << zero.out;
  Ran built = mybuild(a_, {"build", "--progress", "plain", "--push", "--max-concurrent-transfers",
                           "8", "-t", ref, ctx.string()});
  ASSERT_EQ(built.code, 0) << built.out;
  // What the registry holds (the push compressed the store's uncompressed layers).
  std::string digest;

  for (const char* n : {"1", "8"}) {
    fs::path store = work_.path() / (std::string("pull-") + n);
    Ran pull = mybuild(store, {"pull", "--max-concurrent-transfers", n, ref});
    ASSERT_EQ(pull.code, 0) << n << ": " << pull.out;
    if (digest.empty()) digest = digest_in(store, ref);
    EXPECT_EQ(digest_in(store, ref), digest) << n;
    json layers = json::parse(mybuild(store, {"inspect", ref}).out)[0]["RootFS"]["Layers"];
    EXPECT_EQ(layers.size(), 5u) << n;
    std::string dest = on_registry(std::string("copy") + n + "/app:1");
    Ran push = mybuild(store, {"push", "--max-concurrent-transfers", n, ref, dest});
    ASSERT_EQ(push.code, 0) << n << ": " << push.out;
    EXPECT_TRUE(contains(push.out, "1: digest: " + digest)) << push.out;
    // What went up comes back whole.
    fs::path back = work_.path() / (std::string("back-") + n);
    ASSERT_EQ(mybuild(back, {"pull", dest}).code, 0);
    EXPECT_EQ(digest_in(back, dest), digest);
  }
  for (const char* cmd : {"pull", "push"}) {
    Ran bad = mybuild(b_, {cmd, "--max-concurrent-transfers", "0", ref});
    EXPECT_EQ(bad.code, 2) << cmd << ": " << bad.out;
    EXPECT_TRUE(contains(bad.out, "--max-concurrent-transfers")) << bad.out;
  }
  Ran word = mybuild(b_, {"pull", "--max-concurrent-transfers", "many", ref});
  EXPECT_EQ(word.code, 2) << word.out;
  // The file's value is checked the same way; a flag overrides it.
  write_config({{"max-concurrent-transfers", 0}});
  Ran file = mybuild(b_, {"pull", ref});
  EXPECT_EQ(file.code, 2) << file.out;
  EXPECT_TRUE(contains(file.out, (config_dir_ / "config.json").string() +
                                     ": \"max-concurrent-transfers\": must be an integer >= 1"))
      << file.out;
  EXPECT_EQ(blob_count(b_), 0u);
}

TEST_F(RegistryOptionsCli, ClientCertificatesFromCertsD) {
  registry::testing::TestPki pki(work_.path());
  RegistryOptions options;
  options.tls = &pki;
  options.client_ca = &pki;  // http.tls.clientcas: a client certificate is required
  RegistryServer tls(options);
  fs::path certs = config_dir_ / "certs.d" / tls.domain();
  fs::create_directories(certs);
  fs::copy_file(pki.ca_cert, certs / "ca.crt");
  std::string ref = tls.domain() + "/certs/app:1";
  import(a_, "busybox:latest");

  // Only the CA: the registry refuses the handshake; a clear error, nothing pushed or stored.
  Ran push = mybuild(a_, {"push", "busybox", ref});
  EXPECT_EQ(push.code, 1) << push.out;
  EXPECT_TRUE(contains(push.out, "TLS handshake")) << push.out;
  EXPECT_TRUE(contains(push.out, std::string("client.cert and client.key in ") + certs.string()))
      << push.out;
  EXPECT_FALSE(contains(push.out, "http://")) << "no plain-HTTP fallback: " << push.out;
  EXPECT_TRUE(repositories(tls).empty());
  Ran pull = mybuild(b_, {"pull", ref});
  EXPECT_EQ(pull.code, 1) << pull.out;
  EXPECT_TRUE(contains(pull.out, std::string("client.cert and client.key in ") + certs.string()))
      << pull.out;
  EXPECT_EQ(blob_count(b_), 0u);
  EXPECT_TRUE(digest_in(b_, ref).empty());

  // With the client pair (Docker's names: client.cert + client.key) both work.
  fs::copy_file(pki.client_cert, certs / "client.cert");
  fs::copy_file(pki.client_key, certs / "client.key");
  push = mybuild(a_, {"push", "busybox", ref});
  ASSERT_EQ(push.code, 0) << push.out << tls.log_tail();
  EXPECT_EQ(repositories(tls).size(), 1u);
  pull = mybuild(b_, {"pull", ref});
  ASSERT_EQ(pull.code, 0) << pull.out;
  EXPECT_EQ(digest_in(b_, ref), digest_in(a_, "busybox:latest"));
}

TEST_F(RegistryOptionsCli, InsecureRegistryOnANonLoopbackAddressFromTheConfigFile) {
  std::string ip = registry::testing::non_loopback_ipv4();
  if (ip.empty()) {
    GTEST_SKIP() << "no non-loopback IPv4 address here; builder/registry_options_test and "
                    "registry/insecure_test cover the decision";
  }
  RegistryOptions options;
  options.host = ip;
  RegistryServer plain(options);
  std::string ref = plain.domain() + "/lan/app:1";
  import(a_, "busybox:latest");

  // Not loopback and not listed: HTTPS only, which a plain-HTTP registry cannot speak.
  Ran refused = mybuild(a_, {"push", "busybox", ref});
  EXPECT_EQ(refused.code, 1) << refused.out;
  EXPECT_TRUE(contains(refused.out, std::string("https://") + plain.domain())) << refused.out;
  EXPECT_TRUE(repositories(plain).empty());

  write_config({{"insecure-registries", {plain.domain()}}});
  Ran push = mybuild(a_, {"push", "busybox", ref});
  ASSERT_EQ(push.code, 0) << push.out;
  std::string digest = digest_in(a_, "busybox:latest");

  write_config(json::object());
  Ran no = mybuild(b_, {"pull", ref});
  EXPECT_EQ(no.code, 1) << no.out;
  EXPECT_EQ(blob_count(b_), 0u);
  // A CIDR covers it too, and so does the flag.
  write_config({{"insecure-registries", {ip + "/32"}}});
  Ran cidr = mybuild(b_, {"pull", ref});
  ASSERT_EQ(cidr.code, 0) << cidr.out;
  EXPECT_EQ(digest_in(b_, ref), digest);
  write_config(json::object());
  Ran flag = mybuild(c_, {"pull", "--insecure-registry", plain.domain(), ref});
  ASSERT_EQ(flag.code, 0) << flag.out;
  EXPECT_EQ(digest_in(c_, ref), digest);
}

TEST_F(RegistryOptionsCli, MalformedConfigFileIsAUsageError) {
  std::string file = (config_dir_ / "config.json").string();
  std::string ref = on_registry("any/app:1");
  write_config_text("{\n  \"registry-mirrors\": [\"https://m.example\",\n}\n");
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"pull", ref},
                                             {"push", "busybox", ref},
                                             {"login", "-u", "u", "-p", "p", server_->domain()}}) {
    Ran r = mybuild(b_, args);
    EXPECT_EQ(r.code, 2) << args[0] << ": " << r.out;
    EXPECT_TRUE(contains(r.out, "error: ")) << args[0] << ": " << r.out;
    EXPECT_TRUE(contains(r.out, file + ": not valid JSON: parse error at line 3, column 1"))
        << args[0] << ": " << r.out;
  }
  write_config_text(R"({"insecure-registries": "a:5000"})");
  Ran r = mybuild(b_, {"pull", ref});
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(contains(r.out, file + ": \"insecure-registries\": must be a list of strings"))
      << r.out;
  write_config_text(R"({"registry-mirrors": ["ftp://m.example"]})");
  r = mybuild(b_, {"pull", ref});
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_TRUE(contains(r.out, "unsupported scheme \"ftp\"")) << r.out;
  EXPECT_EQ(blob_count(b_), 0u);

  // A build that pulls its base reads the file too; one that needs no registry does not.
  fs::path ctx = work_.path() / "ctx";
  fs::create_directories(ctx);
  common::write_file_atomic(ctx / "Dockerfile", "FROM " + ref + "\n");
  Ran build = mybuild(b_, {"build", "--progress", "plain", ctx.string()});
  EXPECT_EQ(build.code, 2) << build.out;
  EXPECT_TRUE(contains(build.out, file)) << build.out;
  // A missing file is no error (every other test runs without one).
  fs::remove(config_dir_ / "config.json");
  EXPECT_EQ(mybuild(b_, {"pull", ref}).code, 1);  // not found, not a config error
}

}  // namespace
}  // namespace mybuild::store_commands_testing
