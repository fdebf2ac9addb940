// The end-to-end suite of `mybuild build` (issue 7): every test gets its own store root with a
// busybox base imported the way users make offline bases (`mybuild import`), a build context
// directory, and runs the real binary as a subprocess. Results are read from the store with
// independent readers (stored_image.h), or by building a second Dockerfile on the result.
//
// A test asserts BuildKit's behaviour outright, never skipping while a known bug shows: such a
// skip stops firing once the bug is fixed, and then hides the bug's return.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/temp_dir.h"
#include "tests/build/stored_image.h"

namespace mybuild::build_testing {

namespace fs = std::filesystem;

// True when one of the progress lines `steps` contains `text`.
inline bool mentions(const std::vector<std::string>& steps, const std::string& text) {
  for (const std::string& s : steps) {
    if (s.find(text) != std::string::npos) return true;
  }
  return false;
}

struct Ran {
  int code = -1;  // exit code, or 128 + signal
  std::string out, err;
  bool ok() const { return code == 0; }
  // "" on success, else the exit code and output: ASSERT_EQ(build(...).failure(), "") shows why.
  std::string failure() const { return ok() ? "" : both(); }
  // For failure messages: both streams.
  std::string both() const {
    return "exit " + std::to_string(code) + "\nstdout:\n" + out + "\nstderr:\n" + err;
  }
};

struct RunOptions {
  fs::path cwd;                            // default: the test's work dir
  std::optional<fs::path> stdin_file;      // default: /dev/null
  std::map<std::string, std::string> env;  // added to the environment
  int timeout_seconds = 120;               // killed (and reported as 137) after this
};

// RunOptions for a process run in `cwd`, with `env` added to the environment.
inline RunOptions in_dir(const fs::path& cwd, std::map<std::string, std::string> env = {},
                         int timeout_seconds = 120) {
  RunOptions o;
  o.cwd = cwd;
  o.env = std::move(env);
  o.timeout_seconds = timeout_seconds;
  return o;
}

// Runs argv[0] (searched in PATH) with stdout/stderr captured through files (no pipe
// deadlocks). Never throws for a non-zero exit.
Ran run_process(const std::vector<std::string>& argv, const RunOptions& opts);

// Starts a process in the background; wait_process collects it (for concurrent builds).
struct Background {
  pid_t pid = -1;
  fs::path out, err;
};
Background start_process(const std::vector<std::string>& argv, const RunOptions& opts,
                         const fs::path& scratch);
Ran wait_process(const Background& b);

void write_file(const fs::path& path, const std::string& content, mode_t mode = 0644);
std::string read_file(const fs::path& path);
bool have_tool(const std::string& name);

// A busybox root filesystem as a plain tar (/usr/bin/tar): the static binary, the applets the
// tests use, /etc/passwd and /etc/group with root and app (1000:1000), /tmp, /home/app.
// `extra` adds files (path -> content), e.g. a marker that tells two bases apart.
fs::path make_busybox_tar(const fs::path& dir,
                          const std::map<std::string, std::string>& extra = {});

class BuildTest : public ::testing::Test {
 protected:
  void SetUp() override;

  const fs::path& work() const { return work_.path(); }
  fs::path root() const { return work() / "root"; }
  fs::path ctx() const { return work() / "ctx"; }
  fs::path layout() const { return root() / "oci"; }

  // A file in the build context.
  void write(const std::string& rel, const std::string& content, mode_t mode = 0644) {
    write_file(ctx() / rel, content, mode);
  }
  void dockerfile(const std::string& text) { write("Dockerfile", text); }

  // `mybuild --root ROOT <args>`.
  Ran mybuild(const std::vector<std::string>& args, RunOptions opts = {});
  // `mybuild --root ROOT build --progress plain <args> <context>` (context: ctx() unless given).
  Ran build(const std::vector<std::string>& args = {}, const std::string& context = "",
            RunOptions opts = {});
  // Imports a busybox rootfs (plus `extra` files) as `name`.
  void import_base(const std::string& name, const std::map<std::string, std::string>& extra = {},
                   const std::string& platform = "");

  StoredImage image(const std::string& ref) { return read_stored_image(layout(), ref); }
  std::optional<std::string> manifest_of(const std::string& ref) {
    return find_manifest(layout(), ref);
  }

  // Builds `text` (written to a Dockerfile of its own in a separate context) as a check on an
  // earlier image: the RUN steps in it exit non-zero when the image is not as expected.
  Ran check_with(const std::string& text, const std::vector<std::string>& args = {});

  common::TempDir work_{"mybuild-build-test-"};
};

// Number of "#N CACHED" lines and of step lines ("#N [") in plain progress output.
int count_cached(const std::string& progress);
// The step lines of plain progress output whose step ended CACHED, by name ("[stage-0 2/3] COPY
// ...").
std::vector<std::string> cached_steps(const std::string& progress);
std::vector<std::string> run_steps(const std::string& progress);  // steps that ended DONE

}  // namespace mybuild::build_testing
