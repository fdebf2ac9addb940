// Build contexts that fight back: symlinks that point outside the context (kept as links,
// never followed out), hard links (kept as hard links, as BuildKit's fsutil sends them), FIFOs,
// sockets and device nodes (copied as nodes, never opened: a FIFO would block the build and a
// device like /dev/zero would never end), files nobody may read, 100,000 files in one
// directory, a file rewritten while the build reads it, and names with newlines and bytes that
// are not UTF-8 (copied byte-exact).
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "tests/build/build_fixture.h"

namespace mybuild::build_testing {
namespace {

using HostileContext = BuildTest;

const std::string kSecret = "outside-the-context-SECRET-1234";

// True when any layer of the image holds `text` in a regular file.
bool any_layer_holds(const StoredImage& img, const std::string& text) {
  for (const auto& l : img.layers) {
    for (const auto& [path, e] : l.entries) {
      if (e.content.find(text) != std::string::npos) return true;
    }
  }
  return false;
}

TEST_F(HostileContext, SymlinksOutsideStayLinksAndAreNeverFollowedOut) {
  write_file(work() / "outside/secret.txt", kSecret);
  write("in.txt", "inside\n");
  fs::create_symlink(work() / "outside/secret.txt", ctx() / "abs");
  fs::create_symlink("../outside/secret.txt", ctx() / "rel");
  fs::create_symlink("../outside", ctx() / "outdir");
  dockerfile("FROM busybox\nCOPY . /app/\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_EQ(r.failure(), "");
  StoredImage img = image("app:v1");
  ASSERT_TRUE(img.has("/app/abs"));
  EXPECT_EQ(img.find("/app/abs")->type, 'l');
  EXPECT_EQ(img.find("/app/abs")->link, (work() / "outside/secret.txt").string());
  EXPECT_EQ(img.find("/app/rel")->type, 'l');
  EXPECT_EQ(img.find("/app/rel")->link, "../outside/secret.txt");
  EXPECT_EQ(img.find("/app/outdir")->type, 'l');
  EXPECT_FALSE(any_layer_holds(img, kSecret));
  // Through the links: resolved inside the context root, where nothing is; never the host file.
  for (const std::string src : {"outdir/secret.txt", "abs", "rel"}) {
    dockerfile("FROM busybox\nCOPY " + src + " /x\n");
    Ran through = build({"-t", "app:v2"});
    if (through.ok()) {
      EXPECT_FALSE(any_layer_holds(image("app:v2"), kSecret)) << src;
    } else {
      EXPECT_NE(through.err.find(src), std::string::npos) << through.err;
      EXPECT_EQ(through.err.find(kSecret), std::string::npos) << through.err;
    }
  }
}

TEST_F(HostileContext, HardLinksStayHardLinks) {
  write("a", "shared bytes\n");
  ASSERT_EQ(::link((ctx() / "a").c_str(), (ctx() / "b").c_str()), 0);
  dockerfile("FROM busybox\nCOPY . /app/\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  StoredImage img = image("app:v1");
  const LayerListing& top = img.layers.back();
  int files = 0, links = 0;
  for (const auto& [path, e] : top.entries) {
    if (path == "app/a" || path == "app/b") {
      files += e.type == 'f';
      links += e.type == 'h';
      if (e.type == 'h') {
        EXPECT_TRUE(e.link == "app/a" || e.link == "app/b") << e.link;
      }
    }
  }
  EXPECT_EQ(files, 1);
  EXPECT_EQ(links, 1);
  EXPECT_EQ(img.content("/app/a"), "shared bytes\n");
}

TEST_F(HostileContext, FifosSocketsAndDevicesAreNodesNeverRead) {
  write("plain", "p\n");
  ASSERT_EQ(::mkfifo((ctx() / "fifo").c_str(), 0644), 0);
  ASSERT_EQ(::mknod((ctx() / "zero").c_str(), S_IFCHR | 0666, makedev(1, 5)), 0);  // /dev/zero
  int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string sock = (ctx() / "sock").string();
  ASSERT_LT(sock.size(), sizeof(addr.sun_path));
  std::copy(sock.begin(), sock.end(), addr.sun_path);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  dockerfile("FROM busybox\nCOPY . /app/\n");
  RunOptions o;
  o.timeout_seconds = 60;  // a FIFO opened for reading would hang here
  Ran r = build({"-t", "app:v1"}, "", o);
  ::close(s);
  ASSERT_EQ(r.failure(), "");
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/app/plain"), "p\n");
  ASSERT_TRUE(img.has("/app/fifo"));
  EXPECT_EQ(img.find("/app/fifo")->type, 'p');
  ASSERT_TRUE(img.has("/app/zero"));
  EXPECT_EQ(img.find("/app/zero")->type, 'c');
  // A socket cannot travel in a tar: skipped (as tar and Docker's classic builder skip it).
  EXPECT_FALSE(img.has("/app/sock") && img.find("/app/sock")->size > 0);
}

TEST_F(HostileContext, UnreadableFileIsAnErrorNamingIt) {
  if (!have_tool("setpriv")) GTEST_SKIP() << "setpriv (util-linux) is needed to drop DAC override";
  write("ok.txt", "fine\n");
  write("locked.txt", "no\n", 0000);
  ASSERT_EQ(::chown((ctx() / "locked.txt").c_str(), 4242, 4242), 0);
  dockerfile("FROM busybox\nCOPY . /app/\n");
  // Root reads anything; without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH it reads as a user.
  std::vector<std::string> argv = {"setpriv",
                                   "--inh-caps=-dac_override,-dac_read_search",
                                   "--bounding-set=-dac_override,-dac_read_search",
                                   MYBUILD_BINARY,
                                   "--root",
                                   root().string(),
                                   "build",
                                   "--progress",
                                   "plain",
                                   "-t",
                                   "app:v1",
                                   ctx().string()};
  RunOptions opts;
  opts.cwd = work();
  Ran r = run_process(argv, opts);
  EXPECT_EQ(r.code, 1) << r.both();
  EXPECT_NE(r.err.find("locked.txt"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
  EXPECT_FALSE(manifest_of("app:v1"));
}

TEST_F(HostileContext, HundredThousandFilesInOneDirectory) {
  const int kFiles = 100000;
  const fs::path many = ctx() / "many";
  fs::create_directories(many);
  for (int i = 0; i < kFiles; ++i) {
    std::string name = std::to_string(i);
    name.insert(name.begin(), 'f');
    std::string p = (many / name).string();
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0) << p;
    ASSERT_EQ(::write(fd, "x", 1), 1);
    ::close(fd);
  }
  dockerfile("FROM busybox\nCOPY many /many/\nRUN test \"$(ls /many | wc -l)\" = 100000\n");
  auto t0 = std::chrono::steady_clock::now();
  RunOptions slow;
  slow.timeout_seconds = 170;
  Ran r = build({"-t", "app:v1"}, "", slow);
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(r.failure(), "");
  EXPECT_LT(took, std::chrono::seconds(120));
  std::cerr << "100,000 files: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n";
  // And the second build is a cache hit (the walk and the memo, no copy).
  Ran again = build({"-t", "app:v1"});
  ASSERT_EQ(again.failure(), "");
  EXPECT_EQ(count_cached(again.err), 2) << again.err;
}

// A writer rewrites a file in place while the build hashes and copies it. Whatever the build
// did, the image must hold one consistent version (all 'A' or all 'B'), never a torn mix;
// or the build must fail naming the file.
TEST_F(HostileContext, FileChangingDuringTheBuildIsNeverTorn) {
  const size_t kSize = 8 << 20;
  write("big", std::string(kSize, 'A'));
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    std::string a(kSize, 'A'), b(kSize, 'B');
    int fd = ::open((ctx() / "big").c_str(), O_WRONLY | O_CLOEXEC);
    for (int i = 0; fd >= 0 && !stop; ++i) {
      const std::string& v = i % 2 ? b : a;
      for (size_t off = 0; off < kSize && !stop; off += 65536) {
        if (::pwrite(fd, v.data() + off, 65536, static_cast<off_t>(off)) < 0) break;
      }
    }
    if (fd >= 0) ::close(fd);
  });
  dockerfile("FROM busybox\nCOPY big /big\n");
  Ran r = build({"-t", "app:v1"});
  stop = true;
  writer.join();
  if (!r.ok()) {
    EXPECT_NE(r.err.find("big"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("changed"), std::string::npos) << r.err;
    return;
  }
  StoredImage img = image("app:v1");
  std::string got = img.content("/big");
  ASSERT_EQ(got.size(), kSize);
  EXPECT_TRUE(got == std::string(kSize, 'A') || got == std::string(kSize, 'B'))
      << "torn: " << std::count(got.begin(), got.end(), 'A') << " A bytes";
}

TEST_F(HostileContext, NamesWithNewlinesAndInvalidUtf8AreCopiedByteExact) {
  const std::string nl = "line\nbreak.txt", bad = std::string("\xff\xfe-latin1-\xe9.bin");
  write(nl, "n\n");
  write(bad, "b\n");
  write("dir\n2/inner", "i\n");
  dockerfile("FROM busybox\nCOPY . /app/\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/app/" + nl), "n\n");
  EXPECT_EQ(img.content("/app/" + bad), "b\n");
  EXPECT_EQ(img.content("/app/dir\n2/inner"), "i\n");
  // And a RUN step sees the same bytes.
  dockerfile(
      "FROM app:v1\nRUN test -f \"/app/$(printf 'line\\nbreak.txt')\" && "
      "test -f \"/app/$(printf '\\377\\376-latin1-\\351.bin')\"\n");
  EXPECT_EQ(build({"-t", "app:v2"}).failure(), "");
}

}  // namespace
}  // namespace mybuild::build_testing
