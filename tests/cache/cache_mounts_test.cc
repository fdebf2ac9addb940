// --cache-to ...,cache-mounts=ID: RUN --mount=type=cache directories that survive ephemeral
// runners. Runner A fills two cache mounts (one with id=, one named by its target) and exports
// them; runner B, with an empty root, restores them only when a step that mounts them runs,
// and that step finds them warm. Hostile cache-mount layers (climbing out with "..", absolute
// and relative symlinks out of the directory, a wrong content digest) are refused or contained
// and the build goes on with the cache empty.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <iostream>

#include "common/digest.h"
#include "tests/cache/cache_fixture.h"

namespace mybuild::build_testing {
namespace {

using nlohmann::json;

// The step reports, per cache mount, whether it found the marker a previous run left.
constexpr const char* kWarmStep =
    "RUN --mount=type=cache,id=pkgs,target=/cache --mount=type=cache,target=/var/cache/tool "
    "sh -c 'cat /a.txt; for d in /cache /var/cache/tool; do if test -f $d/warm; then echo "
    "warm-$d; else echo data > $d/warm; echo cold-$d; fi; done'\n";

class CacheMountsAcrossRunners : public CacheRunners {
 protected:
  void SetUp() override {
    CacheRunners::SetUp();
    if (IsSkipped()) return;
    dockerfile("FROM " + reg_ + "/base:latest\nCOPY a.txt /a.txt\n" + kWarmStep);
  }
  static bool warm(const Ran& r) {
    return r.err.find("warm-/cache\n") != std::string::npos &&
           r.err.find("warm-/var/cache/tool\n") != std::string::npos;
  }
  static bool cold(const Ran& r) {
    return r.err.find("cold-/cache\n") != std::string::npos &&
           r.err.find("cold-/var/cache/tool\n") != std::string::npos;
  }
  fs::path mount_dir(const std::string& root, const std::string& id) const {
    return work() / root / "cache-mounts" /
           std::string(common::Digest::sha256_of(id).hex().substr(0, 24));
  }
};

TEST_F(CacheMountsAcrossRunners, RegistryCacheMountsMakeAFreshRunnerWarm) {
  // buildx's CSV: the quoted field keeps its comma.
  const std::string to =
      "type=registry,ref=" + reg_ + "/app:cache,mode=max,\"cache-mounts=pkgs,/var/cache/tool\"";
  Ran a = build({"--cache-to", to});
  ASSERT_TRUE(a.ok()) << a.both();
  EXPECT_TRUE(cold(a)) << a.err;
  json mounts = registry_cache_config("app", "cache")["cacheMounts"];
  ASSERT_EQ(mounts.size(), 2u) << mounts.dump();
  EXPECT_EQ(mounts[0]["id"], "pkgs");
  EXPECT_EQ(mounts[1]["id"], "/var/cache/tool");
  int64_t mount_bytes = 0;
  for (const auto& m : mounts) {
    EXPECT_EQ(m["blob"]["mediaType"], "application/vnd.oci.image.layer.v1.tar+gzip");
    mount_bytes += m["blob"]["size"].get<int64_t>();
  }
  auto mount_gets = [&] {
    size_t n = 0;
    for (const auto& m : mounts) {
      n += log_lines("GET /v2/app/blobs/" + m["blob"]["digest"].get<std::string>()).size();
    }
    return n;
  };

  // Unchanged context: every step cached, so no step mounts the caches and none is fetched.
  copy_context_to_b();
  clear_log();
  const std::string from = "type=registry,ref=" + reg_ + "/app:cache";
  Ran b = build_b("root-b", {"--cache-from", from});
  ASSERT_TRUE(b.ok()) << b.both();
  EXPECT_TRUE(run_steps(b.err).empty()) << b.err;
  EXPECT_EQ(mount_gets(), 0u) << read_file(log());
  EXPECT_FALSE(fs::exists(mount_dir("root-b", "pkgs")));

  // a.txt changes: the RUN runs again on B and finds both caches warm.
  write_file(ctx_b() / "a.txt", "A2\n");
  clear_log();
  Ran b2 = build_b(
      "root-b", {"--cache-from", from, "--cache-to",
                 "type=registry,ref=" + reg_ + "/app:cache-b,cache-mounts=pkgs;/var/cache/tool"});
  ASSERT_TRUE(b2.ok()) << b2.both();
  EXPECT_TRUE(warm(b2)) << b2.err;
  EXPECT_FALSE(cold(b2)) << b2.err;
  EXPECT_NE(b2.err.find("restored cache mount pkgs from " + reg_ + "/app:cache"), std::string::npos)
      << b2.err;
  EXPECT_EQ(read_file(mount_dir("root-b", "pkgs") / "warm"), "data\n");
  EXPECT_EQ(mount_gets(), 2u) << read_file(log());
  // Restored and left alone, a cache re-exports byte for byte: the registry's blobs are reused.
  json again = registry_cache_config("app", "cache-b")["cacheMounts"];
  ASSERT_EQ(again.size(), 2u) << again.dump();
  for (size_t i = 0; i < 2; ++i) EXPECT_EQ(again[i]["blob"], mounts[i]["blob"]) << i;
  for (const auto& m : mounts) {
    for (const auto& line : log_lines("PUT ")) {
      EXPECT_EQ(line.find(m["blob"]["digest"].get<std::string>()), std::string::npos) << line;
    }
  }
  std::cout << "[ figures ] cache mounts: 2 exported (" << mount_bytes
            << " bytes compressed); runner B fully cached fetched 0 of them; with a.txt changed "
            << "it fetched " << mount_gets() << " (" << mount_bytes << " bytes) and ran "
            << run_steps(b2.err).size() << " steps\n";
}

TEST_F(CacheMountsAcrossRunners, LocalCacheMountsRoundTripAndALocalCacheWins) {
  const fs::path dir = work() / "ci-cache";
  Ran a = build({"--cache-to", "type=local,dest=" + dir.string() +
                                   ",cache-mounts=pkgs,cache-mounts=/var/cache/tool"});
  ASSERT_TRUE(a.ok()) << a.both();
  EXPECT_TRUE(cold(a)) << a.err;

  copy_context_to_b();
  write_file(ctx_b() / "a.txt", "A2\n");
  Ran b = build_b("root-b", {"--cache-from", "type=local,src=" + dir.string()});
  ASSERT_TRUE(b.ok()) << b.both();
  EXPECT_TRUE(warm(b)) << b.err;

  // A runner whose own cache mount has files keeps them: nothing is restored over them.
  write_file(mount_dir("root-c", "pkgs") / "mine", "local\n");
  Ran c = build_b("root-c", {"--cache-from", "type=local,src=" + dir.string()});
  ASSERT_TRUE(c.ok()) << c.both();
  EXPECT_NE(c.err.find("cold-/cache\n"), std::string::npos) << c.err;
  EXPECT_NE(c.err.find("warm-/var/cache/tool\n"), std::string::npos) << c.err;
  EXPECT_EQ(c.err.find("restored cache mount pkgs"), std::string::npos) << c.err;

  // An id nothing here used is carried over from the imported cache into the next export.
  dockerfile("FROM " + reg_ + "/base:latest\nRUN echo no-mounts\n");
  fs::copy_file(ctx() / "Dockerfile", ctx_b() / "Dockerfile", fs::copy_options::overwrite_existing);
  const fs::path next = work() / "ci-cache-2";
  Ran d = build_b("root-d", {"--cache-from", "type=local,src=" + dir.string(), "--cache-to",
                             "type=local,dest=" + next.string() + ",cache-mounts=pkgs;nope"});
  ASSERT_TRUE(d.ok()) << d.both();
  EXPECT_NE(d.both().find("cache mount nope is empty or was never used"), std::string::npos)
      << d.both();
  auto index = json::parse(read_file(next / "index.json"));
  auto blob = [&](const json& desc) {
    return json::parse(
        read_file(next / "blobs/sha256" / desc["digest"].get<std::string>().substr(7)));
  };
  json carried = blob(blob(index["manifests"][0])["config"])["cacheMounts"];
  ASSERT_EQ(carried.size(), 1u) << carried.dump();
  EXPECT_EQ(carried[0]["id"], "pkgs");
  EXPECT_TRUE(fs::exists(next / "blobs/sha256" /
                         carried[0]["blob"]["digest"].get<std::string>().substr(7)));
}

// A tar entry for hostile_layout.
struct Entry {
  std::string path;
  std::string content;  // file content
  std::string link;     // non-empty: a symlink to this
};

class HostileCacheMounts : public CacheMountsAcrossRunners {
 protected:
  std::string tar_of(const std::vector<Entry>& entries) {
    const fs::path file = work() / "hostile.tar";
    archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    EXPECT_EQ(archive_write_open_filename(a, file.c_str()), ARCHIVE_OK);
    for (const auto& e : entries) {
      archive_entry* h = archive_entry_new();
      archive_entry_set_pathname(h, e.path.c_str());
      archive_entry_set_filetype(h, e.link.empty() ? AE_IFREG : AE_IFLNK);
      archive_entry_set_perm(h, 0644);
      if (e.link.empty()) archive_entry_set_size(h, static_cast<la_int64_t>(e.content.size()));
      if (!e.link.empty()) archive_entry_set_symlink(h, e.link.c_str());
      EXPECT_EQ(archive_write_header(a, h), ARCHIVE_OK) << e.path;
      if (e.link.empty()) archive_write_data(a, e.content.data(), e.content.size());
      archive_entry_free(h);
    }
    archive_write_close(a);
    archive_write_free(a);
    return read_file(file);
  }
  // A type=local cache layout with no records and one cache mount "pkgs" holding `tar` (an
  // uncompressed layer), recorded with `diff_id` (default: the tar's true digest).
  fs::path hostile_layout(const std::string& name, const std::string& tar,
                          std::string diff_id = "") {
    const fs::path dir = work() / name;
    auto put = [&](const std::string& bytes, const std::string& media_type) {
      common::Digest d = common::Digest::sha256_of(bytes);
      write_file(dir / "blobs/sha256" / std::string(d.hex()), bytes);
      return json{{"mediaType", media_type}, {"digest", d.str()}, {"size", bytes.size()}};
    };
    json layer = put(tar, "application/vnd.oci.image.layer.v1.tar");
    if (diff_id.empty()) diff_id = layer["digest"].get<std::string>();
    json config = {
        {"records", json::array()},
        {"cacheMounts", json::array({json{{"id", "pkgs"}, {"diffID", diff_id}, {"blob", layer}}})}};
    json manifest = {{"schemaVersion", 2},
                     {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                     {"config", put(config.dump(), "application/vnd.mybuild.cache.config.v1+json")},
                     {"layers", json::array({layer})}};
    json index = {
        {"schemaVersion", 2},
        {"manifests",
         json::array({put(manifest.dump(), "application/vnd.oci.image.manifest.v1+json")})}};
    write_file(dir / "index.json", index.dump());
    return dir;
  }
  Ran build_from(const std::string& root, const fs::path& layout) {
    return build_b(root, {"--cache-from", "type=local,src=" + layout.string()});
  }
};

TEST_F(HostileCacheMounts, DotDotEntriesAreRefusedAndTheStepRunsCold) {
  copy_context_to_b();
  Ran r = build_from("root-h", hostile_layout("dotdot", tar_of({{"ok", "fine\n", ""},
                                                                {"../escape", "x\n", ""},
                                                                {"../../escape", "x\n", ""}})));
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_NE(r.err.find("ERROR: cannot restore cache mount pkgs"), std::string::npos) << r.err;
  EXPECT_TRUE(cold(r)) << r.err;
  EXPECT_FALSE(fs::exists(work() / "root-h/cache-mounts/escape"));
  EXPECT_FALSE(fs::exists(work() / "root-h/escape"));
  // What the refused layer had unpacked before the bad entry is gone too.
  EXPECT_FALSE(fs::exists(mount_dir("root-h", "pkgs") / "ok"));
}

TEST_F(HostileCacheMounts, SymlinksOutOfTheDirectoryAreNotFollowed) {
  copy_context_to_b();
  const fs::path outside = work() / "outside";
  fs::create_directories(outside);
  Ran r = build_from("root-h", hostile_layout("links", tar_of({{"abs", "", outside.string()},
                                                               {"abs/pwned", "x\n", ""},
                                                               {"up", "", "../../.."},
                                                               {"up/pwned2", "x\n", ""}})));
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_FALSE(fs::exists(outside / "pwned"));
  EXPECT_FALSE(fs::exists(work() / "pwned2"));
  EXPECT_FALSE(fs::exists(work() / "root-h/pwned2"));
  EXPECT_FALSE(fs::exists(work() / "root-h/cache-mounts/pwned2"));
  EXPECT_NE(r.err.find("cold-/var/cache/tool\n"), std::string::npos) << r.err;
  size_t at = r.err.find("cannot restore cache mount pkgs");
  std::cout << "[ note ] symlink layer: "
            << (at == std::string::npos ? "unpacked inside the cache-mount directory"
                                        : r.err.substr(at, r.err.find('\n', at) - at))
            << "\n";
}

TEST_F(HostileCacheMounts, AWrongContentDigestIsRefused) {
  copy_context_to_b();
  Ran r = build_from("root-h", hostile_layout("digest", tar_of({{"warm", "data\n", ""}}),
                                              common::Digest::sha256_of("something else").str()));
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_NE(r.err.find("ERROR: cannot restore cache mount pkgs"), std::string::npos) << r.err;
  EXPECT_TRUE(cold(r)) << r.err;
}

}  // namespace
}  // namespace mybuild::build_testing
