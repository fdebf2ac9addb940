#include "builder/attest/provenance.h"

#include <gtest/gtest.h>

namespace mybuild::builder {
namespace {

using nlohmann::json;

ProvenanceInputs sample() {
  ProvenanceInputs in;
  in.dockerfile_path = "Dockerfile";
  in.dockerfile_digest = common::Digest::sha256_of("FROM busybox\n");
  in.context_digest = common::Digest::sha256_of("context");
  in.build_args = {{"VERSION", "1.2"}};
  in.secret_ids = {"token"};
  in.platform = common::Platform::parse("linux/amd64");
  in.dependencies = {{"docker.io/library/busybox:latest", common::Platform::parse("linux/amd64"),
                      common::Digest::sha256_of("busybox")}};
  in.invocation_id = "abc";
  in.started_on = "2026-01-01T00:00:00Z";
  in.finished_on = "2026-01-01T00:00:05Z";
  in.steps = {{"0", "FROM busybox"}, {"0", "RUN true"}};
  return in;
}

TEST(Provenance, PurlAsBuildKitWritesIt) {
  const auto amd64 = common::Platform::parse("linux/amd64");
  EXPECT_EQ(docker_purl("docker.io/library/busybox:latest", amd64),
            "pkg:docker/busybox@latest?platform=linux%2Famd64");
  EXPECT_EQ(docker_purl("ghcr.io/o/app:v1", common::Platform::parse("linux/arm/v7")),
            "pkg:docker/ghcr.io/o/app@v1?platform=linux%2Farm%2Fv7");
}

TEST(Provenance, MinRecordsTheInputsButNoSteps) {
  json p = provenance_predicate(sample());
  const json& def = p["buildDefinition"];
  EXPECT_EQ(def["buildType"], kBuildKitBuildType);
  EXPECT_EQ(def["externalParameters"]["configSource"]["digest"]["sha256"],
            common::Digest::sha256_of("FROM busybox\n").hex());
  EXPECT_EQ(def["externalParameters"]["request"]["args"]["build-arg:VERSION"], "1.2");
  EXPECT_EQ(def["externalParameters"]["request"]["secrets"][0]["id"], "token");
  EXPECT_EQ(def["externalParameters"]["request"]["locals"][0]["digest"]["sha256"],
            common::Digest::sha256_of("context").hex());
  EXPECT_EQ(def["resolvedDependencies"][0]["uri"],
            "pkg:docker/busybox@latest?platform=linux%2Famd64");
  EXPECT_FALSE(def["internalParameters"].contains("buildConfig"));
  EXPECT_EQ(p["runDetails"]["builder"]["id"], kMybuildBuilderId);
  EXPECT_EQ(p["runDetails"]["metadata"]["invocationID"], "abc");
}

TEST(Provenance, MaxAddsTheSteps) {
  ProvenanceInputs in = sample();
  in.max = true;
  in.builder_id = "https://ci.example/1";
  json p = provenance_predicate(in);
  EXPECT_EQ(p["buildDefinition"]["internalParameters"]["buildConfig"]["steps"][1]["instruction"],
            "RUN true");
  EXPECT_EQ(p["runDetails"]["builder"]["id"], "https://ci.example/1");
}

TEST(Provenance, StatementNamesTheSubject) {
  common::Descriptor subject;
  subject.digest = common::Digest::sha256_of("manifest");
  json s = provenance_statement(sample(), {"localhost:5000/app:v1"}, subject);
  EXPECT_EQ(s["_type"], kInTotoStatementV01);
  EXPECT_EQ(s["predicateType"], kSlsaProvenanceV1);
  EXPECT_EQ(s["subject"][0]["name"], "pkg:docker/localhost:5000/app@v1?platform=linux%2Famd64");
  EXPECT_EQ(s["subject"][0]["digest"]["sha256"], subject.digest.hex());
}

}  // namespace
}  // namespace mybuild::builder
