// What pipelines read after `mybuild build --push`, checked against a real docker-registry with
// skopeo as the independent reader: --digest-file and --image-name-with-digest-file (Kaniko's
// formats), --metadata-file (buildx's keys), --annotation at each level, and the --provenance
// attestation as BuildKit lays it out. The builds only COPY (no sandbox needed).
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <vector>

#include "common/base64.h"
#include "common/digest.h"
#include "tests/store_commands/fixture.h"

namespace mybuild::store_commands_testing {
namespace {

using nlohmann::json;
using registry::testing::run_command;

class Outputs : public WithRegistry {
 protected:
  void SetUp() override {
    WithRegistry::SetUp();
    if (IsSkipped()) return;
    if (!have("skopeo")) GTEST_SKIP() << "skopeo is not installed (deps/store_commands.txt)";
    imported_ = import(store_, "busybox:latest");
    fs::create_directories(context_);
    common::write_file_atomic(context_ / "Dockerfile", kDockerfile);
    common::write_file_atomic(context_ / "a.txt", "a\n");
  }
  // `mybuild --root <store> build ARGS... <context>`; the output is returned, the exit checked.
  std::string build(std::vector<std::string> args) {
    args.insert(args.begin(),
                {MYBUILD_BINARY, "--root", store_.string(), "build", "--progress", "plain"});
    args.push_back(context_.string());
    std::string out;
    EXPECT_EQ(run_command(args, &out), 0) << out;
    return out;
  }
  std::string skopeo_raw(const std::string& ref) {
    std::string out;
    EXPECT_EQ(
        run_command({"skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + ref}, &out),
        0)
        << out;
    return out;
  }
  std::string file(const std::string& name) { return common::read_file(work_.path() / name); }
  std::string path(const std::string& name) { return (work_.path() / name).string(); }

  static constexpr const char* kDockerfile = "FROM busybox\nARG VERSION\nCOPY a.txt /a.txt\n";
  fs::path store_ = work_.path() / "store";
  fs::path context_ = work_.path() / "ctx";
  image::ImportResult imported_;
};

TEST_F(Outputs, DigestFilesAndMetadataAgreeWithTheRegistry) {
  const std::string v1 = on_registry("out/app:v1"), v2 = on_registry("out/app:v2");
  build({"-t", v1, "-t", v2, "--push", "--build-arg", "UNUSED=1", "--digest-file", path("digest"),
         "--image-name-with-digest-file", path("names"), "--metadata-file", path("meta.json")});
  const std::string raw = skopeo_raw(v1);
  const std::string digest = common::Digest::sha256_of(raw).str();
  EXPECT_EQ(file("digest"), digest) << "Kaniko's format: the digest, no newline";
  std::string inspect;
  ASSERT_EQ(run_command({"skopeo", "inspect", "--tls-verify=false", "docker://" + v2}, &inspect),
            0);
  EXPECT_EQ(json::parse(inspect)["Digest"], digest);
  EXPECT_EQ(file("names"),
            on_registry("out/app@") + digest + "\n" + on_registry("out/app@") + digest + "\n");

  json meta = json::parse(file("meta.json"));
  json manifest = json::parse(raw);
  EXPECT_EQ(meta["containerimage.digest"], digest);
  EXPECT_EQ(meta["containerimage.config.digest"], manifest["config"]["digest"]);
  EXPECT_EQ(meta["containerimage.descriptor"],
            json({{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                  {"digest", digest},
                  {"size", raw.size()}}));
  EXPECT_EQ(meta["image.name"], v1 + "," + v2);
  EXPECT_TRUE(std::regex_match(meta["buildx.build.ref"].get<std::string>(),
                               std::regex("mybuild/local/[a-z0-9]{25}")))
      << meta.dump();
  ASSERT_EQ(meta["buildx.build.warnings"].size(), 1u) << meta.dump();
  EXPECT_EQ(meta["buildx.build.warnings"][0]["level"], 1);
  EXPECT_EQ(common::base64_decode(meta["buildx.build.warnings"][0]["short"].get<std::string>()),
            "one or more build args were not consumed: [UNUSED]");
}

TEST_F(Outputs, DigestFileWithoutPushIsTheStoredImage) {
  build({"-t", "local:v1", "--digest-file", path("digest")});
  auto info = fs::file_size(store_ / "oci/blobs/sha256" / file("digest").substr(7));
  EXPECT_GT(info, 0u);
  std::string out;
  ASSERT_EQ(run_command({MYBUILD_BINARY, "--root", store_.string(), "images", "--digests"}, &out),
            0);
  EXPECT_NE(out.find(file("digest")), std::string::npos) << out;
}

TEST_F(Outputs, AnnotationsLandAtEachLevel) {
  const std::string ref = on_registry("out/annotated:v1");
  const fs::path layout = work_.path() / "layout";
  build({"-t", ref, "--push", "--label", "l=1", "--annotation", "plain=1", "--annotation",
         "manifest:m=2", "--annotation", "index:i=3", "--annotation", "manifest-descriptor:md=4",
         "--annotation", "index-descriptor:id=5", "--annotation", "manifest[plan9/mips]:no=6", "-o",
         "type=oci,tar=false,dest=" + layout.string()});
  json index = json::parse(skopeo_raw(ref));
  ASSERT_EQ(index["mediaType"], "application/vnd.oci.image.index.v1+json") << index.dump();
  EXPECT_EQ(index["annotations"], json({{"i", "3"}}));
  ASSERT_EQ(index["manifests"].size(), 1u) << "no attestation without --provenance";
  EXPECT_EQ(index["manifests"][0]["annotations"], json({{"md", "4"}}));
  json manifest = json::parse(skopeo_raw(on_registry("out/annotated@") +
                                         index["manifests"][0]["digest"].get<std::string>()));
  EXPECT_EQ(manifest["annotations"], json({{"m", "2"}, {"plain", "1"}}));
  std::string config;
  ASSERT_EQ(run_command({"skopeo", "inspect", "--config", "--tls-verify=false", "docker://" + ref},
                        &config),
            0);
  EXPECT_EQ(json::parse(config)["config"]["Labels"], json({{"l", "1"}}));

  json layout_index = json::parse(common::read_file(layout / "index.json"));
  ASSERT_EQ(layout_index["manifests"].size(), 1u);
  EXPECT_EQ(layout_index["manifests"][0]["annotations"]["id"], "5");
  EXPECT_EQ(layout_index["manifests"][0]["mediaType"], "application/vnd.oci.image.index.v1+json");
}

// The attestation of `index` (parsed), checked against BuildKit's layout; returns its manifest.
json attestation_of(const json& index) {
  EXPECT_EQ(index["manifests"].size(), 2u) << index.dump();
  const json& image = index["manifests"][0];
  const json& att = index["manifests"][1];
  EXPECT_EQ(att["platform"], json({{"architecture", "unknown"}, {"os", "unknown"}}));
  EXPECT_EQ(att["annotations"], json({{"vnd.docker.reference.digest", image["digest"]},
                                      {"vnd.docker.reference.type", "attestation-manifest"}}));
  return att;
}

TEST_F(Outputs, ProvenanceIsAnAttestationManifest) {
  const std::string ref = on_registry("out/attested:v1");
  common::write_file_atomic(work_.path() / "token", "s3cr3t-value-42");
  build({"-t", ref, "--push", "--provenance", "mode=max", "--build-arg", "VERSION=7", "--secret",
         "id=token,src=" + path("token"), "--digest-file", path("digest")});
  const std::string raw = skopeo_raw(ref);
  EXPECT_EQ(file("digest"), common::Digest::sha256_of(raw).str());
  json index = json::parse(raw);
  json att = attestation_of(index);
  // skopeo copies the whole index with every blob it names into a layout we can read.
  const fs::path copy = work_.path() / "copy";
  std::string out;
  ASSERT_EQ(run_command({"skopeo", "copy", "--all", "--src-tls-verify=false", "docker://" + ref,
                         "oci:" + copy.string() + ":x"},
                        &out),
            0)
      << out;
  auto blob = [&](const std::string& digest) {
    return common::read_file(copy / "blobs/sha256" / digest.substr(7));
  };
  json manifest = json::parse(blob(att["digest"]));
  ASSERT_EQ(manifest["layers"].size(), 1u);
  const json& layer = manifest["layers"][0];
  EXPECT_EQ(layer["mediaType"], "application/vnd.in-toto+json");
  EXPECT_EQ(layer["annotations"]["in-toto.io/predicate-type"], "https://slsa.dev/provenance/v1");
  const std::string statement_text = blob(layer["digest"]);
  EXPECT_EQ(statement_text.find("s3cr3t-value-42"), std::string::npos) << "a secret leaked";
  json statement = json::parse(statement_text);
  EXPECT_EQ(statement["predicateType"], "https://slsa.dev/provenance/v1");
  EXPECT_EQ("sha256:" + statement["subject"][0]["digest"]["sha256"].get<std::string>(),
            index["manifests"][0]["digest"])
      << "the subject is the pushed manifest, not the store's";
  const json& def = statement["predicate"]["buildDefinition"];
  EXPECT_EQ(
      "sha256:" + def["externalParameters"]["configSource"]["digest"]["sha256"].get<std::string>(),
      common::Digest::sha256_of(kDockerfile).str());
  EXPECT_EQ(def["externalParameters"]["request"]["args"]["build-arg:VERSION"], "7");
  EXPECT_EQ(def["externalParameters"]["request"]["secrets"][0]["id"], "token");
  ASSERT_EQ(def["resolvedDependencies"].size(), 1u);
  std::string platform = common::Platform::host().str();
  for (size_t at; (at = platform.find('/')) != std::string::npos;) platform.replace(at, 1, "%2F");
  EXPECT_EQ(def["resolvedDependencies"][0]["uri"],
            "pkg:docker/busybox@latest?platform=" + platform);
  EXPECT_EQ("sha256:" + def["resolvedDependencies"][0]["digest"]["sha256"].get<std::string>(),
            imported_.manifest_digest);
  EXPECT_EQ(def["internalParameters"]["buildConfig"]["steps"][2]["instruction"],
            "COPY a.txt /a.txt");
}

TEST_F(Outputs, ProvenanceInTheStoreAndTheOciOutput) {
  const fs::path layout = work_.path() / "layout";
  build({"-t", "attested:v1", "--provenance=true", "--digest-file", path("digest"), "-o",
         "type=oci,tar=false,dest=" + layout.string()});
  const std::string stored = file("digest");
  json index = json::parse(common::read_file(store_ / "oci/blobs/sha256" / stored.substr(7)));
  attestation_of(index);
  json layout_index = json::parse(common::read_file(layout / "index.json"));
  const std::string exported = layout_index["manifests"][0]["digest"];
  json out = json::parse(common::read_file(layout / "blobs/sha256" / exported.substr(7)));
  json att = attestation_of(out);
  json manifest = json::parse(
      common::read_file(layout / "blobs/sha256" / att["digest"].get<std::string>().substr(7)));
  json statement = json::parse(common::read_file(
      layout / "blobs/sha256" / manifest["layers"][0]["digest"].get<std::string>().substr(7)));
  EXPECT_FALSE(
      statement["predicate"]["buildDefinition"]["internalParameters"].contains("buildConfig"))
      << "mode=min has no steps";
  EXPECT_EQ("sha256:" + statement["subject"][0]["digest"]["sha256"].get<std::string>(),
            out["manifests"][0]["digest"]);
}

}  // namespace
}  // namespace mybuild::store_commands_testing
