// Image config written by `mybuild build`, instruction by instruction, against what BuildKit
// writes for the same Dockerfile (moby/buildkit frontend/dockerfile/dockerfile2llb/convert.go).
#include <gmock/gmock.h>

#include <algorithm>

#include "tests/build/build_fixture.h"

namespace mybuild::build_testing {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using BuildConfig = BuildTest;

const char* kPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

TEST_F(BuildConfig, EnvBothFormsAndOverrideKeepsPosition) {
  dockerfile(
      "FROM busybox\n"
      "ENV A=1 B=\"two words\"\n"
      "ENV C 3\n"
      "ENV A=9\n"
      "RUN echo \"$A|$B|$C\" > /seen\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_THAT(img.env(), ElementsAre(kPath, "A=9", "B=two words", "C=3"));
  EXPECT_EQ(img.content("/seen"), "9|two words|3\n");
  auto h = img.build_history();
  ASSERT_GE(h.size(), 3u);
  EXPECT_EQ(h[0], "ENV A=1 B=two words");
  EXPECT_EQ(h[1], "ENV C=3");
  EXPECT_EQ(h[2], "ENV A=9");
}

TEST_F(BuildConfig, ArgDefaultsAndBuildArgReachRunButNotTheImage) {
  dockerfile(
      "FROM busybox\n"
      "ARG X=def\n"
      "ARG Y\n"
      "ARG Z\n"
      "RUN echo \"$X-$Y-${Z:-unset}\" > /xy\n");
  Ran r = build({"-t", "app:v1", "--build-arg", "Y=given"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/xy"), "def-given-unset\n");
  EXPECT_THAT(img.env(), ElementsAre(kPath)) << "ARG values never persist in the config";
  auto h = img.build_history();
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h[0], "ARG X=def");
  EXPECT_EQ(h[2], "ARG Z");
  EXPECT_EQ(h[3], "RUN |3 X=def Y=given Z= /bin/sh -c echo \"$X-$Y-${Z:-unset}\" > /xy # buildkit");
  // BuildKit's dispatchArg writes the value a --build-arg gave.
  EXPECT_EQ(h[1], "ARG Y=given");
}

TEST_F(BuildConfig, GlobalArgBeforeFromChoosesTheBase) {
  import_base("marked:v1", {{"marker", "from marked\n"}});
  dockerfile(
      "ARG BASE=busybox\n"
      "FROM ${BASE}\n"
      "RUN cat /marker > /seen 2>/dev/null || echo none > /seen\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_EQ(image("app:v1").content("/seen"), "none\n");
  r = build({"-t", "app:v2", "--build-arg", "BASE=marked:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_EQ(image("app:v2").content("/seen"), "from marked\n");
}

TEST_F(BuildConfig, GlobalArgVisibleInAStageOnlyWhenRedeclared) {
  dockerfile(
      "ARG G=global\n"
      "FROM busybox\n"
      "RUN echo \"[$G]\" > /before\n"
      "ARG G\n"
      "RUN echo \"[$G]\" > /after\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/before"), "[]\n");
  EXPECT_EQ(img.content("/after"), "[global]\n");
  // --build-arg overrides the global default in both places it is visible.
  r = build({"-t", "app:v2", "--build-arg", "G=cli"});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_EQ(image("app:v2").content("/after"), "[cli]\n");
}

TEST_F(BuildConfig, EnvWinsOverArgAndBuildArg) {
  dockerfile(
      "FROM busybox\n"
      "ARG V=arg\n"
      "ENV V=env\n"
      "RUN echo $V > /v\n");
  Ran r = build({"-t", "app:v1", "--build-arg", "V=cli"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/v"), "env\n");
  EXPECT_THAT(img.env(), ElementsAre(kPath, "V=env"));
  // BuildKit's runCommandString lists every ARG of the stage, with the value the step sees.
  EXPECT_EQ(img.build_history().back(), "RUN |1 V=env /bin/sh -c echo $V > /v # buildkit");
}

TEST_F(BuildConfig, CmdShellFormIsWrappedExecFormIsNot) {
  dockerfile("FROM busybox\nCMD echo \"hi there\"\n");
  ASSERT_EQ(build({"-t", "shell:v1"}).failure(), "");
  StoredImage shell = image("shell:v1");
  EXPECT_EQ(shell.runtime()["Cmd"], json({"/bin/sh", "-c", "echo \"hi there\""}));
  EXPECT_FALSE(shell.runtime().contains("Entrypoint"));
  EXPECT_EQ(shell.build_history().back(), "CMD [\"/bin/sh\" \"-c\" \"echo \\\"hi there\\\"\"]");

  dockerfile("FROM busybox\nCMD [\"/bin/echo\", \"a b\"]\n");
  ASSERT_EQ(build({"-t", "exec:v1"}).failure(), "");
  StoredImage exec = image("exec:v1");
  EXPECT_EQ(exec.runtime()["Cmd"], json({"/bin/echo", "a b"}));
  EXPECT_EQ(exec.build_history().back(), "CMD [\"/bin/echo\" \"a b\"]");
}

TEST_F(BuildConfig, EntrypointResetsAnInheritedCmdButNotOneOfItsOwnStage) {
  dockerfile(
      "FROM busybox AS base\n"
      "CMD [\"base-cmd\"]\n"
      "FROM base AS reset\n"
      "ENTRYPOINT [\"/bin/echo\"]\n"
      "FROM base AS kept\n"
      "CMD [\"own-cmd\"]\n"
      "ENTRYPOINT /bin/echo ep\n");
  ASSERT_EQ(build({"-t", "reset:v1", "--target", "reset"}).failure(), "");
  StoredImage reset = image("reset:v1");
  EXPECT_EQ(reset.runtime()["Entrypoint"], json({"/bin/echo"}));
  EXPECT_FALSE(reset.runtime().contains("Cmd")) << reset.runtime().dump();

  Ran r = build({"-t", "kept:v1", "--target", "kept"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage kept = image("kept:v1");
  EXPECT_EQ(kept.runtime()["Cmd"], json({"own-cmd"}));
  EXPECT_EQ(kept.runtime()["Entrypoint"], json({"/bin/sh", "-c", "/bin/echo ep"}));
  EXPECT_EQ(kept.build_history().back(), "ENTRYPOINT [\"/bin/sh\" \"-c\" \"/bin/echo ep\"]");
}

TEST_F(BuildConfig, ShellChangesRunAndShellFormCmd) {
  dockerfile(
      "FROM busybox\n"
      "SHELL [\"/bin/env\", \"VIA_SHELL=yes\", \"/bin/sh\", \"-c\"]\n"
      "RUN echo \"$VIA_SHELL\" > /via\n"
      "CMD echo run\n"
      "ENTRYPOINT [\"/bin/env\"]\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/via"), "yes\n");
  EXPECT_EQ(img.runtime()["Shell"], json({"/bin/env", "VIA_SHELL=yes", "/bin/sh", "-c"}));
  EXPECT_EQ(img.runtime()["Cmd"], json({"/bin/env", "VIA_SHELL=yes", "/bin/sh", "-c", "echo run"}));
  auto h = img.build_history();
  EXPECT_EQ(h[0], "SHELL [/bin/env VIA_SHELL=yes /bin/sh -c]");
  EXPECT_EQ(h[1], "RUN /bin/env VIA_SHELL=yes /bin/sh -c echo \"$VIA_SHELL\" > /via # buildkit");
}

TEST_F(BuildConfig, UserAppliesToRunAndIsRecorded) {
  dockerfile(
      "FROM busybox\n"
      "USER app\n"
      "RUN id -u > /tmp/uid && id -g > /tmp/gid && whoami > /tmp/name\n"
      "USER 1001:1002\n"
      "RUN id -u > /tmp/uid2 && id -g >> /tmp/uid2\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/tmp/uid"), "1000\n");
  EXPECT_EQ(img.content("/tmp/gid"), "1000\n");
  EXPECT_EQ(img.content("/tmp/name"), "app\n");
  EXPECT_EQ(img.content("/tmp/uid2"), "1001\n1002\n");
  ASSERT_NE(img.find("/tmp/uid"), nullptr);
  EXPECT_EQ(img.find("/tmp/uid")->uid, 1000);
  EXPECT_EQ(img.runtime()["User"], "1001:1002");
  EXPECT_EQ(img.build_history()[0], "USER app");
}

TEST_F(BuildConfig, WorkdirRelativeChainsAreJoinedAndCreated) {
  dockerfile(
      "FROM busybox\n"
      "WORKDIR /a\n"
      "WORKDIR b\n"
      "WORKDIR ../c/./d\n"
      "RUN pwd > /pwd\n"
      "ENV SUB=e\n"
      "WORKDIR $SUB\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.runtime()["WorkingDir"], "/a/c/d/e");
  EXPECT_EQ(img.content("/pwd"), "/a/c/d\n");
  for (const char* dir : {"/a/b", "/a/c/d", "/a/c/d/e"}) {
    const FileEntry* e = img.find(dir);
    ASSERT_NE(e, nullptr) << dir << " was not created";
    EXPECT_EQ(e->type, 'd');
    EXPECT_EQ(e->mode, 0755) << dir;
  }
  auto h = img.build_history();
  EXPECT_EQ(h[0], "WORKDIR /a");
  EXPECT_EQ(h[1], "WORKDIR /a/b");
  EXPECT_EQ(h[2], "WORKDIR /a/c/d");
  EXPECT_EQ(h.back(), "WORKDIR /a/c/d/e");
}

// BuildKit's dispatchWorkdir: Mkdir(wd, 0755, WithParents, WithUser(USER)).
TEST_F(BuildConfig, WorkdirIsCreatedOwnedByTheCurrentUser) {
  dockerfile("FROM busybox\nUSER app\nWORKDIR /data\nRUN touch /data/written-by-app\n");
  Ran r = build({"-t", "app:v1"});
  // Owned by root, /data would not be writable by the next RUN as app, and the build would fail.
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  const FileEntry* e = img.find("/data");
  ASSERT_NE(e, nullptr) << "/data was not created";
  EXPECT_EQ(e->uid, 1000) << "WORKDIR after USER app: /data is app's";
  EXPECT_EQ(e->gid, 1000);
}

TEST_F(BuildConfig, ExposeNormalisesPortsAndProtocols) {
  dockerfile("FROM busybox\nARG P=8080\nEXPOSE 80 53/udp\nEXPOSE ${P}/tcp 80/tcp\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  json ports = img.runtime()["ExposedPorts"];
  EXPECT_EQ(ports, json::parse(R"({"53/udp": {}, "80/tcp": {}, "8080/tcp": {}})"));
  EXPECT_EQ(img.build_history()[1], "EXPOSE 80 53/udp");
}

TEST_F(BuildConfig, VolumeBothForms) {
  dockerfile("FROM busybox\nVOLUME /data\nVOLUME [\"/logs\", \"/cache\"]\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.runtime()["Volumes"], json::parse(R"({"/cache": {}, "/data": {}, "/logs": {}})"));
  auto h = img.build_history();
  EXPECT_EQ(h[0], "VOLUME [/data]");
  EXPECT_EQ(h[1], "VOLUME [/logs /cache]");
}

TEST_F(BuildConfig, LabelsMergeWithTheBaseAndCliLabelsWin) {
  dockerfile(
      "FROM busybox AS base\n"
      "LABEL a=1 b=base\n"
      "FROM base\n"
      "LABEL b=child c=\"x y\" \"with space\"=v\n");
  Ran r = build({"-t", "app:v1", "--label", "c=override", "--label", "d=cli"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(
      img.runtime()["Labels"],
      json::parse(R"({"a": "1", "b": "child", "c": "override", "d": "cli", "with space": "v"})"));
  EXPECT_EQ(img.build_history().back(), "LABEL b=child c=x y with space=v");
}

TEST_F(BuildConfig, StopSignalIsRecordedAndValidated) {
  dockerfile("FROM busybox\nSTOPSIGNAL SIGKILL\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.runtime()["StopSignal"], "SIGKILL");
  EXPECT_EQ(img.build_history().back(), "STOPSIGNAL SIGKILL");
  dockerfile("FROM busybox\nSTOPSIGNAL SIGNOPE\n");
  Ran r = build({"-t", "bad:v1"});
  EXPECT_EQ(r.code, 1) << r.both();
  EXPECT_NE(r.err.find("SIGNOPE"), std::string::npos) << r.err;
  EXPECT_FALSE(manifest_of("bad:v1"));
}

TEST_F(BuildConfig, HealthcheckDurationsInNanosecondsAndNone) {
  dockerfile(
      "FROM busybox AS checked\n"
      "HEALTHCHECK --interval=30s --timeout=5s --start-period=1m30s --retries=4 CMD "
      "[\"/bin/true\"]\n"
      "FROM checked AS unchecked\n"
      "HEALTHCHECK NONE\n");
  ASSERT_EQ(build({"-t", "checked:v1", "--target", "checked"}).failure(), "");
  StoredImage img = image("checked:v1");
  EXPECT_EQ(img.runtime()["Healthcheck"],
            json::parse(R"({"Test": ["CMD", "/bin/true"], "Interval": 30000000000,
                            "Timeout": 5000000000, "StartPeriod": 90000000000, "Retries": 4})"));
  // Go's fmt "%+v" of the HealthcheckConfig struct, as BuildKit writes it.
  EXPECT_EQ(img.build_history().back(),
            "HEALTHCHECK &{[\"CMD\" \"/bin/true\"] \"30s\" \"5s\" \"1m30s\" \"0s\" '\\x04'}");

  Ran r = build({"-t", "unchecked:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_EQ(image("unchecked:v1").runtime()["Healthcheck"]["Test"], json({"NONE"}));
}

TEST_F(BuildConfig, MaintainerBecomesAuthor) {
  dockerfile("FROM busybox\nMAINTAINER Jane Doe <jane@example.com>\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.config["author"], "Jane Doe <jane@example.com>");
  EXPECT_EQ(img.build_history().back(), "MAINTAINER Jane Doe <jane@example.com>");
}

TEST_F(BuildConfig, OnbuildIsRecordedThenTriggeredInAChildBuild) {
  dockerfile(
      "FROM busybox\nONBUILD RUN echo triggered > /trigger\nonbuild run echo lower > /lower\n");
  Ran r = build({"-t", "base:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage base = image("base:v1");
  ASSERT_EQ(base.runtime()["OnBuild"].size(), 2u) << base.runtime().dump();
  EXPECT_EQ(base.runtime()["OnBuild"][0], "RUN echo triggered > /trigger");
  EXPECT_FALSE(base.has("/trigger")) << "ONBUILD must not run in the image that declares it";
  // BuildKit's parseOnBuild keeps the trigger as written (only "ONBUILD " is cut off).
  EXPECT_EQ(base.runtime()["OnBuild"][1], "run echo lower > /lower");

  // An image this store built is a base for the next build.
  write_file(work() / "child/Dockerfile", "FROM base:v1\nRUN test -f /trigger\n");
  r = mybuild({"build", "--progress", "plain", "-t", "child:v1", (work() / "child").string()});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage child = image("child:v1");
  EXPECT_EQ(child.content("/trigger"), "triggered\n");
  EXPECT_EQ(child.content("/lower"), "lower\n");
  EXPECT_FALSE(child.runtime().contains("OnBuild")) << "triggers are consumed, not inherited";
}

// BuildKit's dispatchOnbuild appends to Config.OnBuild and writes no history entry.
TEST_F(BuildConfig, OnbuildWritesNoHistoryEntry) {
  dockerfile("FROM busybox\nONBUILD RUN true\nENV A=1\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  auto h = image("app:v1").build_history();
  EXPECT_THAT(h, ElementsAre("ENV A=1"));
}

TEST_F(BuildConfig, HistoryAsBuildKitWritesIt) {
  write("a.txt", "a\n");
  dockerfile(
      "FROM busybox\n"
      "ENV A=b\n"
      "COPY a.txt /a.txt\n"
      "RUN echo hi > /hi\n"
      "LABEL k=v\n"
      "CMD [\"sh\"]\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  StoredImage img = image("app:v1");
  const json& history = img.config["history"];
  ASSERT_EQ(history.size(), 6u) << history.dump(1);
  std::vector<std::pair<std::string, bool>> got;
  for (size_t i = 1; i < history.size(); ++i) {
    EXPECT_EQ(history[i].value("comment", ""), "buildkit.dockerfile.v0");
    EXPECT_TRUE(history[i].contains("created")) << history[i].dump();
    got.emplace_back(history[i].value("created_by", ""), history[i].value("empty_layer", false));
  }
  EXPECT_THAT(got, ElementsAre(std::pair<std::string, bool>{"ENV A=b", true},
                               std::pair<std::string, bool>{"COPY a.txt /a.txt # buildkit", false},
                               std::pair<std::string, bool>{
                                   "RUN /bin/sh -c echo hi > /hi # buildkit", false},
                               std::pair<std::string, bool>{"LABEL k=v", true},
                               std::pair<std::string, bool>{"CMD [\"sh\"]", true}));
  EXPECT_EQ(img.config["created"], history[5]["created"]);
}

// BuildKit's dispatchRun always commits history with a layer; a step that changes nothing gets
// the empty tar (gzip: sha256:4f4fb700ef54461cfa02571ae0db9a0dc1e0cdb5577484a6d75e68dc38e8acc1,
// the 32-byte layer seen in many official images).
TEST_F(BuildConfig, RunThatChangesNothingStillRecordsALayer) {
  dockerfile("FROM busybox\nRUN true\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  StoredImage img = image("app:v1");
  ASSERT_FALSE(img.config["history"].empty());
  const json& run = img.config["history"].back();
  EXPECT_EQ(run.value("created_by", ""), "RUN /bin/sh -c true # buildkit");
  EXPECT_FALSE(run.value("empty_layer", false));
  EXPECT_EQ(img.manifest["layers"].size(), 2u);
  EXPECT_TRUE(img.layers.back().entries.empty()) << "nothing changed, nothing in the layer";
}

TEST_F(BuildConfig, DiffIdsMatchLayersAndNonEmptyHistory) {
  write("a.txt", "a\n");
  dockerfile("FROM busybox\nWORKDIR /w\nCOPY a.txt .\nRUN echo hi > hi\nENV X=1\n");
  ASSERT_EQ(build({"-t", "app:v1"}).failure(), "");
  StoredImage img = image("app:v1");
  size_t non_empty = 0;
  for (const auto& h : img.config["history"]) non_empty += h.value("empty_layer", false) ? 0 : 1;
  size_t layers = img.manifest["layers"].size();
  EXPECT_EQ(layers, 4u);
  EXPECT_EQ(non_empty, layers);
  // One diff_id per layer, the base's and the build's: with fewer, the image cannot be a base.
  EXPECT_EQ(img.config["rootfs"]["diff_ids"].size(), layers);
}

// BuildKit's dispatchCopy writes the sources and the destination as written (after variable
// expansion), with --chown/--chmod but without --from.
TEST_F(BuildConfig, CopyHistoryNamesTheDestinationAsWritten) {
  write("a.txt", "a\n");
  dockerfile(
      "FROM busybox AS src\n"
      "FROM busybox\n"
      "WORKDIR /w\n"
      "COPY --chmod=600 a.txt .\n"
      "COPY --from=src /etc/group rel/\n");
  Ran r = build({"-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  auto h = image("app:v1").build_history();
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[1], "COPY --chmod=600 a.txt . # buildkit");
  EXPECT_EQ(h[2], "COPY /etc/group rel/ # buildkit");
}

}  // namespace
}  // namespace mybuild::build_testing
