// What a user sees when a build cannot start or cannot finish: the exit code (cli/exit_codes.h:
// 1 failed build, 2 bad usage, as docker), one clear message, the Dockerfile line, no crash and
// nothing tagged.
#include "tests/build/build_fixture.h"

namespace mybuild::build_testing {
namespace {

using BuildErrors = BuildTest;

void expect_no_crash(const Ran& r) {
  EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
  EXPECT_LT(r.code, 128) << "killed by a signal\n" << r.both();
}

TEST_F(BuildErrors, UnknownInstructionNamesFileAndLine) {
  dockerfile("FROM busybox\n\nFROBNICATE x\n");
  Ran r = build({"-t", "app:v1"});
  EXPECT_EQ(r.code, 1) << r.both();
  EXPECT_NE(r.err.find("Dockerfile:3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unknown instruction"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("FROBNICATE"), std::string::npos) << r.err;
  expect_no_crash(r);
  EXPECT_FALSE(manifest_of("app:v1"));
}

// ADD of a git source is fetched (tests/build/git_context_test.cc); one that cannot be is an error
// naming it, at its line, and is never looked up as a plain file or a context path.
TEST_F(BuildErrors, AddOfAnUnreachableGitSourceNamesIt) {
  const std::string src = "git://127.0.0.1:1/r.git#main";  // port 1: nothing listens
  dockerfile("FROM busybox\nADD " + src + " /src\n");
  Ran r = build({"-t", "app:v1"});
  EXPECT_EQ(r.code, 1) << r.both();
  EXPECT_NE(r.err.find("git context " + src + ": cannot reach git://127.0.0.1:1/r.git"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(" 2 | ADD " + src), std::string::npos) << r.err;  // the line shown
  dockerfile("FROM busybox\nADD " + src + " extra /src/\n");
  Ran mixed = build({"-t", "app:v1"});
  EXPECT_NE(mixed.err.find("ADD of a git repository (" + src + ") must be the only source"),
            std::string::npos)
      << mixed.err;
}

TEST_F(BuildErrors, UnknownTargetNamesTheStage) {
  dockerfile("FROM busybox AS real\nRUN true\n");
  Ran r = build({"-t", "app:v1", "--target", "nope"});
  EXPECT_NE(r.code, 0) << r.both();
  EXPECT_NE(r.err.find("target stage \"nope\" could not be found"), std::string::npos) << r.err;
  expect_no_crash(r);
  EXPECT_FALSE(manifest_of("app:v1"));
  // docker buildx build --target nope: BuildKit fails the solve, the CLI exits 1 (not 2, usage).
  EXPECT_EQ(r.code, 1);
}

TEST_F(BuildErrors, MissingBaseImageIsAClearError) {
  // A registry that refuses connections: the error comes at once, without the network.
  dockerfile("FROM 127.0.0.1:9/no/such-image:v1\nRUN true\n");
  Ran r = build({"-t", "app:v1"});
  EXPECT_EQ(r.code, 1) << r.both();
  EXPECT_NE(r.err.find("127.0.0.1:9/no/such-image:v1"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 | FROM 127.0.0.1:9/no/such-image:v1"), std::string::npos) << r.err;
  expect_no_crash(r);
  EXPECT_FALSE(manifest_of("app:v1"));
}

TEST_F(BuildErrors, MissingDockerfile) {
  Ran r = build({"-t", "app:v1"});
  EXPECT_EQ(r.code, 1) << r.both();
  EXPECT_NE(r.err.find("Dockerfile"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no such file"), std::string::npos) << r.err;
  expect_no_crash(r);
}

TEST_F(BuildErrors, EmptyDockerfileAndNoFrom) {
  dockerfile("");
  Ran r = build({"-t", "app:v1"});
  EXPECT_EQ(r.code, 1) << r.both();
  expect_no_crash(r);
  dockerfile("# only a comment\nARG X=1\n");
  r = build({"-t", "app:v1"});
  EXPECT_EQ(r.code, 1) << r.both();
  EXPECT_NE(r.err.find("FROM"), std::string::npos) << r.err;
  expect_no_crash(r);
  EXPECT_FALSE(manifest_of("app:v1"));
}

TEST_F(BuildErrors, CopyFromAStageDefinedLater) {
  dockerfile(
      "FROM busybox AS first\nCOPY --from=later /x /x\nFROM busybox AS later\nRUN touch /x\n");
  Ran r = build({"-t", "app:v1", "--target", "first"});
  EXPECT_EQ(r.code, 1) << r.both();
  EXPECT_NE(r.err.find("later"), std::string::npos) << r.err;
  expect_no_crash(r);
  EXPECT_FALSE(manifest_of("app:v1"));
}

TEST_F(BuildErrors, BadFlagIsAUsageError) {
  dockerfile("FROM busybox\n");
  Ran r = build({"--progress", "fancy"});
  EXPECT_EQ(r.code, 2) << r.both();
  r = build({"--memory", "lots"});
  EXPECT_EQ(r.code, 2) << r.both();
  EXPECT_NE(r.err.find("--memory"), std::string::npos) << r.err;
}

// `mybuild build - < Dockerfile` and `-f -`: the snippet is the line of the Dockerfile that was
// read from stdin, not of a ./Dockerfile that happens to be in the current directory.
TEST_F(BuildErrors, ADockerfileFromStdinShowsItsOwnLine) {
  fs::path cwd = work() / "elsewhere";
  write_file(cwd / "Dockerfile", "FROM busybox\nRUN echo decoy-one\nRUN echo decoy-two\n");
  fs::path parse_error = work() / "parse-error.Dockerfile";
  write_file(parse_error, "FROM busybox\nRUN true\nFROBNICATE from-stdin\n");
  RunOptions opts;
  opts.cwd = cwd;
  opts.stdin_file = parse_error;
  Ran r = build({"-t", "app:v1"}, "-", opts);
  EXPECT_EQ(r.code, 1) << r.both();
  EXPECT_NE(r.err.find(" 3 | FROBNICATE from-stdin"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("decoy"), std::string::npos) << r.err;

  fs::path failing_run = work() / "failing-run.Dockerfile";
  write_file(failing_run, "FROM busybox\nRUN echo from-stdin && exit 3\n");
  opts.stdin_file = failing_run;
  r = build({"-t", "app:v1", "-f", "-"}, "", opts);
  EXPECT_EQ(r.code, 1) << r.both();
  EXPECT_NE(r.err.find(" 2 | RUN echo from-stdin && exit 3"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("decoy"), std::string::npos) << r.err;
  expect_no_crash(r);
}

}  // namespace
}  // namespace mybuild::build_testing
