// Layer compression on the way out of the store (image/layer_convert.h), end to end with the
// mybuild binary, a real docker-registry and skopeo: a build stores its layers uncompressed;
// push and -o type=oci send gzip by default or zstd when asked, skopeo reads and copies what was
// sent, a second push converts and uploads nothing, a pulled gzip image is pushed as it is, and
// as zstd only after a real recompression; prune keeps the conversions of kept images.
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "common/digest.h"
#include "snapshot/database.h"
#include "tests/store_commands/fixture.h"

namespace mybuild::store_commands_testing {
namespace {

using nlohmann::json;
namespace mt = common::media_type;

constexpr std::string_view kTar = "application/vnd.oci.image.layer.v1.tar";
constexpr std::string_view kGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
constexpr std::string_view kZstd = "application/vnd.oci.image.layer.v1.tar+zstd";

struct Ran {
  int code;
  std::string out;
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

int count_of(const std::string& text, const std::string& part) {
  int n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

std::string read_text(const fs::path& p) { return common::read_file(p); }

class Convert : public WithRegistry {
 protected:
  void SetUp() override {
    WithRegistry::SetUp();
    if (IsSkipped()) return;
    if (!have("skopeo")) GTEST_SKIP() << "skopeo is not installed (deps/store_commands.txt)";
    import(a_, "busybox:latest");
    fs::create_directories(ctx_);
    // Half text that compresses, half random bytes that do not.
    std::string text;
    for (int i = 0; i < 20000; ++i) text += "line " + std::to_string(i) + " of a text file\n";
    common::write_file_atomic(ctx_ / "text.txt", text);
    std::string random;
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 200000; ++i) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      random += static_cast<char>(x & 0xff);
    }
    common::write_file_atomic(ctx_ / "random.bin", random);
    common::write_file_atomic(ctx_ / "Dockerfile",
                              "FROM busybox\nCOPY text.txt random.bin /data/\n"
                              "RUN echo built > /built\n");
  }

  Ran mybuild(const fs::path& store, std::vector<std::string> args) {
    args.insert(args.begin(), {MYBUILD_BINARY, "--root", store.string()});
    Ran r{0, {}};
    r.code = registry::testing::run_command(args, &r.out);
    return r;
  }
  Ran skopeo(std::vector<std::string> args) {
    args.insert(args.begin(), "skopeo");
    Ran r{0, {}};
    r.code = registry::testing::run_command(args, &r.out);
    return r;
  }
  // The manifest the registry serves for `ref` (skopeo inspect --raw).
  json remote_manifest(const std::string& ref) {
    Ran r = skopeo({"inspect", "--raw", "--tls-verify=false", "docker://" + ref});
    EXPECT_EQ(r.code, 0) << r.out;
    return json::parse(r.out, nullptr, false);
  }
  json remote_config(const std::string& ref) {
    Ran r = skopeo({"inspect", "--config", "--raw", "--tls-verify=false", "docker://" + ref});
    EXPECT_EQ(r.code, 0) << r.out;
    return json::parse(r.out, nullptr, false);
  }
  // skopeo copies the image to an OCI layout, checking every blob's digest and size as it goes.
  void skopeo_copies(const std::string& ref) {
    fs::path dest = work_.path() / ("copy-" + std::to_string(copies_++));
    Ran r = skopeo({"copy", "--src-tls-verify=false", "docker://" + ref, "oci:" + dest.string()});
    EXPECT_EQ(r.code, 0) << r.out;
  }
  json local_manifest(const fs::path& store, const std::string& name) {
    json index = json::parse(read_text(store / "oci/index.json"));
    for (const auto& m : index["manifests"]) {
      if (m["annotations"].value("io.containerd.image.name", "") == name ||
          m["annotations"].value("org.opencontainers.image.ref.name", "") == name) {
        return json::parse(read_text(blob_path(store, m["digest"])));
      }
    }
    ADD_FAILURE() << "no " << name << " in " << store;
    return json::object();
  }
  fs::path blob_path(const fs::path& store, const std::string& digest) {
    return store / "oci/blobs/sha256" / digest.substr(7);
  }
  std::set<std::string> layer_types(const json& manifest) {
    std::set<std::string> out;
    for (const auto& l : manifest["layers"]) out.insert(l.value("mediaType", ""));
    return out;
  }
  int64_t conversions(const fs::path& store) {
    snapshot::Database db(snapshot::metadata_path(store));
    auto st = db.prepare("SELECT count(*) FROM layer_conversions");
    return st.step() ? st.column_int(0) : -1;
  }
  size_t files_under(const fs::path& dir) {
    size_t n = 0;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it); ++it) {
      n += it->is_regular_file() ? 1 : 0;
    }
    return n;
  }
  size_t registry_blobs() { return files_under(server_->dir() / "data/docker/registry/v2/blobs"); }

  fs::path a_ = work_.path() / "a";
  fs::path b_ = work_.path() / "b";
  fs::path ctx_ = work_.path() / "ctx";
  int copies_ = 0;
};

TEST_F(Convert, BuildStoresUncompressedPushSendsGzipOnceAndZstdWhenAsked) {
  std::string name = on_registry("conv/app:v1");
  Ran build = mybuild(a_, {"build", "-q", "-t", name, ctx_.string()});
  ASSERT_EQ(build.code, 0) << build.out;
  json local = local_manifest(a_, name);
  ASSERT_EQ(local["layers"].size(), 3u);
  EXPECT_EQ(local["layers"][0]["mediaType"], kGzip) << "the imported base stays as imported";
  json config = json::parse(read_text(blob_path(a_, local["config"]["digest"])));
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(local["layers"][i]["mediaType"], kTar) << "built layers are stored uncompressed";
    EXPECT_EQ(local["layers"][i]["digest"], config["rootfs"]["diff_ids"][i])
        << "an uncompressed layer's digest is its diff_id";
  }

  Ran push = mybuild(a_, {"push", name});
  ASSERT_EQ(push.code, 0) << push.out;
  EXPECT_EQ(count_of(push.out, ": Compressed to gzip"), 2) << push.out;
  json remote = remote_manifest(name);
  EXPECT_EQ(layer_types(remote), std::set<std::string>{std::string(kGzip)}) << remote.dump();
  EXPECT_EQ(remote["config"]["digest"], local["config"]["digest"]) << "the image ID is the same";
  EXPECT_EQ(remote_config(name)["rootfs"]["diff_ids"], config["rootfs"]["diff_ids"]);
  EXPECT_EQ(remote["layers"][0], local["layers"][0]) << "a gzip layer is sent as it is";
  EXPECT_LT(remote["layers"][1]["size"].get<int64_t>(), local["layers"][1]["size"].get<int64_t>())
      << "the COPY layer has compressible text";
  skopeo_copies(name);

  // Again: nothing converted (the table answers), nothing uploaded, nothing new stored.
  int64_t records = conversions(a_);
  EXPECT_EQ(records, 2);
  size_t store_blobs = files_under(a_ / "oci/blobs");
  size_t on_registry_before = registry_blobs();
  Ran again = mybuild(a_, {"push", name});
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_FALSE(contains(again.out, "Compressed")) << again.out;
  EXPECT_FALSE(contains(again.out, "Pushed")) << again.out;
  // 3 layers; the config blob is checked too but, as docker prints it, not listed.
  EXPECT_EQ(count_of(again.out, "Layer already exists"), 3) << again.out;
  EXPECT_EQ(conversions(a_), records);
  EXPECT_EQ(files_under(a_ / "oci/blobs"), store_blobs);
  EXPECT_EQ(registry_blobs(), on_registry_before);
  auto digest_line = [](const std::string& out) { return out.substr(out.rfind("v1: digest: ")); };
  EXPECT_EQ(digest_line(again.out), digest_line(push.out)) << "the same manifest as the first push";

  // zstd: every layer, the gzip base included, is recompressed; skopeo reads and copies it.
  std::string zname = on_registry("conv/app:zstd");
  Ran zpush =
      mybuild(a_, {"push", "--compression", "zstd", "--compression-level", "5", name, zname});
  ASSERT_EQ(zpush.code, 0) << zpush.out;
  EXPECT_EQ(count_of(zpush.out, ": Compressed to zstd"), 3) << zpush.out;
  json zremote = remote_manifest(zname);
  EXPECT_EQ(layer_types(zremote), std::set<std::string>{std::string(kZstd)}) << zremote.dump();
  EXPECT_EQ(zremote["config"]["digest"], local["config"]["digest"]);
  skopeo_copies(zname);
  Ran zagain =
      mybuild(a_, {"push", "--compression", "zstd", "--compression-level", "5", name, zname});
  EXPECT_FALSE(contains(zagain.out, "Compressed")) << zagain.out;

  // Uncompressed, as stored (the base is decompressed).
  std::string pname = on_registry("conv/app:plain");
  ASSERT_EQ(mybuild(a_, {"push", "--compression", "none", name, pname}).code, 0);
  json premote = remote_manifest(pname);
  EXPECT_EQ(layer_types(premote), std::set<std::string>{std::string(kTar)});
  EXPECT_EQ(premote["layers"][2], local["layers"][2]);
  skopeo_copies(pname);

  // prune keeps the conversions of a tagged image: the next push still converts nothing.
  ASSERT_EQ(mybuild(a_, {"prune"}).code, 0);
  Ran after_prune = mybuild(a_, {"push", name});
  ASSERT_EQ(after_prune.code, 0) << after_prune.out;
  EXPECT_FALSE(contains(after_prune.out, "Compressed")) << after_prune.out;
  EXPECT_FALSE(contains(after_prune.out, "Pushed")) << after_prune.out;
}

TEST_F(Convert, APulledGzipImageIsPushedAsItIsAndRecompressedForZstd) {
  std::string name = on_registry("conv/pulled:v1");
  ASSERT_EQ(mybuild(a_, {"tag", "busybox", name}).code, 0);
  ASSERT_EQ(mybuild(a_, {"push", name}).code, 0);
  std::string digest = remote_manifest(name).dump();
  Ran pull = mybuild(b_, {"pull", name});
  ASSERT_EQ(pull.code, 0) << pull.out;

  std::string copy = on_registry("conv/pulled:copy");
  Ran push = mybuild(b_, {"push", name, copy});
  ASSERT_EQ(push.code, 0) << push.out;
  EXPECT_FALSE(contains(push.out, "Compressed")) << "gzip pushed as gzip converts nothing";
  EXPECT_EQ(remote_manifest(copy).dump(), digest) << "the same manifest bytes";

  std::string zname = on_registry("conv/pulled:zstd");
  Ran zpush = mybuild(b_, {"push", "--compression", "zstd", name, zname});
  ASSERT_EQ(zpush.code, 0) << zpush.out;
  EXPECT_EQ(count_of(zpush.out, ": Compressed to zstd"), 1) << zpush.out;
  json z = remote_manifest(zname);
  EXPECT_EQ(layer_types(z), std::set<std::string>{std::string(kZstd)}) << z.dump();
  // The zstd blob really is zstd (magic 28 b5 2f fd), not the gzip bytes under a new name.
  fs::path pulled = work_.path() / "pulled-zstd";
  ASSERT_EQ(
      skopeo({"copy", "--src-tls-verify=false", "docker://" + zname, "oci:" + pulled.string()})
          .code,
      0);
  std::string layer =
      read_text(pulled / "blobs/sha256" / z["layers"][0]["digest"].get<std::string>().substr(7));
  EXPECT_EQ(layer.substr(0, 4), std::string("\x28\xb5\x2f\xfd", 4));
}

TEST_F(Convert, BuildOutputsAndBuildPushFollowTheCompressionAsked) {
  fs::path zstd_tar = work_.path() / "zstd.tar";
  fs::path gzip_tar = work_.path() / "gzip.tar";
  std::string name = on_registry("conv/built:v1");
  Ran build =
      mybuild(a_, {"build", "-q", "-t", name, "--push", "--compression", "zstd", "-o",
                   "type=oci,dest=" + zstd_tar.string(), "-o",
                   "type=oci,dest=" + gzip_tar.string() + ",compression=gzip", ctx_.string()});
  ASSERT_EQ(build.code, 0) << build.out;
  EXPECT_EQ(layer_types(remote_manifest(name)), std::set<std::string>{std::string(kZstd)});
  skopeo_copies(name);
  for (const auto& [tar, type] : {std::pair{zstd_tar, kZstd}, std::pair{gzip_tar, kGzip}}) {
    Ran raw = skopeo({"inspect", "--raw", "oci-archive:" + tar.string()});
    ASSERT_EQ(raw.code, 0) << raw.out;
    EXPECT_EQ(layer_types(json::parse(raw.out)), std::set<std::string>{std::string(type)}) << tar;
    fs::path dest = work_.path() / ("from-" + tar.stem().string());
    Ran copy = skopeo({"copy", "oci-archive:" + tar.string(), "oci:" + dest.string()});
    EXPECT_EQ(copy.code, 0) << copy.out;
  }
  // The store still holds the build's layers uncompressed.
  EXPECT_EQ(local_manifest(a_, name)["layers"][2]["mediaType"], kTar);

  Ran bad =
      mybuild(a_, {"build", "-q", "-o", "type=oci,dest=x.tar,compression=zstd,compression-level=99",
                   ctx_.string()});
  EXPECT_NE(bad.code, 0);
  EXPECT_TRUE(contains(bad.out, "zstd compression level 99")) << bad.out;
}

// buildx spells -t as the image and registry outputs' name= attribute: either names the
// image, one or a quoted list of several, with no -t at all.
TEST_F(Convert, OutputNameAttributeNamesAndPushesTheImage) {
  std::string first = on_registry("conv/named:v1"), second = on_registry("conv/named:v2");
  Ran pushed = mybuild(a_, {"build", "-q", "-o",
                            "type=registry,\"name=" + first + "," + second + "\"", ctx_.string()});
  ASSERT_EQ(pushed.code, 0) << pushed.out;
  for (const auto& n : {first, second}) {
    EXPECT_EQ(layer_types(remote_manifest(n)).count(std::string(kGzip)), 1u) << n;
    EXPECT_TRUE(local_manifest(a_, n).contains("layers")) << n << " is tagged in the store too";
  }
  Ran local = mybuild(a_, {"build", "-q", "-o", "type=image,name=named:local", ctx_.string()});
  ASSERT_EQ(local.code, 0) << local.out;
  EXPECT_TRUE(local_manifest(a_, "named:local").contains("layers"));  // index.json: familiar

  Ran none = mybuild(a_, {"build", "-q", "-o", "type=registry", ctx_.string()});
  EXPECT_EQ(none.code, 2) << none.out;
  EXPECT_TRUE(contains(none.out, "or the output's name=")) << none.out;
}

// FROM an image of a registry: the first build pulls it, later builds use the local copy even
// when the tag moved, and --pull asks the registry again and gets the new image (docker's).
TEST_F(Convert, PullRefreshesABaseWhoseTagMoved) {
  std::string base = on_registry("conv/base:1");
  ASSERT_EQ(mybuild(a_, {"push", "busybox", base}).code, 0);
  fs::path b = work_.path() / "b";
  fs::path ctx2 = work_.path() / "ctx2";
  fs::create_directories(ctx2);
  common::write_file_atomic(
      ctx2 / "Dockerfile",
      "FROM " + base + "\nRUN if test -f /built; then echo new; else echo old; fi > /seen\n");
  Ran first = mybuild(b, {"build", "-t", "app:1", ctx2.string()});
  ASSERT_EQ(first.code, 0) << first.out;

  // The tag moves to an image that has /built (the fixture's build).
  ASSERT_EQ(mybuild(a_, {"build", "-q", "-t", base, "--push", ctx_.string()}).code, 0);

  auto seen = [&](const std::string& tag) {
    Ran r = mybuild(b, {"build", "-q", "-o", "type=local,dest=" + (work_.path() / tag).string(),
                        "-t", tag, ctx2.string()});
    EXPECT_EQ(r.code, 0) << r.out;
    return read_text(work_.path() / tag / "seen");
  };
  EXPECT_EQ(seen("app:2"), "old\n") << "without --pull the local base is used";
  Ran pulled = mybuild(b, {"build", "--pull", "-q", "-t", "app:3", "-o",
                           "type=local,dest=" + (work_.path() / "app:3").string(), ctx2.string()});
  ASSERT_EQ(pulled.code, 0) << pulled.out;
  EXPECT_EQ(read_text(work_.path() / "app:3" / "seen"), "new\n");
}

}  // namespace
}  // namespace mybuild::store_commands_testing
