#include "snapshot/image_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>

#include "common/error.h"
#include "common/media_types.h"
#include "common/temp_dir.h"

namespace mybuild::snapshot {
namespace {

using common::Descriptor;
using common::Error;
using common::ErrorKind;
using nlohmann::json;

Descriptor manifest_descriptor(std::string_view body) {
  Descriptor d;
  d.media_type = std::string(common::media_type::kOciManifest);
  d.digest = Digest::sha256_of(body);
  d.size = static_cast<int64_t>(body.size());
  return d;
}

json read_index(const common::TempDir& root) {
  return json::parse(common::read_file(root.path() / "oci" / "index.json"));
}

TEST(FamiliarName, ShortensDockerHubNamesOnly) {
  EXPECT_EQ(familiar_name("docker.io/library/alpine:latest"), "alpine:latest");
  EXPECT_EQ(familiar_name("docker.io/me/app:v1"), "me/app:v1");
  EXPECT_EQ(familiar_name("index.docker.io/library/busybox:1"), "busybox:1");
  EXPECT_EQ(familiar_name("docker.io/library/a/b:1"), "library/a/b:1");
  EXPECT_EQ(familiar_name("app:v1"), "app:v1");
  EXPECT_EQ(familiar_name("localhost:5000/app:v1"), "localhost:5000/app:v1");
  EXPECT_EQ(familiar_name("ghcr.io/library/x:1"), "ghcr.io/library/x:1");
}

TEST(ImageStore, EmptyStoreHasAnEmptyIndex) {
  common::TempDir root;
  ContentStore content(root.path());
  Database db(root.path() / "metadata.db");
  ImageStore images(content, db);
  json index = read_index(root);
  EXPECT_EQ(index["schemaVersion"], 2);
  EXPECT_EQ(index["mediaType"], common::media_type::kOciIndex);
  EXPECT_TRUE(index["manifests"].is_array());
  EXPECT_TRUE(index["manifests"].empty());
}

TEST(ImageStore, TagResolveUntagAndIndexJson) {
  common::TempDir root;
  ContentStore content(root.path());
  Database db(root.path() / "metadata.db");
  ImageStore images(content, db);
  Descriptor a = manifest_descriptor("a"), b = manifest_descriptor("b");
  a.platform = common::Platform::parse("linux/arm64");
  images.tag("app:v1", a);
  images.tag("docker.io/library/alpine:latest", b);
  images.tag("app:v2", a);

  ASSERT_TRUE(images.resolve("app:v1"));
  EXPECT_EQ(*images.resolve("app:v1"), a);  // platform kept, no annotation added
  EXPECT_EQ(images.resolve("docker.io/library/alpine:latest")->digest, b.digest);
  EXPECT_FALSE(images.resolve("alpine:latest"));  // names are not normalised here

  json index = read_index(root);
  ASSERT_EQ(index["manifests"].size(), 3u);
  std::set<std::string> refs;
  for (auto& m : index["manifests"]) refs.insert(m["annotations"][kRefNameAnnotation]);
  EXPECT_EQ(refs, (std::set<std::string>{"alpine:latest", "app:v1", "app:v2"}));
  EXPECT_EQ(index["manifests"][0]["platform"]["architecture"], "arm64");

  EXPECT_TRUE(images.untag("app:v1"));
  EXPECT_FALSE(images.untag("app:v1"));
  EXPECT_FALSE(images.resolve("app:v1"));
  EXPECT_EQ(read_index(root)["manifests"].size(), 2u);
  auto all = images.list();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "app:v2");
  EXPECT_EQ(all[1].name, "docker.io/library/alpine:latest");
}

TEST(ImageStore, RetagReplacesAndKeepsHistory) {
  common::TempDir root;
  ContentStore content(root.path());
  Database db(root.path() / "metadata.db");
  ImageStore images(content, db);
  Descriptor a = manifest_descriptor("a"), b = manifest_descriptor("b");
  images.tag("app:v1", a);
  images.tag("app:v1", b);
  images.untag("app:v1");
  images.tag("app:v1", a);
  EXPECT_EQ(images.resolve("app:v1")->digest, a.digest);
  EXPECT_EQ(read_index(root)["manifests"].size(), 1u);
  auto h = images.history("app:v1");
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h[0].target, a.digest);
  EXPECT_EQ(h[1].target, b.digest);
  EXPECT_FALSE(h[2].target);
  EXPECT_EQ(h[3].target, a.digest);
  EXPECT_GT(h[0].at, 1700000000);
}

// A no-op rebuild tags its name with the image it already names: nothing is written (each
// write costs the WAL's syncs), and the history keeps only real changes.
TEST(ImageStore, TaggingTheSameDescriptorAgainWritesNothing) {
  common::TempDir root;
  ContentStore content(root.path());
  Database db(root.path() / "metadata.db");
  ImageStore images(content, db);
  Descriptor a = manifest_descriptor("a");
  images.tag("app:v1", a);
  images.tag("app:v1", a);
  EXPECT_EQ(images.history("app:v1").size(), 1u);
  Descriptor annotated = a;
  annotated.annotations["org.example"] = "x";  // same digest, another descriptor: a change
  images.tag("app:v1", annotated);
  EXPECT_EQ(images.history("app:v1").size(), 2u);
  EXPECT_EQ(images.resolve("app:v1")->annotations.at("org.example"), "x");
}

TEST(ImageStore, RejectsBadNamesAndDescriptors) {
  common::TempDir root;
  ContentStore content(root.path());
  Database db(root.path() / "metadata.db");
  ImageStore images(content, db);
  for (std::string_view bad : std::initializer_list<std::string_view>{
           "", "app v1", "app:v1\n", std::string_view("a\0b", 3)}) {
    try {
      images.tag(bad, manifest_descriptor("a"));
      FAIL() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kUsage);
    }
  }
  EXPECT_THROW(images.tag("app:v1", Descriptor{}), Error);
  EXPECT_TRUE(images.list().empty());
}

// A crash between the SQLite commit and the index.json rewrite leaves index.json stale; the
// next ImageStore on the root repairs it.
TEST(ImageStore, ReopenRepairsAStaleIndex) {
  common::TempDir root;
  {
    ContentStore content(root.path());
    Database db(root.path() / "metadata.db");
    ImageStore images(content, db);
    images.tag("app:v1", manifest_descriptor("a"));
  }
  common::write_file_atomic(root.path() / "oci" / "index.json",
                            R"({"schemaVersion":2,"manifests":[]})");
  ContentStore content(root.path());
  Database db(root.path() / "metadata.db");
  ImageStore images(content, db);
  EXPECT_EQ(read_index(root)["manifests"].size(), 1u);
}

// Two processes tagging at once: every tag lands in SQLite and in index.json.
TEST(ImageStore, TwoProcessesTagConcurrently) {
  common::TempDir root;
  { ContentStore content(root.path()); }
  auto work = [&](const std::string& prefix) {
    ContentStore content(root.path());
    Database db(root.path() / "metadata.db");
    ImageStore images(content, db);
    for (int i = 0; i < 25; ++i) {
      images.tag(prefix + ":" + std::to_string(i), manifest_descriptor(prefix + std::to_string(i)));
    }
  };
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      work("child");
    } catch (...) {
      ::_exit(1);
    }
    ::_exit(0);
  }
  work("parent");
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  json index = read_index(root);
  EXPECT_EQ(index["manifests"].size(), 50u);
  ContentStore content(root.path());
  Database db(root.path() / "metadata.db");
  EXPECT_EQ(ImageStore(content, db).list().size(), 50u);
}

}  // namespace
}  // namespace mybuild::snapshot
