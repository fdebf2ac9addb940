// pull_image and push_image against a real docker-registry: a round trip between two stores
// with identical digests, an idempotent second push, an index pulled for one platform, and
// interop with skopeo both ways (it reads what we push; we pull what it pushes).
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/media_types.h"
#include "image/pull.h"
#include "image/push.h"
#include "tests/store_commands/fixture.h"

namespace mybuild::store_commands_testing {
namespace {

using common::Descriptor;
using common::Platform;
using nlohmann::json;
using registry::testing::run_command;
namespace mt = common::media_type;

class Transfer : public WithRegistry {};

std::string blob_bytes(const snapshot::ContentStore& c, const common::Digest& d) {
  return common::read_file(c.blob_path(d), 64 << 20);
}

TEST_F(Transfer, PushThenPullIntoAnEmptyStoreKeepsEveryDigest) {
  Store a(work_.path() / "a"), b(work_.path() / "b");
  auto imported = import(a.path, "busybox:latest");
  Descriptor root = *a.images.resolve("docker.io/library/busybox:latest");
  registry::Client client(client_options());
  auto dest = registry::parse_reference(on_registry("lib/busybox:1"));

  std::vector<std::string> lines;
  auto first = image::push_image(a.content, root, client, dest,
                                 [&](std::string_view l) { lines.emplace_back(l); });
  EXPECT_EQ(first.digest.str(), imported.manifest_digest);
  EXPECT_EQ(first.blobs_uploaded, 2);  // the layer and the config
  EXPECT_EQ(first.blobs_existed, 0);
  EXPECT_EQ(
      first.bytes_uploaded,
      imported.layer_size + a.content.info(common::Digest::parse(imported.config_digest))->size);
  // One line, for the layer: docker does not list the config blob among what it pushed.
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(": Pushed"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[0].find(imported.config_digest.substr(7, 12)), std::string::npos) << lines[0];

  // Pushing again uploads nothing: every blob is found by HEAD.
  auto second = image::push_image(a.content, root, client, dest);
  EXPECT_EQ(second.digest, first.digest);
  EXPECT_EQ(second.blobs_uploaded, 0);
  EXPECT_EQ(second.blobs_existed, 2);
  EXPECT_EQ(second.bytes_uploaded, 0);

  lines.clear();
  auto pulled = image::pull_image(b.content, b.images, client, dest, Platform::host(),
                                  [&](std::string_view l) { lines.emplace_back(l); });
  EXPECT_EQ(pulled.root.digest.str(), imported.manifest_digest);
  EXPECT_EQ(pulled.manifest.digest.str(), imported.manifest_digest);
  EXPECT_EQ(pulled.config.digest.str(), imported.config_digest);
  ASSERT_EQ(pulled.layers.size(), 1u);
  EXPECT_EQ(pulled.layers[0].digest.str(), imported.layer_digest);
  EXPECT_EQ(lines,
            std::vector<std::string>{pulled.layers[0].digest.short_hex() + ": Pull complete"});
  // Byte for byte what the first store holds, and tagged under the normalised name.
  for (const auto& d : {pulled.root.digest, pulled.config.digest, pulled.layers[0].digest}) {
    EXPECT_EQ(blob_bytes(b.content, d), blob_bytes(a.content, d)) << d.str();
  }
  EXPECT_EQ(b.images.resolve(dest.str())->digest, pulled.root.digest);
  auto found = image::find_local_image(b.content, b.images, dest, Platform::host());
  ASSERT_TRUE(found);
  EXPECT_EQ(found->layers, pulled.layers);

  // A second pull fetches no blob again.
  lines.clear();
  image::pull_image(b.content, b.images, client, dest, Platform::host(),
                    [&](std::string_view l) { lines.emplace_back(l); });
  EXPECT_EQ(lines,
            std::vector<std::string>{pulled.layers[0].digest.short_hex() + ": Already exists"});
}

TEST_F(Transfer, IndexPushedWholeAndPulledForOnePlatform) {
  Store a(work_.path() / "a"), b(work_.path() / "b");
  auto amd = import(a.path, "multi:amd64", "linux/amd64");
  auto arm = import(a.path, "multi:arm64", "linux/arm64/v8");
  ASSERT_NE(amd.manifest_digest, arm.manifest_digest);
  Descriptor d_amd = *a.images.resolve("docker.io/library/multi:amd64");
  Descriptor d_arm = *a.images.resolve("docker.io/library/multi:arm64");
  d_amd.platform = Platform::parse("linux/amd64");
  d_arm.platform = Platform::parse("linux/arm64/v8");
  json index = {{"schemaVersion", 2}, {"mediaType", mt::kOciIndex}, {"manifests", {d_amd, d_arm}}};
  Descriptor idx = a.content.put(index.dump(), mt::kOciIndex);

  registry::Client client(client_options());
  auto dest = registry::parse_reference(on_registry("multi/app:1"));
  auto report = image::push_image(a.content, idx, client, dest);
  EXPECT_EQ(report.digest, idx.digest);
  // The layer is shared: two configs and one layer.
  EXPECT_EQ(report.blobs_uploaded, 3);

  auto pulled =
      image::pull_image(b.content, b.images, client, dest, Platform::parse("linux/arm64"));
  EXPECT_EQ(pulled.root.digest, idx.digest);
  EXPECT_EQ(pulled.manifest.digest.str(), arm.manifest_digest);
  EXPECT_EQ(pulled.config.digest.str(), arm.config_digest);
  EXPECT_EQ(blob_bytes(b.content, idx.digest), index.dump());
  EXPECT_TRUE(b.content.contains(common::Digest::parse(arm.manifest_digest)));
  EXPECT_FALSE(b.content.contains(common::Digest::parse(amd.manifest_digest)));
  EXPECT_FALSE(b.content.contains(common::Digest::parse(amd.config_digest)));
  EXPECT_EQ(b.images.resolve(dest.str())->media_type, mt::kOciIndex);

  // amd64 was not pulled: the local lookup says so, and a pull fills it in.
  EXPECT_FALSE(image::find_local_image(b.content, b.images, dest, Platform::parse("linux/amd64")));
  auto other = image::pull_image(b.content, b.images, client, dest, Platform::parse("linux/amd64"));
  EXPECT_EQ(other.config.digest.str(), amd.config_digest);
  EXPECT_TRUE(image::find_local_image(b.content, b.images, dest, Platform::parse("linux/arm64")));
  try {
    image::pull_image(b.content, b.images, client, dest, Platform::parse("linux/s390x"));
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kNotFound);
    EXPECT_NE(e.full_message().find("pulling " + dest.str()), std::string::npos)
        << e.full_message();
  }
}

TEST_F(Transfer, SkopeoReadsWhatWePushed) {
  if (!have("skopeo")) GTEST_SKIP() << "skopeo is not installed (deps/store_commands.txt)";
  Store a(work_.path() / "a");
  auto imported = import(a.path, "busybox:latest");
  registry::Client client(client_options());
  auto dest = registry::parse_reference(on_registry("lib/busybox:sk"));
  image::push_image(a.content, *a.images.resolve("docker.io/library/busybox:latest"), client, dest);

  std::string out;
  ASSERT_EQ(
      run_command({"skopeo", "inspect", "--tls-verify=false", "docker://" + dest.str()}, &out), 0)
      << out;
  json j = json::parse(out);
  EXPECT_EQ(j["Digest"], imported.manifest_digest);
  EXPECT_EQ(j["Layers"], json::array({imported.layer_digest}));
  // skopeo copy verifies every digest it fetches.
  fs::path copy = work_.path() / "copy";
  ASSERT_EQ(run_command({"skopeo", "copy", "--src-tls-verify=false", "docker://" + dest.str(),
                         "oci:" + copy.string() + ":bb"},
                        &out),
            0)
      << out;
}

TEST_F(Transfer, WePullWhatSkopeoPushed) {
  if (!have("skopeo")) GTEST_SKIP() << "skopeo is not installed (deps/store_commands.txt)";
  Store a(work_.path() / "a"), b(work_.path() / "b");
  auto imported = import(a.path, "busybox:latest");
  auto dest = registry::parse_reference(on_registry("sk/busybox:2"));
  std::string out;
  ASSERT_EQ(run_command({"skopeo", "copy", "--dest-tls-verify=false",
                         "oci:" + a.content.layout_dir().string() + ":busybox:latest",
                         "docker://" + dest.str()},
                        &out),
            0)
      << out;
  ASSERT_EQ(
      run_command({"skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + dest.str()},
                  &out),
      0)
      << out;
  std::string manifest = out;

  registry::Client client(client_options());
  auto pulled = image::pull_image(b.content, b.images, client, dest, Platform::host());
  EXPECT_EQ(pulled.root.digest, common::Digest::sha256_of(manifest));
  EXPECT_EQ(blob_bytes(b.content, pulled.root.digest), manifest);
  json m = json::parse(manifest);
  ASSERT_EQ(pulled.layers.size(), 1u);
  EXPECT_EQ(pulled.layers[0].digest.str(), m["layers"][0]["digest"]);
  EXPECT_EQ(pulled.config.digest.str(), m["config"]["digest"]);
  // skopeo does not recompress an OCI layer it copies: the bytes are ours.
  EXPECT_EQ(pulled.layers[0].digest.str(), imported.layer_digest);
}

}  // namespace
}  // namespace mybuild::store_commands_testing
