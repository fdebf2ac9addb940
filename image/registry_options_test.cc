// registry_options: the config file's schema and its errors, the flags' checks, and how flags
// and file combine into the client's options. Real pulls through mirrors and with client
// certificates run against docker-registry in tests/store_commands/registry_options_test.cc.
#include "image/registry_options.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>

#include "common/error.h"
#include "common/io.h"
#include "common/temp_dir.h"
#include "registry/client.h"

namespace mybuild::image {
namespace {

using Mirrors = std::map<std::string, std::vector<std::string>>;
using Strings = std::vector<std::string>;

// The message of the kUsage error `f` throws ("" when it throws nothing or something else).
template <typename F>
std::string options_error(F f) {
  try {
    f();
  } catch (const common::Error& e) {
    return e.kind() == common::ErrorKind::kUsage ? e.full_message()
                                                 : "wrong kind: " + e.full_message();
  }
  return "";
}

std::string config_error(const std::string& text) {
  return options_error([&] { parse_registry_config(text, "/etc/x/config.json"); });
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(RegistryConfig, ReadsEveryKey) {
  RegistryConfig c = parse_registry_config(R"({
      "registry-mirrors": ["https://mirror.gcr.io/", "hub-mirror.lan:5000"],
      "insecure-registries": ["registry.lan:5000", "http://other.lan", "10.0.0.0/8"],
      "max-concurrent-transfers": 8,
      "mirrors": {"ghcr.io": ["https://m2"], "Registry-1.Docker.IO": ["https://m3"]}})",
                                           "config.json");
  EXPECT_EQ(c.mirrors,
            (Mirrors{{"docker.io", {"https://mirror.gcr.io", "hub-mirror.lan:5000", "https://m3"}},
                     {"ghcr.io", {"https://m2"}}}));
  EXPECT_EQ(c.insecure_registries, (Strings{"registry.lan:5000", "other.lan", "10.0.0.0/8"}));
  EXPECT_EQ(c.max_concurrent_transfers, 8);
}

TEST(RegistryConfig, LowSpeedLimitReachesTheTransport) {
  RegistryConfig c =
      parse_registry_config(R"({"low-speed-limit": 4096, "low-speed-time": 7})", "config.json");
  auto o = registry_client_options(RegistryFlags{}, c);
  EXPECT_EQ(o.transport.low_speed_limit, 4096);
  EXPECT_EQ(o.transport.low_speed_time, std::chrono::seconds(7));
  auto d = registry_client_options(RegistryFlags{}, RegistryConfig{});
  EXPECT_EQ(d.transport.low_speed_limit, 1024);  // a slow-loris is caught by default too
  EXPECT_THROW(parse_registry_config(R"({"low-speed-time": 0})", "config.json"), common::Error);
}

// Kaniko's --push-retry N arrives as min_attempts N+1: it raises the client's attempts, and
// never lowers its default (Kaniko's default is 0 retries).
TEST(RegistryConfig, MinAttemptsOnlyRaises) {
  const int def = registry_client_options(RegistryFlags{}, RegistryConfig{}).max_attempts;
  RegistryFlags f;
  f.min_attempts = def + 5;
  EXPECT_EQ(registry_client_options(f, RegistryConfig{}).max_attempts, def + 5);
  f.min_attempts = 1;
  EXPECT_EQ(registry_client_options(f, RegistryConfig{}).max_attempts, def);
}

TEST(RegistryConfig, EmptyObjectAndUnknownKeysAreFine) {
  RegistryConfig c = parse_registry_config("{}", "config.json");
  EXPECT_TRUE(c.mirrors.empty());
  EXPECT_FALSE(c.max_concurrent_transfers);
  // Settings of other versions or other parts of mybuild are not errors here.
  c = parse_registry_config(R"({"debug": true, "registry-mirrors": []})", "config.json");
  EXPECT_TRUE(c.mirrors.empty());
}

TEST(RegistryConfig, MalformedFileNamesFileAndPlace) {
  std::string e = config_error("{\n  \"registry-mirrors\": [\"https://m\",]\n}");
  EXPECT_TRUE(contains(e, "/etc/x/config.json: not valid JSON")) << e;
  EXPECT_TRUE(contains(e, "line 2")) << e;
  EXPECT_FALSE(contains(e, "[json.exception")) << e;
  e = config_error("");
  EXPECT_TRUE(contains(e, "/etc/x/config.json: not valid JSON")) << e;
  e = config_error("[1, 2]");
  EXPECT_TRUE(contains(e, "/etc/x/config.json: must hold a JSON object, got array")) << e;
}

TEST(RegistryConfig, WrongTypesNameTheKey) {
  std::string e = config_error(R"({"registry-mirrors": "https://m"})");
  EXPECT_TRUE(contains(e, "/etc/x/config.json: \"registry-mirrors\": must be a list of strings"))
      << e;
  e = config_error(R"({"insecure-registries": ["a:1", 5]})");
  EXPECT_TRUE(contains(e, "\"insecure-registries\": must be a list of strings, got the entry 5"))
      << e;
  e = config_error(R"({"mirrors": ["https://m"]})");
  EXPECT_TRUE(contains(e, "\"mirrors\": must map registry domains")) << e;
  e = config_error(R"({"mirrors": {"ghcr.io": "https://m"}})");
  EXPECT_TRUE(contains(e, "\"mirrors\": \"ghcr.io\": must be a list of strings")) << e;
  e = config_error(R"({"mirrors": {"not a host": ["https://m"]}})");
  EXPECT_TRUE(contains(e, "\"not a host\" is not a registry domain")) << e;
  for (const char* bad : {"0", "-1", "2.5", "\"4\"", "null", "99999999999"}) {
    e = config_error(std::string(R"({"max-concurrent-transfers": )") + bad + "}");
    EXPECT_TRUE(contains(
        e, "\"max-concurrent-transfers\": must be an integer >= 1, got " + std::string(bad)))
        << e;
  }
}

TEST(RegistryConfig, BadMirrorsAndInsecureEntries) {
  for (const char* bad : {"ftp://m.example", "https://m.example/?x=1", "https://m.example/#f",
                          "https://user:pw@m.example", "m.example/path", "", "https://",
                          "https://m.example:0", "https://m.example:65536", "m example"}) {
    std::string e = config_error(std::string(R"({"registry-mirrors": [")") + bad + "\"]}");
    EXPECT_TRUE(contains(e, "/etc/x/config.json: \"registry-mirrors\": ")) << bad << ": " << e;
  }
  for (const char* bad : {"ftp://h:5000", "h:5000/path", "h:port", "", "10.0.0.0/33"}) {
    std::string e = config_error(std::string(R"({"insecure-registries": [")") + bad + "\"]}");
    EXPECT_TRUE(contains(e, "\"insecure-registries\": insecure registry")) << bad << ": " << e;
  }
}

TEST(RegistryConfig, NormalisesEntries) {
  EXPECT_EQ(normalize_mirror("https://m.example/", "x"), "https://m.example");
  EXPECT_EQ(normalize_mirror("HTTP://127.0.0.1:5000", "x"), "http://127.0.0.1:5000");
  EXPECT_EQ(normalize_mirror("https://art.example/api/docker/remote/", "x"),
            "https://art.example/api/docker/remote");
  EXPECT_EQ(normalize_mirror("m.example:5000", "x"), "m.example:5000");
  EXPECT_EQ(normalize_mirror("https://[::1]:5000", "x"), "https://[::1]:5000");
  EXPECT_EQ(normalize_insecure_registry("https://h.example:5000/", "x"), "h.example:5000");
  EXPECT_EQ(normalize_insecure_registry("fd00::/8", "x"), "fd00::/8");
  EXPECT_EQ(normalize_insecure_registry("[fd00::1]:5000", "x"), "[fd00::1]:5000");
}

TEST(RegistryConfig, MissingFileIsEmptyAndAFileIsRead) {
  common::TempDir dir;
  RegistryConfig c = read_registry_config(dir.path() / "config.json");
  EXPECT_TRUE(c.mirrors.empty() && c.insecure_registries.empty());
  common::write_file_atomic(dir.path() / "config.json", R"({"max-concurrent-transfers": 2})");
  EXPECT_EQ(read_registry_config(dir.path() / "config.json").max_concurrent_transfers, 2);
  common::write_file_atomic(dir.path() / "config.json", "{oops");
  std::string e = options_error([&] { read_registry_config(dir.path() / "config.json"); });
  EXPECT_TRUE(contains(e, (dir.path() / "config.json").string() + ": not valid JSON")) << e;
  EXPECT_TRUE(contains(e, "reading mybuild's config file")) << e;
}

TEST(RegistryConfig, PathFollowsMybuildConfigThenHome) {
  const char* old_cfg = getenv("MYBUILD_CONFIG");
  const char* old_home = getenv("HOME");
  std::string saved_cfg = old_cfg ? old_cfg : "", saved_home = old_home ? old_home : "";
  setenv("MYBUILD_CONFIG", "/cfg/dir", 1);
  EXPECT_EQ(registry_config_path(), "/cfg/dir/config.json");
  unsetenv("MYBUILD_CONFIG");
  setenv("HOME", "/home/u", 1);
  EXPECT_EQ(registry_config_path(), "/home/u/.config/mybuild/config.json");
  if (old_cfg) setenv("MYBUILD_CONFIG", saved_cfg.c_str(), 1);
  if (old_home) setenv("HOME", saved_home.c_str(), 1);
}

TEST(RegistryClientOptions, DefaultsWithoutFlagsOrFile) {
  registry::ClientOptions o = registry_client_options({}, {});
  EXPECT_EQ(o.max_concurrent_transfers, 4);
  EXPECT_TRUE(o.mirrors.empty());
  EXPECT_TRUE(o.insecure_registries.empty());
}

TEST(RegistryClientOptions, FlagsComeFirstThenTheFile) {
  RegistryConfig file = parse_registry_config(R"({
      "registry-mirrors": ["https://file-mirror", "https://both"],
      "mirrors": {"ghcr.io": ["https://m2"]},
      "insecure-registries": ["file.lan:5000", "both.lan:5000"],
      "max-concurrent-transfers": 2})",
                                              "config.json");
  RegistryFlags flags;
  flags.mirrors = {"https://flag-mirror/", "https://both"};
  flags.insecure_registries = {"flag.lan:5000", "both.lan:5000"};
  registry::ClientOptions o = registry_client_options(flags, file);
  EXPECT_EQ(o.mirrors,
            (Mirrors{{"docker.io", {"https://flag-mirror", "https://both", "https://file-mirror"}},
                     {"ghcr.io", {"https://m2"}}}));
  EXPECT_EQ(o.insecure_registries, (Strings{"flag.lan:5000", "both.lan:5000", "file.lan:5000"}));
  EXPECT_EQ(o.max_concurrent_transfers, 2);  // the file's, no flag given
  flags.max_concurrent_transfers = 8;
  EXPECT_EQ(registry_client_options(flags, file).max_concurrent_transfers, 8);
}

TEST(RegistryClientOptions, BadFlagsAreUsageErrors) {
  RegistryFlags flags;
  flags.max_concurrent_transfers = 0;
  EXPECT_TRUE(contains(options_error([&] { registry_client_options(flags, {}); }),
                       "--max-concurrent-transfers: must be at least 1, got 0"));
  flags = {};
  flags.mirrors = {"ftp://m"};
  EXPECT_TRUE(contains(options_error([&] { registry_client_options(flags, {}); }),
                       "--registry-mirror: unsupported scheme \"ftp\""));
  flags = {};
  flags.insecure_registries = {"h:5000/x"};
  EXPECT_TRUE(contains(options_error([&] { registry_client_options(flags, {}); }),
                       "--insecure-registry: insecure registry \"h:5000/x\" is not"));
}

}  // namespace
}  // namespace mybuild::image
