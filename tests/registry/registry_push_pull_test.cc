// Push and pull against a real docker-registry over plain HTTP (loopback): monolithic and
// chunked uploads, idempotent re-push, cross-repository mounts, indexes and platform choice,
// verification of what is received.
#include <gtest/gtest.h>

#include "common/error.h"
#include "registry/client.h"
#include "tests/registry/registry_server.h"
#include "tests/registry/test_image.h"

namespace mybuild::registry::testing {
namespace {

class PushPull : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_registry()) GTEST_SKIP() << "docker-registry is not installed (deps/registry.txt)";
    server_ = std::make_unique<RegistryServer>();
  }
  Reference ref(const std::string& rest) { return parse_reference(server_->domain() + "/" + rest); }
  common::TempDir dir_;
  std::unique_ptr<RegistryServer> server_;
};

std::string fetch(Client& c, const Reference& r, const common::Descriptor& d) {
  common::StringWriter w;
  c.fetch_blob(r, d, w);
  return w.take();
}

TEST_F(PushPull, RoundTripAndIdempotentRepush) {
  Client c(test_options(dir_));
  auto img = make_image("amd64", {pseudo_random(100000, 1), pseudo_random(5000, 2)});
  auto r = ref("team/app:v1");
  push_image(c, r, img);

  ResolvedImage got = c.resolve(r, common::Platform::parse("linux/amd64"));
  EXPECT_EQ(got.root.descriptor.digest, img.manifest.desc.digest);
  EXPECT_EQ(got.root.body, img.manifest.data);
  EXPECT_EQ(got.config, img.config.desc);
  ASSERT_EQ(got.layers.size(), 2u);
  EXPECT_EQ(fetch(c, r, got.layers[0]), img.layers[0].data);
  EXPECT_EQ(fetch(c, r, got.config), img.config.data);

  // Re-pushing uploads nothing: every blob is found by HEAD.
  for (const auto& l : img.layers) {
    EXPECT_EQ(c.push_blob(r, l.desc, reader_of(l.data)), PushOutcome::kExisted);
  }
  EXPECT_EQ(c.push_manifest(r, img.manifest.desc.media_type, img.manifest.data),
            img.manifest.desc.digest);
  EXPECT_TRUE(c.blob_exists(r, img.config.desc.digest));
  EXPECT_FALSE(c.blob_exists(r, common::Digest::sha256_of("absent")));
  // By digest too.
  EXPECT_EQ(c.fetch_manifest(r.with_digest(img.manifest.desc.digest)).body, img.manifest.data);
}

TEST_F(PushPull, ChunkedUploadOfALargerBlob) {
  auto o = test_options(dir_);
  o.monolithic_max = 1 << 20;
  o.chunk_size = 700 << 10;  // not a divisor: the last chunk is short
  Client c(o);
  auto blob = make_blob(pseudo_random(3 << 20, 7), common::media_type::kOciLayerGzip);
  auto r = ref("big/blob:x");
  EXPECT_EQ(c.push_blob(r, blob.desc, reader_of(blob.data)), PushOutcome::kUploaded);
  EXPECT_EQ(fetch(c, r, blob.desc), blob.data);
}

// A blob whose digest is learnt only at its end (a layer compressed as it goes up): one streamed
// PATCH, then the PUT with the digest of what was sent; the registry serves the same bytes.
TEST_F(PushPull, StreamedUploadOfABlobOfUnknownSize) {
  Client c(test_options(dir_));
  std::string data = pseudo_random((3 << 20) + 123, 11);
  auto r = ref("streamed/blob:x");
  auto src = reader_of(data)();
  common::Descriptor sent = c.push_blob_stream(r, *src);
  EXPECT_EQ(sent.digest, common::Digest::sha256_of(data));
  EXPECT_EQ(sent.size, static_cast<int64_t>(data.size()));
  sent.media_type = common::media_type::kOciLayerGzip;
  EXPECT_TRUE(c.blob_exists(r, sent.digest));
  EXPECT_EQ(fetch(c, r, sent), data);
  // An empty stream is a blob too (the empty digest).
  std::string empty;
  auto none = reader_of(empty)();
  EXPECT_EQ(c.push_blob_stream(r, *none).digest, common::Digest::sha256_of(""));
}

TEST_F(PushPull, CrossRepositoryMount) {
  Client c(test_options(dir_));
  auto blob = make_blob(pseudo_random(20000, 3), common::media_type::kOciLayerGzip);
  auto a = ref("one/a"), b = ref("two/b");
  EXPECT_EQ(c.push_blob(a, blob.desc, reader_of(blob.data)), PushOutcome::kUploaded);
  EXPECT_EQ(c.push_blob(b, blob.desc, reader_of(blob.data), a), PushOutcome::kMounted);
  EXPECT_EQ(fetch(c, b, blob.desc), blob.data);
}

TEST_F(PushPull, IndexChoosesThePlatform) {
  Client c(test_options(dir_));
  auto amd = make_image("amd64", {pseudo_random(3000, 4)});
  auto arm = make_image("arm64", {pseudo_random(3000, 5)});
  auto r = ref("multi/app:1");
  for (auto* img : {&amd, &arm}) push_image(c, r.with_digest(img->manifest.desc.digest), *img);
  auto d_amd = amd.manifest.desc, d_arm = arm.manifest.desc;
  d_amd.platform = common::Platform::parse("linux/amd64");
  d_arm.platform = common::Platform::parse("linux/arm64/v8");
  nlohmann::json index = {{"schemaVersion", 2},
                          {"mediaType", common::media_type::kOciIndex},
                          {"manifests", {d_amd, d_arm}}};
  c.push_manifest(r, common::media_type::kOciIndex, index.dump());

  auto got = c.resolve(r, common::Platform::parse("linux/arm64"));
  EXPECT_EQ(got.root.descriptor.media_type, common::media_type::kOciIndex);
  EXPECT_EQ(got.manifest.descriptor.digest, arm.manifest.desc.digest);
  EXPECT_EQ(got.layers.at(0).digest, arm.layers[0].desc.digest);
  try {
    c.resolve(r, common::Platform::parse("linux/s390x"));
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kNotFound);
    EXPECT_NE(e.message().find("linux/amd64, linux/arm64)"), std::string::npos) << e.message();
  }
}

TEST_F(PushPull, ParallelFetchDeliversEveryBlobVerified) {
  auto o = test_options(dir_);
  o.max_concurrent_transfers = 3;
  Client c(o);
  std::vector<std::string> data;
  for (uint32_t i = 0; i < 7; ++i) data.push_back(pseudo_random(40000 + i, 10 + i));
  auto img = make_image("amd64", data);
  auto r = ref("par/app:1");
  push_image(c, r, img);
  std::mutex mu;
  std::map<std::string, std::string> got;
  std::vector<common::Descriptor> ds;
  for (const auto& l : img.layers) ds.push_back(l.desc);
  c.fetch_blobs(
      r, ds, [](const common::Descriptor&) { return std::make_unique<common::StringWriter>(); },
      [&](const common::Descriptor& d, common::Writer& w) {
        std::lock_guard lk(mu);
        got[d.digest.str()] = static_cast<common::StringWriter&>(w).str();
      });
  ASSERT_EQ(got.size(), 7u);
  for (const auto& l : img.layers) EXPECT_EQ(got[l.desc.digest.str()], l.data);
}

TEST_F(PushPull, WrongDescriptorIsAnIntegrityError) {
  Client c(test_options(dir_));
  auto blob = make_blob(pseudo_random(5000, 9), common::media_type::kOciLayerGzip);
  auto r = ref("bad/desc");
  c.push_blob(r, blob.desc, reader_of(blob.data));
  auto smaller = blob.desc;
  smaller.size = 100;
  common::StringWriter w;
  try {
    c.fetch_blob(r, smaller, w);
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kIntegrity);
    EXPECT_NE(e.full_message().find("larger than the 100 bytes"), std::string::npos);
  }
  EXPECT_LE(w.str().size(), 100u);
  // A source shorter than its descriptor fails the push instead of uploading a short blob.
  auto lying = make_blob(pseudo_random(5000, 11), common::media_type::kOciLayerGzip);
  std::string short_data = lying.data.substr(0, 10);
  EXPECT_THROW(c.push_blob(r, lying.desc, reader_of(short_data)), common::Error);
  EXPECT_FALSE(c.blob_exists(r, lying.desc.digest));
}

TEST_F(PushPull, MissingManifestIsNotFound) {
  Client c(test_options(dir_));
  try {
    c.resolve(ref("nothing/here:v"), common::Platform::host());
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kNotFound);
    EXPECT_NE(e.full_message().find("MANIFEST_UNKNOWN"), std::string::npos) << e.full_message();
  }
}

}  // namespace
}  // namespace mybuild::registry::testing
