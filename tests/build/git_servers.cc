#include "tests/build/git_servers.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace mybuild::build_testing {
namespace {

// Forks `argv` in a process group of its own (servers fork a child per connection or CGI),
// stderr to `log`.
pid_t spawn_server(const std::vector<std::string>& argv, const fs::path& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

bool wait_for_port(int port) {
  for (int i = 0; i < 200; ++i) {
    if (accepts_connections(port)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

void stop_server(pid_t pid) {
  if (pid <= 0) return;
  ::kill(-pid, SIGTERM);
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
}

}  // namespace

std::map<std::string, std::string> git_test_env(const fs::path& home) {
  return {{"GIT_CONFIG_NOSYSTEM", "1"},       {"HOME", home.string()},
          {"GIT_ALLOW_PROTOCOL", "git:file"}, {"GIT_AUTHOR_NAME", "t"},
          {"GIT_AUTHOR_EMAIL", "t@t"},        {"GIT_COMMITTER_NAME", "t"},
          {"GIT_COMMITTER_EMAIL", "t@t"}};
}

GitDaemon::GitDaemon(const fs::path& base) : port_(unused_loopback_port()) {
  // Its log (and "remote end hung up" when a client only lists refs) is not the test's.
  pid_ = spawn_server(
      {"git", "daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1",
       "--port=" + std::to_string(port_), "--base-path=" + base.string(), base.string()},
      base.parent_path() / "git-daemon.log");
  up_ = wait_for_port(port_);
}

GitDaemon::~GitDaemon() { stop_server(pid_); }

HttpsGitServer::HttpsGitServer(const fs::path& dir, const fs::path& repos, const fs::path& files,
                               const std::string& user, const std::string& password)
    : dir_(dir), port_(unused_loopback_port()) {
  const std::string lighttpd = fs::exists("/usr/sbin/lighttpd") ? "/usr/sbin/lighttpd" : "lighttpd";
  if (!have_tool("openssl") || !have_tool(lighttpd)) {
    problem_ = "lighttpd or openssl is not installed (deps/build_tests.txt)";
    return;
  }
  fs::create_directories(dir_);
  Ran cert =
      run_process({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                   (dir_ / "key.pem").string(), "-out", ca_file().string(), "-days", "1", "-subj",
                   "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:127.0.0.1"},
                  {});
  if (!cert.ok()) {
    problem_ = "openssl req: " + cert.both();
    return;
  }
  write_file(dir_ / "server.pem", read_file(ca_file()) + read_file(dir_ / "key.pem"));
  write_file(dir_ / "users", user + ":" + password + "\n");
  write_file(dir_ / "lighttpd.conf",
             "server.document-root = \"" + files.string() + "\"\n" +
                 "server.port = " + std::to_string(port_) + "\nserver.bind = \"127.0.0.1\"\n" +
                 "server.modules = (\"mod_alias\", \"mod_setenv\", \"mod_auth\", "
                 "\"mod_authn_file\", \"mod_cgi\", \"mod_openssl\")\n"
                 "ssl.engine = \"enable\"\nssl.pemfile = \"" +
                 (dir_ / "server.pem").string() + "\"\nauth.backend = \"plain\"\n" +
                 "auth.backend.plain.userfile = \"" + (dir_ / "users").string() + "\"\n" +
                 "alias.url = ( \"/git\" => \"/usr/lib/git-core/git-http-backend\", "
                 "\"/files/\" => \"" +
                 files.string() + "/\" )\n" +
                 "$HTTP[\"url\"] =~ \"^/git\" {\n"
                 "  auth.require = ( \"\" => (\"method\" => \"basic\", \"realm\" => \"git\", "
                 "\"require\" => \"valid-user\") )\n"
                 "  cgi.assign = ( \"\" => \"\" )\n"
                 "  setenv.set-environment = ( \"GIT_PROJECT_ROOT\" => \"" +
                 repos.string() + "\", \"GIT_HTTP_EXPORT_ALL\" => \"1\" )\n}\n");
  pid_ = spawn_server({lighttpd, "-D", "-f", (dir_ / "lighttpd.conf").string()},
                      dir_ / "lighttpd.log");
  if (!wait_for_port(port_))
    problem_ = "lighttpd did not start: " + read_file(dir_ / "lighttpd.log");
}

HttpsGitServer::~HttpsGitServer() { stop_server(pid_); }

}  // namespace mybuild::build_testing
