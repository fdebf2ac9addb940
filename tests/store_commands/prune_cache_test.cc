// `mybuild prune --keep-storage` and `--filter until=` through the binary: the build cache
// (records and the layers only they keep, cache-mount directories) goes least recently used
// first, and what is recent stays. Builds only COPY (no sandbox needed).
#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "tests/store_commands/fixture.h"

namespace mybuild::store_commands_testing {
namespace {

using nlohmann::json;
using registry::testing::run_command;

class PruneCache : public WithRegistry {
 protected:
  void SetUp() override {
    WithRegistry::SetUp();
    if (IsSkipped()) return;
    import(store_, "busybox:latest");
  }
  std::string mybuild(std::vector<std::string> args, int want = 0) {
    args.insert(args.begin(), {MYBUILD_BINARY, "--root", store_.string()});
    std::string out;
    EXPECT_EQ(run_command(args, &out), want) << out;
    return out;
  }
  // Builds an image whose one layer is `kLayer` random bytes, untags it (only the build cache
  // keeps the layer), and returns the layer's digest.
  std::string build_cached_layer(const std::string& name) {
    fs::path ctx = work_.path() / ("ctx-" + name);
    fs::create_directories(ctx);
    std::string data(kLayer, '\0');
    std::mt19937_64 rng(std::hash<std::string>()(name));
    for (auto& c : data) c = static_cast<char>(rng());
    common::write_file_atomic(ctx / "big", data);
    common::write_file_atomic(ctx / "Dockerfile", "FROM busybox\nCOPY big /big\n");
    fs::path digest = work_.path() / ("digest-" + name);
    mybuild({"build", "-t", name, "--digest-file", digest.string(), ctx.string()});
    std::string manifest_digest = common::read_file(digest);
    json manifest = json::parse(common::read_file(blob(manifest_digest)));
    mybuild({"rmi", name});
    return manifest["layers"].back()["digest"];
  }
  fs::path blob(const std::string& digest) const {
    return store_ / "oci/blobs/sha256" / digest.substr(7);
  }
  int64_t usage() const {
    int64_t total = 0;
    std::set<std::pair<dev_t, ino_t>> seen;
    for (const auto& e : fs::recursive_directory_iterator(store_)) {
      struct stat st;
      if (::lstat(e.path().c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
          seen.insert({st.st_dev, st.st_ino}).second) {
        total += st.st_size;
      }
    }
    return total;
  }
  static void age(const fs::path& path, int64_t seconds) {
    timespec times[2];
    times[0].tv_sec = times[1].tv_sec = std::time(nullptr) - seconds;
    times[0].tv_nsec = times[1].tv_nsec = 0;
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
  }

  static constexpr int64_t kLayer = 1 << 20;
  fs::path store_ = work_.path() / "store";
};

TEST_F(PruneCache, KeepStorageDropsTheLeastRecentlyUsedFirst) {
  std::string first = build_cached_layer("first");
  // Last use is kept in seconds: a second apart, the order is unambiguous.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  std::string second = build_cached_layer("second");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  std::string third = build_cached_layer("third");
  mybuild({"prune"});  // the usual collection first: what --keep-storage then works from
  ASSERT_TRUE(fs::exists(blob(first)) && fs::exists(blob(second)) && fs::exists(blob(third)))
      << "a plain prune keeps what the build cache refers to";
  const int64_t before = usage();
  const int64_t limit = before - kLayer / 2;  // one layer has to go
  std::string out = mybuild({"prune", "--keep-storage", std::to_string(limit)});
  EXPECT_LE(usage(), limit) << out;
  EXPECT_FALSE(fs::exists(blob(first))) << "the oldest goes first\n" << out;
  EXPECT_TRUE(fs::exists(blob(second))) << out;
  EXPECT_TRUE(fs::exists(blob(third))) << out;
  EXPECT_NE(out.find("Build cache removed: "), std::string::npos) << out;
  // Tagged images stay whatever the limit: busybox is still there.
  mybuild({"prune", "--keep-storage", "1"});
  EXPECT_FALSE(fs::exists(blob(third)));
  EXPECT_NE(mybuild({"images"}).find("busybox"), std::string::npos);
}

TEST_F(PruneCache, FilterUntilKeepsRecentRecordsAndCacheMounts) {
  std::string old_layer = build_cached_layer("old");
  std::string recent_layer = build_cached_layer("recent");
  {
    Store s(store_);
    auto st = s.db.prepare("UPDATE build_cache SET last_used = ? WHERE layer_digest = ?");
    st.bind(1, static_cast<int64_t>(std::time(nullptr)) - 2 * 86400).bind(2, old_layer).run();
  }
  fs::path mounts = store_ / "cache-mounts";
  fs::create_directories(mounts / "old-id");
  fs::create_directories(mounts / "recent-id");
  common::write_file_atomic(mounts / "old-id/pkg", "cached download");
  age(mounts / "old-id", 3 * 86400);

  EXPECT_NE(mybuild({"prune", "--filter", "until=1x"}, 2).find("until=DURATION"),
            std::string::npos);
  std::string out = mybuild({"prune", "--filter", "until=24h"});
  EXPECT_FALSE(fs::exists(blob(old_layer))) << out;
  EXPECT_TRUE(fs::exists(blob(recent_layer))) << out;
  EXPECT_FALSE(fs::exists(mounts / "old-id")) << out;
  EXPECT_TRUE(fs::exists(mounts / "recent-id")) << out;
  EXPECT_NE(out.find("Build cache removed: 1 records, 1 cache mounts"), std::string::npos) << out;
}

}  // namespace
}  // namespace mybuild::store_commands_testing
