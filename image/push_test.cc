// push_image's checks before the first request: everything the root names must be in the store
// (kNotFound naming the blob), the stored documents must parse, a digest destination must be the
// target's. The client points at a closed port, so any request would be a kNetwork error
// instead. Real pushes run against docker-registry in tests/store_commands.
#include "image/push.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/media_types.h"
#include "common/temp_dir.h"

namespace mybuild::image {
namespace {

using common::Descriptor;
using nlohmann::json;
namespace mt = common::media_type;

class PushChecks : public ::testing::Test {
 protected:
  PushChecks() : content_(dir_.path()), client_(options()) {}
  static registry::ClientOptions options() {
    registry::ClientOptions o;
    o.max_attempts = 1;
    o.docker_config = "/nonexistent/config.json";
    return o;
  }
  Descriptor manifest_of(const Descriptor& config, const Descriptor& layer) {
    json m = {{"schemaVersion", 2},
              {"mediaType", mt::kOciManifest},
              {"config", config},
              {"layers", json::array({layer})}};
    return content_.put(m.dump(), mt::kOciManifest);
  }
  common::ErrorKind push_error(const Descriptor& target, const std::string& dest,
                               std::string* message = nullptr) {
    try {
      push_image(content_, target, client_, registry::parse_reference(dest));
    } catch (const common::Error& e) {
      if (message) *message = e.full_message();
      return e.kind();
    }
    ADD_FAILURE() << "push succeeded";
    return common::ErrorKind::kInternal;
  }

  common::TempDir dir_{"mybuild-push-checks-"};
  snapshot::ContentStore content_;
  registry::Client client_;
  const std::string dest_ = "127.0.0.1:1/app:v1";
};

TEST_F(PushChecks, MissingBlobFailsBeforeAnyRequest) {
  Descriptor config = content_.put("{}", mt::kOciConfig);
  Descriptor layer = content_.put("layer", mt::kOciLayerGzip);
  Descriptor m = manifest_of(config, layer);
  ASSERT_TRUE(content_.remove(layer.digest));
  std::string msg;
  EXPECT_EQ(push_error(m, dest_, &msg), common::ErrorKind::kNotFound);
  EXPECT_NE(msg.find(layer.digest.str()), std::string::npos) << msg;
  EXPECT_NE(msg.find("pushing 127.0.0.1:1/app:v1"), std::string::npos) << msg;
  // With every blob present the same push reaches the (closed) registry.
  content_.put("layer", mt::kOciLayerGzip);
  EXPECT_EQ(push_error(m, dest_), common::ErrorKind::kNetwork);
}

TEST_F(PushChecks, IndexNeedsEveryManifest) {
  Descriptor config = content_.put("{}", mt::kOciConfig);
  Descriptor layer = content_.put("layer", mt::kOciLayerGzip);
  Descriptor m = manifest_of(config, layer);
  Descriptor absent = m;
  absent.digest = common::Digest::sha256_of("another platform");
  json index = {{"schemaVersion", 2}, {"mediaType", mt::kOciIndex}, {"manifests", {m, absent}}};
  Descriptor idx = content_.put(index.dump(), mt::kOciIndex);
  std::string msg;
  EXPECT_EQ(push_error(idx, dest_, &msg), common::ErrorKind::kNotFound);
  EXPECT_NE(msg.find(absent.digest.str()), std::string::npos) << msg;
}

TEST_F(PushChecks, MalformedDocumentsAndWrongDigest) {
  EXPECT_EQ(push_error(content_.put("[]", mt::kOciManifest), dest_), common::ErrorKind::kIntegrity);
  EXPECT_EQ(push_error(content_.put(R"({"layers":[]})", mt::kOciManifest), dest_),
            common::ErrorKind::kIntegrity);
  EXPECT_EQ(push_error(content_.put(R"({"manifests":{}})", mt::kOciIndex), dest_),
            common::ErrorKind::kIntegrity);
  Descriptor config = content_.put("{}", mt::kOciConfig);
  Descriptor m = manifest_of(config, content_.put("l", mt::kOciLayerGzip));
  std::string other = "127.0.0.1:1/app@" + common::Digest::sha256_of("x").str();
  EXPECT_EQ(push_error(m, other), common::ErrorKind::kUsage);
}

}  // namespace
}  // namespace mybuild::image
