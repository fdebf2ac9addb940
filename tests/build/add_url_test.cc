// ADD of a URL end to end, from a real HTTP server (Python's http.server on a free loopback
// port): the file lands under its URL's name, a remote archive is not unpacked, and --checksum
// is verified with each algorithm BuildKit takes (sha256, sha384, sha512).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "tests/build/build_fixture.h"

namespace mybuild::build_testing {
namespace {

// Serves `dir` over HTTP on 127.0.0.1 for the life of the object.
class HttpFiles {
 public:
  explicit HttpFiles(const fs::path& dir) {
    const fs::path port_file = dir.parent_path() / "http-port";
    static constexpr const char* kServer =
        "import functools, http.server, os, sys\n"
        "h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])\n"
        "s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), h)\n"
        "open(sys.argv[2] + '.tmp', 'w').write(str(s.server_address[1]))\n"
        "os.rename(sys.argv[2] + '.tmp', sys.argv[2])\n"
        "s.serve_forever()\n";
    pid_ = ::fork();
    if (pid_ == 0) {
      const int null = ::open("/dev/null", O_WRONLY);  // the access log is noise here
      ::dup2(null, 2);
      ::execl("/usr/bin/python3", "python3", "-c", kServer, dir.c_str(), port_file.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 200 && !fs::exists(port_file); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (fs::exists(port_file)) port_ = read_file(port_file);
  }
  ~HttpFiles() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  HttpFiles(const HttpFiles&) = delete;
  HttpFiles& operator=(const HttpFiles&) = delete;

  bool up() const { return !port_.empty(); }
  std::string url(const std::string& name) const {
    return "http://127.0.0.1:" + port_ + "/" + name;
  }

 private:
  pid_t pid_ = -1;
  std::string port_;
};

class AddUrl : public BuildTest {
 protected:
  void SetUp() override {
    BuildTest::SetUp();
    write_file(work() / "www/tool.txt", "hello from the web\n");
    server_ = std::make_unique<HttpFiles>(work() / "www");
    if (!server_->up()) GTEST_SKIP() << "python3 http.server did not start";
  }
  std::unique_ptr<HttpFiles> server_;
};

// "sha256:<hex>" of `file` by coreutils' sha256sum (sha384sum, sha512sum).
std::string digest_of(const std::string& tool, const fs::path& file) {
  Ran r = run_process({"sh", "-c", tool + " " + file.string() + " | cut -d' ' -f1"}, {});
  std::string hex = r.out.substr(0, r.out.find('\n'));
  return tool.substr(0, 6) + ":" + hex;
}

TEST_F(AddUrl, DownloadsUnderTheUrlNameAndChecksEveryAlgorithm) {
  const fs::path file = work() / "www/tool.txt";
  const std::string sha256 = digest_of("sha256sum", file);
  const std::string sha384 = digest_of("sha384sum", file);
  const std::string sha512 = digest_of("sha512sum", file);
  dockerfile(
      "FROM busybox\n"
      "ADD " +
      server_->url("tool.txt") +
      " /web/\n"
      "ADD --checksum=" +
      sha256 + " " + server_->url("tool.txt") +
      " /web/a.txt\n"
      "ADD --checksum=" +
      sha384 + " " + server_->url("tool.txt") +
      " /web/b.txt\n"
      "ADD --checksum=" +
      sha512 + " " + server_->url("tool.txt") + " /web/c.txt\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  auto img = image("app:v1");
  for (const char* path : {"/web/tool.txt", "/web/a.txt", "/web/b.txt", "/web/c.txt"}) {
    EXPECT_EQ(img.content(path), "hello from the web\n") << path;
  }
}

TEST_F(AddUrl, AChecksumMismatchFailsTheBuildAndNamesBothDigests) {
  const std::string wrong = "sha384:" + std::string(96, 'a');
  dockerfile("FROM busybox\nADD --checksum=" + wrong + " " + server_->url("tool.txt") + " /t\n");
  Ran r = build({"-t", "app:v1"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("checksum mismatch: expected " + wrong + ", got sha384:"), std::string::npos)
      << r.err;
  EXPECT_FALSE(manifest_of("app:v1"));

  dockerfile("FROM busybox\nADD --checksum=md5:0123 " + server_->url("tool.txt") + " /t\n");
  Ran bad = build({"-t", "app:v1"});
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.err.find("not a digest (sha256:, sha384: or sha512:"), std::string::npos)
      << bad.err;
}

TEST_F(AddUrl, ARemoteArchiveIsNotUnpacked) {
  Ran tar =
      run_process({"sh", "-c", "cd " + work().string() + "/www && tar -czf a.tar.gz tool.txt"}, {});
  ASSERT_EQ(tar.code, 0) << tar.both();
  dockerfile("FROM busybox\nADD " + server_->url("a.tar.gz") +
             " /dl/\n"
             "RUN test -f /dl/a.tar.gz && test ! -e /dl/tool.txt\n");
  EXPECT_EQ(build({"-t", "app:v1"}).failure(), "");
}

}  // namespace
}  // namespace mybuild::build_testing
