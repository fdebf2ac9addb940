// Multi-stage builds: --target, stages the target does not need, independent stages, FROM an
// earlier stage.
#include <algorithm>

#include "tests/build/build_fixture.h"

namespace mybuild::build_testing {
namespace {

using BuildStages = BuildTest;

TEST_F(BuildStages, TargetBuildsThatStageOnly) {
  dockerfile(
      "FROM busybox AS first\n"
      "RUN echo first > /first\n"
      "FROM busybox AS second\n"
      "RUN echo second > /second\n");
  Ran r = build({"-t", "app:v1", "--target", "first"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/first"), "first\n");
  EXPECT_FALSE(img.has("/second"));
  EXPECT_EQ(r.err.find("echo second"), std::string::npos) << "the later stage must not run\n"
                                                          << r.err;
  // Stage names are case-insensitive, as in BuildKit.
  r = build({"-t", "app:v2", "--target", "SECOND"});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_TRUE(image("app:v2").has("/second"));
}

TEST_F(BuildStages, UnusedStagesAreNotRun) {
  dockerfile(
      "FROM busybox AS broken\n"
      "RUN echo broken-stage-ran; false\n"
      "FROM busybox AS used\n"
      "RUN echo used > /used\n"
      "FROM busybox\n"
      "COPY --from=used /used /used\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_EQ(image("app:v1").content("/used"), "used\n");
  EXPECT_EQ(r.err.find("broken-stage-ran"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("[broken"), std::string::npos) << r.err;

  // --skip-unused-stages=false builds every stage before the target, so the broken one fails.
  r = build({"-t", "app:v2", "--skip-unused-stages=false"});
  EXPECT_EQ(r.code, 1) << r.both();
  EXPECT_NE(r.err.find("broken-stage-ran"), std::string::npos) << r.err;
}

TEST_F(BuildStages, IndependentStagesBothFinish) {
  dockerfile(
      "FROM busybox AS x\n"
      "RUN sleep 1 && echo x > /x\n"
      "FROM busybox AS y\n"
      "RUN sleep 1 && echo y > /y\n"
      "FROM busybox\n"
      "COPY --from=x /x /x\n"
      "COPY --from=y /y /y\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/x"), "x\n");
  EXPECT_EQ(img.content("/y"), "y\n");
  EXPECT_NE(r.err.find("[x 2/2] RUN"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[y 2/2] RUN"), std::string::npos) << r.err;
  // --jobs 1 runs them one after the other and gives the same image.
  Ran serial = build({"-t", "app:v2", "--jobs", "1", "--no-cache"});
  ASSERT_TRUE(serial.ok()) << serial.both();
  EXPECT_EQ(image("app:v2").content("/y"), "y\n");
}

TEST_F(BuildStages, FromAnEarlierStageInheritsItsFilesAndConfig) {
  dockerfile(
      "FROM busybox AS base\n"
      "RUN echo base > /base\n"
      "ENV FROM_BASE=1\n"
      "WORKDIR /srv\n"
      "LABEL stage=base\n"
      "FROM base AS child\n"
      "RUN cat /base > child && pwd >> child\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/srv/child"), "base\n/srv\n");
  EXPECT_EQ(img.runtime()["WorkingDir"], "/srv");
  EXPECT_EQ(img.runtime()["Labels"]["stage"], "base");
  auto env = img.env();
  EXPECT_NE(std::find(env.begin(), env.end(), "FROM_BASE=1"), env.end());
  // The base stage's history carries over, as BuildKit's clone of the stage's image.
  auto h = img.build_history();
  ASSERT_FALSE(h.empty());
  EXPECT_EQ(h.front(), "RUN /bin/sh -c echo base > /base # buildkit");
}

TEST_F(BuildStages, AnImageBuiltHereIsABaseForTheNextBuild) {
  write("a.txt", "a\n");
  dockerfile("FROM busybox\nWORKDIR /app\nCOPY a.txt .\nRUN echo ran > ran\nENV FROM_APP=1\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  // The second build runs in the first image and fails when its filesystem or config is wrong.
  Ran r = check_with(
      "FROM app:v1\n"
      "RUN test \"$(cat /app/a.txt)\" = a && test \"$(cat ran)\" = ran && test \"$FROM_APP\" = 1 "
      "&& test \"$(pwd)\" = /app\n",
      {"-t", "checked:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
}

// BuildKit (convert.go resolveStages): a stage whose base is another stage runs that stage's
// ONBUILD commands first, and Config.OnBuild is not inherited.
TEST_F(BuildStages, FromAStageRunsItsOnbuildTriggers) {
  dockerfile(
      "FROM busybox AS base\n"
      "ONBUILD RUN echo triggered > /onbuild\n"
      "FROM base\n"
      "RUN echo child > /child\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_TRUE(img.has("/child"));
  EXPECT_TRUE(img.has("/onbuild")) << "FROM <stage> runs the stage's ONBUILD trigger";
  EXPECT_FALSE(img.runtime().contains("OnBuild"))
      << "triggers are consumed, not inherited: "
      << img.runtime().value("OnBuild", nlohmann::json()).dump();
}

// A base image's ONBUILD COPY --from=<stage> names a stage of the child's Dockerfile that
// nothing else needs: BuildKit builds it (it reads the triggers while planning); mybuild
// learns of it only once the base is read, and builds it then.
TEST_F(BuildStages, OnbuildCopyFromAStageNothingElseNeeds) {
  dockerfile("FROM busybox\nONBUILD COPY --from=helper /made /from-helper\n");
  ASSERT_EQ(build({"-t", "base:v1"}).failure(), "");
  write_file(work() / "child/Dockerfile",
             "FROM busybox AS helper\n"
             "RUN echo helped > /made\n"
             "FROM base:v1\n"
             "RUN cat /from-helper\n");
  Ran r = mybuild({"build", "--progress", "plain", "-t", "child:v1", (work() / "child").string()});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_EQ(image("child:v1").content("/from-helper"), "helped\n");
}

}  // namespace
}  // namespace mybuild::build_testing
