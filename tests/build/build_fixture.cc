#include "tests/build/build_fixture.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace mybuild::build_testing {

namespace {

const char* kBinary = MYBUILD_BINARY;

// Applets the tests' RUN steps use (the task's list plus awk for a shebang interpreter).
const char* kApplets[] = {"sh",    "ls",    "cat",    "echo",  "mkdir", "rm",     "touch",
                          "id",    "env",   "test",   "stat",  "wc",    "grep",   "sed",
                          "head",  "tail",  "chmod",  "chown", "ln",    "printf", "true",
                          "false", "sleep", "whoami", "awk",   "pwd",   "[",      "tr"};

pid_t spawn(const std::vector<std::string>& argv, const RunOptions& opts, const fs::path& out,
            const fs::path& err) {
  std::vector<std::string> env_strings;
  // opts.env replaces what the environment has (getenv would find the first of two).
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (!opts.env.contains(std::string(entry.substr(0, entry.find('='))))) {
      env_strings.emplace_back(entry);
    }
  }
  for (const auto& [k, v] : opts.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string in = opts.stdin_file ? opts.stdin_file->string() : "/dev/null";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);  // its own group: a timeout kills the whole tree
    int i = ::open(in.c_str(), O_RDONLY);
    int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (i < 0 || o < 0 || e < 0) ::_exit(126);
    ::dup2(i, 0);
    ::dup2(o, 1);
    ::dup2(e, 2);
    if (!opts.cwd.empty() && ::chdir(opts.cwd.c_str()) != 0) ::_exit(126);
    ::execvpe(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

int wait_for(pid_t pid, int timeout_seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  int status = 0;
  while (true) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return 137;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// "#12 rest" -> (12, "rest"); (-1, "") for other lines.
std::pair<int, std::string> step_line(const std::string& line) {
  if (line.size() < 2 || line[0] != '#') return {-1, ""};
  size_t i = 1;
  while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i]))) ++i;
  if (i == 1 || i >= line.size() || line[i] != ' ') return {-1, ""};
  return {std::stoi(line.substr(1, i - 1)), line.substr(i + 1)};
}

// Step number -> (name, final state) from plain progress output.
std::map<int, std::pair<std::string, std::string>> steps_of(const std::string& progress) {
  std::map<int, std::pair<std::string, std::string>> steps;
  std::istringstream in(progress);
  for (std::string line; std::getline(in, line);) {
    auto [n, rest] = step_line(line);
    if (n < 0 || rest.rfind("cache miss:", 0) == 0) continue;
    auto& s = steps[n];
    if (s.first.empty()) {
      s.first = rest;
    } else if (rest == "CACHED" || rest.rfind("DONE", 0) == 0 || rest == "ERROR") {
      s.second = rest.substr(0, rest.find(' '));
    }
  }
  return steps;
}

}  // namespace

Ran run_process(const std::vector<std::string>& argv, const RunOptions& opts) {
  common::TempDir scratch("mybuild-build-test-run-");
  Background b = start_process(argv, opts, scratch.path());
  Ran r;
  r.code = wait_for(b.pid, opts.timeout_seconds);
  r.out = read_file(b.out);
  r.err = read_file(b.err);
  return r;
}

Background start_process(const std::vector<std::string>& argv, const RunOptions& opts,
                         const fs::path& scratch) {
  static int counter = 0;
  Background b;
  std::string n = std::to_string(++counter);
  b.out = scratch / ("stdout-" + n);
  b.err = scratch / ("stderr-" + n);
  b.pid = spawn(argv, opts, b.out, b.err);
  return b;
}

Ran wait_process(const Background& b) {
  Ran r;
  r.code = wait_for(b.pid, 120);
  r.out = read_file(b.out);
  r.err = read_file(b.err);
  return r;
}

void write_file(const fs::path& path, const std::string& content, mode_t mode) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  ::chmod(path.c_str(), mode);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool have_tool(const std::string& name) {
  return run_process({"sh", "-c", "command -v " + name}, {}).ok();
}

fs::path make_busybox_tar(const fs::path& dir, const std::map<std::string, std::string>& extra) {
  static int counter = 0;
  std::string n = std::to_string(++counter);
  fs::path root = dir / ("busybox-rootfs-" + n);
  fs::create_directories(root / "bin");
  fs::copy_file("/bin/busybox", root / "bin/busybox");
  ::chmod((root / "bin/busybox").c_str(), 0755);
  for (const char* applet : kApplets) fs::create_symlink("busybox", root / "bin" / applet);
  write_file(root / "etc/passwd",
             "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n");
  write_file(root / "etc/group", "root:x:0:\napp:x:1000:\n");
  fs::create_directories(root / "tmp");
  ::chmod((root / "tmp").c_str(), 01777);
  fs::create_directories(root / "root");
  ::chmod((root / "root").c_str(), 0700);
  fs::create_directories(root / "home/app");
  if (::chown((root / "home/app").c_str(), 1000, 1000) != 0) {
    ADD_FAILURE() << "chown /home/app";
  }
  for (const auto& [path, content] : extra) write_file(root / path, content);
  fs::path tar = dir / ("busybox-" + n + ".tar");
  Ran r = run_process({"/usr/bin/tar", "--create", "--file", tar.string(), "--directory",
                       root.string(), "--numeric-owner", "--sort=name", "."},
                      {});
  if (!r.ok()) ADD_FAILURE() << "tar: " << r.both();
  return tar;
}

void BuildTest::SetUp() {
  if (::geteuid() != 0) GTEST_SKIP() << "the build suite runs RUN steps in namespaces as root";
  if (!fs::exists("/bin/busybox"))
    GTEST_SKIP() << "busybox-static is not installed (deps/build_tests.txt)";
  fs::create_directories(ctx());
  import_base("busybox:latest");
}

void BuildTest::import_base(const std::string& name,
                            const std::map<std::string, std::string>& extra,
                            const std::string& platform) {
  fs::path tar = make_busybox_tar(work(), extra);
  std::vector<std::string> args = {"import", "--compression", "none", tar.string(), name};
  if (!platform.empty()) args.insert(args.begin() + 1, {"--platform", platform});
  Ran r = mybuild(args);
  ASSERT_TRUE(r.ok()) << "mybuild import: " << r.both();
}

Ran BuildTest::mybuild(const std::vector<std::string>& args, RunOptions opts) {
  std::vector<std::string> argv = {kBinary, "--root", root().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  if (opts.cwd.empty()) opts.cwd = work();
  return run_process(argv, opts);
}

Ran BuildTest::build(const std::vector<std::string>& args, const std::string& context,
                     RunOptions opts) {
  std::vector<std::string> argv = {"build", "--progress", "plain"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(context.empty() ? ctx().string() : context);
  return mybuild(argv, std::move(opts));
}

Ran BuildTest::check_with(const std::string& text, const std::vector<std::string>& args) {
  static int counter = 0;
  fs::path dir = work() / ("check-" + std::to_string(++counter));
  write_file(dir / "Dockerfile", text);
  std::vector<std::string> argv = {"build", "--progress", "plain"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(dir.string());
  return mybuild(argv);
}

int count_cached(const std::string& progress) {
  return static_cast<int>(cached_steps(progress).size());
}

std::vector<std::string> cached_steps(const std::string& progress) {
  std::vector<std::string> out;
  for (const auto& [n, s] : steps_of(progress)) {
    if (s.second == "CACHED") out.push_back(s.first);
  }
  return out;
}

std::vector<std::string> run_steps(const std::string& progress) {
  std::vector<std::string> out;
  for (const auto& [n, s] : steps_of(progress)) {
    if (s.second == "DONE" && s.first.find("] ") != std::string::npos &&
        s.first.find("FROM ") == std::string::npos) {
      out.push_back(s.first);
    }
  }
  return out;
}

}  // namespace mybuild::build_testing
