// The mybuild binary as a user runs it: tag, push, pull (also through a docker.io mirror),
// images, inspect and rmi, with their output asserted, against a real docker-registry.
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "common/media_types.h"
#include "tests/store_commands/fixture.h"

namespace mybuild::store_commands_testing {
namespace {

using nlohmann::json;

class Cli : public WithRegistry {
 protected:
  // Runs `mybuild --root <store> args...` with stdout and stderr together.
  Ran mybuild(const fs::path& store, std::vector<std::string> args) {
    args.insert(args.begin(), {MYBUILD_BINARY, "--root", store.string()});
    Ran r{0, {}};
    r.code = registry::testing::run_command(args, &r.out);
    return r;
  }
  fs::path a_ = work_.path() / "a";
  fs::path b_ = work_.path() / "b";
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST_F(Cli, TagPushPullImagesInspectRmi) {
  auto imported = import(a_, "busybox:latest");
  std::string name = on_registry("cli/app:v1");
  ASSERT_EQ(mybuild(a_, {"tag", "busybox", name}).code, 0);

  Ran push = mybuild(a_, {"push", name});
  ASSERT_EQ(push.code, 0) << push.out;
  EXPECT_TRUE(contains(push.out, "The push refers to repository [" + on_registry("cli/app") + "]"))
      << push.out;
  EXPECT_TRUE(contains(push.out, imported.layer_digest.substr(7, 12) + ": Pushed")) << push.out;
  EXPECT_FALSE(contains(push.out, imported.config_digest.substr(7, 12)))
      << "docker lists layers only";
  auto info = fs::file_size(a_ / "oci/blobs/sha256" / imported.manifest_digest.substr(7));
  EXPECT_TRUE(contains(
      push.out, "v1: digest: " + imported.manifest_digest + " size: " + std::to_string(info)))
      << push.out;
  Ran again = mybuild(a_, {"push", name});
  EXPECT_TRUE(contains(again.out, imported.layer_digest.substr(7, 12) + ": Layer already exists"))
      << again.out;
  // To another destination, as podman push SOURCE DEST does.
  Ran to = mybuild(a_, {"push", "busybox", on_registry("cli/other:v9")});
  EXPECT_TRUE(contains(to.out, "v9: digest: " + imported.manifest_digest)) << to.out;

  Ran pull = mybuild(b_, {"pull", "--insecure-registry", server_->domain(), name});
  ASSERT_EQ(pull.code, 0) << pull.out;
  EXPECT_EQ(lines_of(pull.out),
            (std::vector<std::string>{"v1: Pulling from cli/app",
                                      imported.layer_digest.substr(7, 12) + ": Pull complete",
                                      "Digest: " + imported.manifest_digest,
                                      "Status: Downloaded newer image for " + name, name}));
  Ran up = mybuild(b_, {"pull", name});
  EXPECT_TRUE(contains(up.out, "Already exists")) << up.out;
  EXPECT_TRUE(contains(up.out, "Status: Image is up to date for " + name)) << up.out;

  std::string id12 = imported.config_digest.substr(7, 12);
  auto table = lines_of(mybuild(b_, {"images"}).out);
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table[0].rfind("REPOSITORY", 0), 0u);
  EXPECT_EQ(table[1].rfind(on_registry("cli/app") + "   v1    " + id12 + "   ", 0), 0u)
      << table[0] << "\n"
      << table[1];
  EXPECT_EQ(mybuild(b_, {"images", "-q"}).out, id12 + "\n");
  EXPECT_TRUE(contains(mybuild(b_, {"images", "--digests"}).out, imported.manifest_digest));
  json row = json::parse(mybuild(b_, {"images", "--format", "json"}).out);
  EXPECT_EQ(row["Tag"], "v1");
  EXPECT_EQ(row["Digest"], imported.manifest_digest);

  Ran inspect = mybuild(b_, {"inspect", name});
  ASSERT_EQ(inspect.code, 0) << inspect.out;
  json j = json::parse(inspect.out);
  EXPECT_EQ(j[0]["Id"], imported.config_digest);
  EXPECT_EQ(j[0]["RepoTags"], json::array({name}));
  EXPECT_EQ(j[0]["RepoDigests"], json::array({on_registry("cli/app@") + imported.manifest_digest}));
  EXPECT_EQ(j[0]["RootFS"]["Layers"], json::array({imported.diff_id}));
  EXPECT_EQ(j[0]["Manifest"]["Digest"], imported.manifest_digest);
  EXPECT_EQ(common::Digest::sha256_of(j[0]["Manifest"]["Raw"].get<std::string>()).str(),
            imported.manifest_digest);

  Ran rmi = mybuild(b_, {"rmi", name});
  EXPECT_EQ(rmi.code, 0) << rmi.out;
  EXPECT_EQ(rmi.out, "Untagged: " + name + "\n");
  EXPECT_EQ(lines_of(mybuild(b_, {"images"}).out).size(), 1u);
  Ran gone = mybuild(b_, {"rmi", name});
  EXPECT_EQ(gone.code, 1);
  EXPECT_TRUE(contains(gone.out, "no such image: " + name)) << gone.out;
}

TEST_F(Cli, PullThroughADockerHubMirror) {
  // The image is on the mirror only: without --registry-mirror this would go to Docker Hub.
  import(a_, "busybox:latest");
  ASSERT_EQ(mybuild(a_, {"push", "busybox", on_registry("library/busybox:mirrored")}).code, 0);
  Ran pull =
      mybuild(b_, {"pull", "--registry-mirror", "http://" + server_->domain(), "busybox:mirrored"});
  ASSERT_EQ(pull.code, 0) << pull.out;
  EXPECT_TRUE(contains(pull.out, "mirrored: Pulling from library/busybox")) << pull.out;
  EXPECT_TRUE(contains(pull.out, "Status: Downloaded newer image for busybox:mirrored"))
      << pull.out;
  EXPECT_TRUE(contains(pull.out, "\ndocker.io/library/busybox:mirrored\n")) << pull.out;
  EXPECT_TRUE(contains(mybuild(b_, {"images"}).out, "busybox      mirrored"));
}

TEST_F(Cli, ErrorsNameWhatFailed) {
  Ran missing = mybuild(b_, {"pull", on_registry("no/such:1")});
  EXPECT_EQ(missing.code, 1);
  EXPECT_TRUE(contains(missing.out, "not found")) << missing.out;
  EXPECT_TRUE(contains(missing.out, "pulling " + on_registry("no/such:1"))) << missing.out;
  // Nothing was tagged by the failed pull.
  EXPECT_EQ(lines_of(mybuild(b_, {"images"}).out).size(), 1u);
  Ran nopush = mybuild(b_, {"push", "busybox"});
  EXPECT_EQ(nopush.code, 1);
  EXPECT_TRUE(contains(nopush.out, "does not exist locally with the tag: busybox")) << nopush.out;
}

// inspect --remote answers from the registry, in the local inspect's shape, and pulls nothing:
// an index shows the platform asked for and lists the ones it offers.
TEST_F(Cli, InspectRemoteReadsTheRegistryWithoutPulling) {
  auto amd = import(a_, "multi:amd64", "linux/amd64");
  auto arm = import(a_, "multi:arm64", "linux/arm64/v8");
  {
    Store a(a_);
    common::Descriptor d_amd = *a.images.resolve("docker.io/library/multi:amd64");
    common::Descriptor d_arm = *a.images.resolve("docker.io/library/multi:arm64");
    d_amd.platform = common::Platform::parse("linux/amd64");
    d_arm.platform = common::Platform::parse("linux/arm64/v8");
    json index = {{"schemaVersion", 2},
                  {"mediaType", common::media_type::kOciIndex},
                  {"manifests", {d_amd, d_arm}}};
    common::Descriptor idx = a.content.put(index.dump(), common::media_type::kOciIndex);
    a.images.tag("docker.io/library/multi:both", idx);
  }
  std::string name = on_registry("cli/multi:v1");
  ASSERT_EQ(mybuild(a_, {"tag", "multi:both", name}).code, 0);
  ASSERT_EQ(mybuild(a_, {"push", name}).code, 0);

  Ran r = mybuild(b_, {"inspect", "--remote", "--platform", "linux/arm64", name});
  ASSERT_EQ(r.code, 0) << r.out;
  json j = json::parse(r.out).at(0);
  EXPECT_EQ(j["Id"], arm.config_digest);
  EXPECT_EQ(j["Architecture"], "arm64");
  EXPECT_EQ(j["Manifest"]["Digest"], arm.manifest_digest);
  // Normalised as containerd does: arm64's v8 is the default variant.
  EXPECT_EQ(j["Index"]["Platforms"], json({"linux/amd64", "linux/arm64"}));
  EXPECT_EQ(j["RepoTags"], json({name}));
  std::string index_digest = j["Index"]["Digest"];
  EXPECT_EQ(j["RepoDigests"], json({on_registry("cli/multi") + "@" + index_digest}));
  EXPECT_EQ(j["Size"], arm.layer_size);
  EXPECT_FALSE(fs::exists(b_)) << "inspect --remote must not create or fill a store";

  // The same fields as the local inspect of that image.
  Ran local = mybuild(a_, {"inspect", "multi:arm64"});
  ASSERT_EQ(local.code, 0) << local.out;
  json l = json::parse(local.out).at(0);
  for (const char* key : {"Id", "Config", "RootFS", "Os", "Architecture", "Created", "Size"}) {
    EXPECT_EQ(j[key], l[key]) << key;
  }
  EXPECT_EQ(j["Manifest"]["Raw"], l["Manifest"]["Raw"]);

  // The default platform is this host's.
  Ran host = mybuild(b_, {"inspect", "--remote", name});
  ASSERT_EQ(host.code, 0) << host.out;
  EXPECT_EQ(json::parse(host.out).at(0)["Id"], amd.config_digest);

  Ran missing = mybuild(b_, {"inspect", "--remote", on_registry("cli/multi:nope")});
  EXPECT_NE(missing.code, 0);
  EXPECT_TRUE(contains(missing.out, "cli/multi:nope")) << missing.out;
  Ran platform = mybuild(b_, {"inspect", "--remote", "--platform", "linux/s390x", name});
  EXPECT_NE(platform.code, 0);
  EXPECT_TRUE(contains(platform.out, "s390x")) << platform.out;
  Ran local_only = mybuild(a_, {"inspect", "--platform", "linux/arm64", "multi:arm64"});
  EXPECT_EQ(local_only.code, 2) << local_only.out;
  EXPECT_TRUE(contains(local_only.out, "--platform only applies with --remote")) << local_only.out;
}

}  // namespace
}  // namespace mybuild::store_commands_testing
