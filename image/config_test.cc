#include "image/config.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace mybuild::image {
namespace {

// A config as Docker Hub's busybox has it, trimmed, with a key we do not model ("container").
constexpr const char* kBusybox = R"({
  "architecture": "amd64", "os": "linux", "created": "2024-09-26T21:31:42Z",
  "container": "abc",
  "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
             "Cmd": ["sh"], "Image": "sha256:1234", "ExposedPorts": {"80/tcp": {}},
             "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 30000000000, "Retries": 3}},
  "rootfs": {"type": "layers",
             "diff_ids": ["sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]},
  "history": [{"created": "2024-09-26T21:31:42Z", "created_by": "ADD file:x in / "},
              {"created": "2024-09-26T21:31:42Z", "created_by": "CMD [\"sh\"]", "empty_layer": true}]
})";

TEST(ImageConfig, ParsesDockerConfigAndKeepsUnknownKeys) {
  auto cfg = ImageConfig::parse(kBusybox);
  EXPECT_EQ(cfg.platform.str(), "linux/amd64");
  ASSERT_TRUE(cfg.config.cmd);
  EXPECT_EQ(*cfg.config.cmd, std::vector<std::string>{"sh"});
  EXPECT_EQ(cfg.config.exposed_ports, std::vector<std::string>{"80/tcp"});
  ASSERT_TRUE(cfg.config.healthcheck);
  EXPECT_EQ(cfg.config.healthcheck->interval_ns, 30'000'000'000);
  EXPECT_EQ(cfg.history.size(), 2u);
  EXPECT_TRUE(cfg.history[1].empty_layer);

  auto out = nlohmann::json::parse(cfg.to_json_text());
  EXPECT_EQ(out["container"], "abc");                // unmodelled top-level key survives
  EXPECT_EQ(out["config"]["Image"], "sha256:1234");  // unmodelled config key survives
  EXPECT_EQ(out["config"]["Healthcheck"]["Retries"], 3);
  EXPECT_EQ(ImageConfig::parse(cfg.to_json_text()).to_json_text(), cfg.to_json_text());
}

TEST(ImageConfig, SetEnvReplacesInPlace) {
  ContainerConfig c;
  c.set_env("A", "1");
  c.set_env("B", "2");
  c.set_env("A", "3");
  EXPECT_EQ(c.env, (std::vector<std::string>{"A=3", "B=2"}));
  EXPECT_EQ(c.get_env("A"), "3");
  EXPECT_EQ(c.get_env("AB"), std::nullopt);
  c.set_env("AB", "x");  // a name that is a prefix of another must not match it
  EXPECT_EQ(c.get_env("A"), "3");
  EXPECT_EQ(c.get_env("AB"), "x");
}

TEST(ImageConfig, EmptyListsAreOmittedAsGoOmitempty) {
  ImageConfig cfg;
  cfg.platform = common::Platform::parse("linux/amd64");
  cfg.config.cmd = std::vector<std::string>{};
  auto j = nlohmann::json::parse(cfg.to_json_text());
  EXPECT_FALSE(j["config"].contains("Cmd"));
  EXPECT_EQ(j["rootfs"]["type"], "layers");
  EXPECT_TRUE(j["rootfs"]["diff_ids"].is_array());
}

TEST(ImageConfig, RejectsMalformedAndInconsistent) {
  EXPECT_THROW(ImageConfig::parse("{"), common::Error);
  EXPECT_THROW(ImageConfig::parse("[]"), common::Error);
  // One non-empty history entry but no diff_ids.
  EXPECT_THROW(ImageConfig::parse(R"({"architecture":"amd64","os":"linux",
      "rootfs":{"type":"layers","diff_ids":[]},"history":[{"created_by":"RUN x"}]})"),
               common::Error);
}

// Found by fuzz/image_documents_fuzz.cc: Healthcheck durations that are floats out of int64's
// range were converted with undefined behaviour; they are refused as malformed.
TEST(ImageConfig, HealthcheckNumbersMustBeIntegers) {
  for (const char* field : {R"("Interval":1e300)", R"("Timeout":0.5)", R"("Retries":4294967296)"}) {
    const std::string text =
        std::string(R"({"os":"linux","config":{"Healthcheck":{"Test":["NONE"],)") + field + "}}}";
    EXPECT_THROW(ImageConfig::parse(text), common::Error) << field;
  }
  const auto cfg =
      ImageConfig::parse(R"({"config":{"Healthcheck":{"Interval":30000000000,"Retries":3}}})");
  ASSERT_TRUE(cfg.config.healthcheck);
  EXPECT_EQ(cfg.config.healthcheck->interval_ns, 30000000000);
  EXPECT_EQ(cfg.config.healthcheck->retries, 3);
}

}  // namespace
}  // namespace mybuild::image
