// The flags of `mybuild build` as docker buildx spells them: where the Dockerfile and the context
// come from, what is printed and written about the result, outputs, platform, progress modes.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <regex>
#include <sstream>

#include "common/base64.h"
#include "tests/build/build_fixture.h"

namespace mybuild::build_testing {
namespace {

using nlohmann::json;
using BuildFlags = BuildTest;

TEST_F(BuildFlags, FileFlagNamesADockerfileOutsideTheContext) {
  write("a.txt", "a\n");
  write_file(work() / "other/My.dockerfile", "FROM busybox\nCOPY a.txt /from-context\n");
  // -f is relative to the current directory (the test's work dir), not to the context.
  Ran r = build({"-t", "app:v1", "-f", "other/My.dockerfile"});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_EQ(image("app:v1").content("/from-context"), "a\n");
}

TEST_F(BuildFlags, DockerfileFromStdin) {
  write("a.txt", "a\n");
  write_file(work() / "stdin.dockerfile", "FROM busybox\nCOPY a.txt /via-stdin\n");
  RunOptions opts;
  opts.stdin_file = work() / "stdin.dockerfile";
  Ran r = build({"-t", "app:v1", "-f", "-"}, "", opts);
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_EQ(image("app:v1").content("/via-stdin"), "a\n");
}

TEST_F(BuildFlags, ContextAsATarOnStdin) {
  write("a.txt", "from the tar\n");
  write(".dockerignore", "ignored.txt\n");
  write("ignored.txt", "no\n");
  dockerfile("FROM busybox\nCOPY . /ctx/\n");
  Ran tar = run_process(
      {"/usr/bin/tar", "-cf", (work() / "context.tar").string(), "-C", ctx().string(), "."}, {});
  ASSERT_TRUE(tar.ok()) << tar.both();
  RunOptions opts;
  opts.stdin_file = work() / "context.tar";
  Ran r = build({"-t", "app:v1"}, "-", opts);
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.content("/ctx/a.txt"), "from the tar\n");
  EXPECT_FALSE(img.has("/ctx/ignored.txt")) << ".dockerignore applies to a tar context too";

  // Compressed the same way docker accepts it.
  Ran gz = run_process({"/usr/bin/gzip", "-k", (work() / "context.tar").string()}, {});
  ASSERT_TRUE(gz.ok()) << gz.both();
  opts.stdin_file = work() / "context.tar.gz";
  ASSERT_EQ(build({"-t", "app:v2"}, "-", opts).failure(), "");
  EXPECT_EQ(image("app:v2").content("/ctx/a.txt"), "from the tar\n");
}

// docker build - < Dockerfile: stdin that is not an archive is the Dockerfile, with an empty
// context (a COPY then has nothing to read), and -f has nothing to name in it.
TEST_F(BuildFlags, PlainDockerfileOnStdinHasAnEmptyContext) {
  write_file(work() / "stdin.dockerfile", "FROM busybox\nRUN echo via-stdin > /marker\n");
  RunOptions opts;
  opts.stdin_file = work() / "stdin.dockerfile";
  ASSERT_EQ(build({"-t", "app:v1"}, "-", opts).failure(), "");
  EXPECT_EQ(image("app:v1").content("/marker"), "via-stdin\n");

  write_file(work() / "stdin.dockerfile", "FROM busybox\nCOPY a.txt /a\n");
  Ran copy = build({"-t", "app:v2"}, "-", opts);
  EXPECT_EQ(copy.code, 1) << copy.both();
  EXPECT_NE(copy.err.find("a.txt"), std::string::npos) << copy.err;

  Ran named = build({"-t", "app:v3", "-f", "Other.dockerfile"}, "-", opts);
  EXPECT_EQ(named.code, 2) << named.both();
  EXPECT_NE(named.err.find("stdin holds a Dockerfile"), std::string::npos) << named.err;
}

TEST_F(BuildFlags, QuietPrintsOnlyTheImageId) {
  dockerfile("FROM busybox\nRUN echo noisy-output\n");
  Ran r = build({"-q", "-t", "app:v1"});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_TRUE(std::regex_match(r.out, std::regex("sha256:[0-9a-f]{64}\n"))) << r.out;
  EXPECT_EQ(r.out, image("app:v1").manifest["config"]["digest"].get<std::string>() + "\n");
  EXPECT_EQ(r.err.find("noisy-output"), std::string::npos) << "-q hides the progress\n" << r.err;
  EXPECT_EQ(r.err.find("#1 "), std::string::npos) << r.err;
}

TEST_F(BuildFlags, ProgressQuietShowsNothing) {
  dockerfile("FROM busybox\nRUN echo noisy-output\n");
  Ran r = mybuild({"build", "--progress", "quiet", "-t", "app:v1", ctx().string()});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(manifest_of("app:v1"));
}

// buildx takes SOURCE_DATE_EPOCH from the environment: it dates the config and history and
// clamps the mtimes the layers carry; it is not an "unconsumed" build arg; a bad value exits 2.
TEST_F(BuildFlags, SourceDateEpochFromTheEnvironment) {
  dockerfile("FROM busybox\nRUN echo made > /made\n");
  RunOptions env;
  env.env["SOURCE_DATE_EPOCH"] = "1700000000";
  Ran r = build({"-t", "app:v1"}, "", env);
  ASSERT_EQ(r.failure(), "");
  EXPECT_EQ(r.both().find("not consumed"), std::string::npos) << r.both();
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.config["created"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(img.config["history"].back()["created"], "2023-11-14T22:13:20Z");
  ASSERT_TRUE(img.has("/made"));
  EXPECT_LE(img.find("/made")->mtime, 1700000000);

  // An explicit --build-arg wins over the environment.
  Ran arg = build({"-t", "app:v2", "--build-arg", "SOURCE_DATE_EPOCH=1600000000"}, "", env);
  ASSERT_EQ(arg.failure(), "");
  EXPECT_EQ(image("app:v2").config["created"], "2020-09-13T12:26:40Z");

  env.env["SOURCE_DATE_EPOCH"] = "yesterday";
  Ran bad = build({"-t", "app:v3"}, "", env);
  EXPECT_EQ(bad.code, 2) << bad.both();
  EXPECT_NE(bad.err.find("SOURCE_DATE_EPOCH=yesterday"), std::string::npos) << bad.err;
}

TEST_F(BuildFlags, IidfileAndMetadataFile) {
  dockerfile("FROM busybox\nRUN true\n");
  fs::path iid = work() / "iid", meta = work() / "meta.json";
  Ran r = build({"-t", "app:v1", "-t", "localhost:5000/team/app:v2", "--iidfile", iid.string(),
                 "--metadata-file", meta.string()});
  ASSERT_TRUE(r.ok()) << r.both();
  StoredImage img = image("app:v1");
  std::string config_digest = img.manifest["config"]["digest"];
  EXPECT_EQ(read_file(iid), config_digest) << "docker writes the id without a newline";
  json m = json::parse(read_file(meta));
  EXPECT_EQ(m["containerimage.config.digest"], config_digest);
  EXPECT_EQ(m["containerimage.digest"], img.manifest_digest);
  EXPECT_EQ(m["image.name"], "docker.io/library/app:v1,localhost:5000/team/app:v2");
  EXPECT_EQ(manifest_of("localhost:5000/team/app:v2"), img.manifest_digest);
}

TEST_F(BuildFlags, OutputOciTarIsReadBySkopeo) {
  if (!have_tool("skopeo")) GTEST_SKIP() << "skopeo is not installed (deps/build_tests.txt)";
  write("a.txt", "a\n");
  dockerfile("FROM busybox\nCOPY a.txt /a\nLABEL via=oci\n");
  fs::path out = work() / "image.tar";
  Ran r = build({"-t", "app:v1", "-o", "type=oci,dest=" + out.string()});
  ASSERT_TRUE(r.ok()) << r.both();
  ASSERT_TRUE(fs::exists(out));
  Ran inspect = run_process({"skopeo", "inspect", "oci-archive:" + out.string()}, {});
  ASSERT_TRUE(inspect.ok()) << inspect.both();
  json info = json::parse(inspect.out);
  EXPECT_EQ(info["Labels"]["via"], "oci");
  EXPECT_EQ(info["Layers"].size(), 2u);
  Ran raw = run_process({"skopeo", "inspect", "--config", "oci-archive:" + out.string()}, {});
  ASSERT_TRUE(raw.ok()) << raw.both();
  EXPECT_EQ(json::parse(raw.out)["rootfs"]["diff_ids"].size(), 2u)
      << "skopeo reads the config as written: one diff_id per layer";
}

TEST_F(BuildFlags, OutputDockerTarIsReadBySkopeo) {
  if (!have_tool("skopeo")) GTEST_SKIP() << "skopeo is not installed (deps/build_tests.txt)";
  write("a.txt", "a\n");
  dockerfile("FROM busybox\nCOPY a.txt /a\nLABEL via=docker\n");
  fs::path out = work() / "docker.tar";
  Ran r = build({"-t", "app:v1", "-o", "type=docker,dest=" + out.string()});
  ASSERT_TRUE(r.ok()) << r.both();
  Ran inspect = run_process({"skopeo", "inspect", "docker-archive:" + out.string()}, {});
  ASSERT_TRUE(inspect.ok()) << inspect.both();
  json info = json::parse(inspect.out);
  EXPECT_EQ(info["Labels"]["via"], "docker");
  EXPECT_EQ(info["Layers"].size(), 2u);
  // `docker load` reads manifest.json, whose RepoTags name the image.
  Ran manifest = run_process({"tar", "-xOf", out.string(), "manifest.json"}, {});
  ASSERT_TRUE(manifest.ok()) << manifest.both();
  EXPECT_EQ(json::parse(manifest.out)[0]["RepoTags"][0], "app:v1") << manifest.out;
}

TEST_F(BuildFlags, OutputTarHoldsTheFinalFilesystem) {
  write("a.txt", "in the tar\n");
  dockerfile("FROM busybox\nCOPY a.txt /srv/a.txt\nRUN rm /etc/group\n");
  fs::path out = work() / "rootfs.tar";
  Ran r = build({"-o", "type=tar,dest=" + out.string()});
  ASSERT_TRUE(r.ok()) << r.both();
  Ran a = run_process({"tar", "-xOf", out.string(), "srv/a.txt"}, {});
  EXPECT_EQ(a.out, "in the tar\n") << a.both();
  Ran list = run_process({"tar", "-tf", out.string()}, {});
  ASSERT_TRUE(list.ok()) << list.both();
  EXPECT_NE(list.out.find("bin/busybox\n"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("etc/passwd\n"), std::string::npos);
  EXPECT_EQ(list.out.find("etc/group\n"), std::string::npos) << "deleted, not a whiteout";
  EXPECT_EQ(list.out.find(".wh."), std::string::npos);
}

TEST_F(BuildFlags, OutputLocalWritesTheFinalFilesystem) {
  write("a.txt", "local\n");
  dockerfile("FROM busybox\nCOPY a.txt /srv/a.txt\nRUN rm /etc/group\n");
  fs::path out = work() / "rootfs-out";
  Ran r = build({"-o", "type=local,dest=" + out.string()});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_EQ(read_file(out / "srv/a.txt"), "local\n");
  EXPECT_TRUE(fs::exists(out / "bin/busybox"));
  EXPECT_TRUE(fs::exists(out / "etc/passwd"));
  EXPECT_FALSE(fs::exists(out / "etc/group")) << "deleted files are gone, not whiteouts";
  EXPECT_FALSE(fs::exists(out / "etc/.wh.group"));
}

TEST_F(BuildFlags, PlatformOtherThanTheHostWarns) {
  write("a.txt", "a\n");
  dockerfile("FROM scratch\nCOPY a.txt /a\n");
  Ran r = build({"-t", "app:v1", "--platform", "linux/arm64"});
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_NE(r.err.find("WARN"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("linux/arm64"), std::string::npos) << r.err;
  StoredImage img = image("app:v1");
  EXPECT_EQ(img.config["architecture"], "arm64");
  EXPECT_EQ(img.config["os"], "linux");
  EXPECT_EQ(img.content("/a"), "a\n");
}

// BuildKit's SolveStatus, as `docker buildx build --progress rawjson` prints it: each line one
// object of vertexes/statuses/logs/warnings; a step's vertex comes back completed; its output is
// base64 in logs that name the vertex by digest.
TEST_F(BuildFlags, RawjsonProgressIsBuildKitSolveStatus) {
  dockerfile("FROM busybox\nRUN echo from-the-step\n");
  Ran r = mybuild({"build", "-t", "app:v1", "--progress", "rawjson", ctx().string()});
  ASSERT_TRUE(r.ok()) << r.both();
  std::istringstream lines(r.err);
  std::map<std::string, json> vertexes;  // digest -> last state
  std::string log_vertex;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    json j;
    ASSERT_NO_THROW(j = json::parse(line)) << "not JSON: " << line;
    ASSERT_TRUE(j.is_object()) << line;
    for (const auto& [key, value] : j.items()) {
      EXPECT_TRUE(key == "vertexes" || key == "statuses" || key == "logs" || key == "warnings")
          << line;
      EXPECT_TRUE(value.is_array()) << line;
    }
    for (const auto& v : j.value("vertexes", json::array())) {
      EXPECT_TRUE(std::regex_match(v.value("digest", ""), std::regex("sha256:[0-9a-f]{64}")));
      vertexes[v["digest"]] = v;
    }
    for (const auto& l : j.value("logs", json::array())) {
      if (common::base64_decode(l.value("data", "")).value_or("").find("from-the-step") !=
          std::string::npos)
        log_vertex = l.value("vertex", "");
    }
  }
  ASSERT_TRUE(vertexes.count(log_vertex)) << "the log names no vertex sent: " << r.err;
  const json& run = vertexes[log_vertex];
  EXPECT_NE(run.value("name", "").find("RUN echo from-the-step"), std::string::npos) << run;
  EXPECT_TRUE(run.contains("started") && run.contains("completed")) << run;
  EXPECT_FALSE(run.contains("error")) << run;
  ASSERT_TRUE(run.contains("inputs")) << run;
  EXPECT_TRUE(vertexes.count(run["inputs"][0])) << "RUN's input is its stage's FROM";
}

// GitHub Actions folds each step's lines in a group; GitLab in a collapsed section.
TEST_F(BuildFlags, PlainProgressFoldsStepsInCi) {
  dockerfile("FROM busybox\nRUN echo folded-output\n");
  RunOptions github;
  github.env["GITHUB_ACTIONS"] = "true";
  Ran r = build({"-t", "app:v1", "--no-cache"}, "", github);
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_TRUE(std::regex_search(
      r.err, std::regex("::group::#\\d+ \\[2/2\\] RUN echo folded-output\n(#\\d+ .*\n)*#\\d+ "
                        "[0-9.]+ folded-output\n(#\\d+ .*\n)*#\\d+ DONE [0-9.]+s\n::endgroup::\n")))
      << r.err;
  RunOptions gitlab;
  gitlab.env["GITLAB_CI"] = "true";
  Ran g = build({"-t", "app:v1", "--no-cache"}, "", gitlab);
  ASSERT_TRUE(g.ok()) << g.both();
  EXPECT_TRUE(
      std::regex_search(g.err, std::regex("\x1b\\[0Ksection_start:\\d+:step_\\d+_1\\[collaps"
                                          "ed=true\\]\r\x1b\\[0K#\\d+ \\[2/2\\] RUN echo")))
      << g.err;
  EXPECT_NE(g.err.find("\x1b[0Ksection_end:"), std::string::npos) << g.err;
  // Outside a CI no markers (unless this suite itself runs in one: the child inherits it).
  if (std::getenv("GITHUB_ACTIONS") == nullptr && std::getenv("GITLAB_CI") == nullptr) {
    Ran plain = build({"-t", "app:v1", "--no-cache"});
    EXPECT_EQ(plain.err.find("::group::"), std::string::npos) << plain.err;
  }
}

TEST_F(BuildFlags, BuildArgWithoutValueComesFromTheEnvironment) {
  dockerfile("FROM busybox\nARG FROM_ENV\nARG UNSET=default\nRUN echo \"$FROM_ENV $UNSET\" > /v\n");
  RunOptions opts;
  opts.env["FROM_ENV"] = "env-value";
  Ran r = build({"-t", "app:v1", "--build-arg", "FROM_ENV", "--build-arg", "UNSET"}, "", opts);
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_EQ(image("app:v1").content("/v"), "env-value default\n")
      << "a name alone takes the environment's value; unset there means not given";
}

TEST_F(BuildFlags, RelativeRootWorks) {
  dockerfile("FROM busybox\nRUN echo ok > /ok\n");
  // The same store, named relative to the current directory.
  RunOptions opts;
  opts.cwd = ctx();
  std::vector<std::string> argv = {MYBUILD_BINARY, "--root", "../root", "build", "--progress",
                                   "plain",        "-t",     "app:v1",  "."};
  Ran r = run_process(argv, opts);
  // RUN works too: the sandbox sees the store by the same paths as the rest of the build.
  ASSERT_TRUE(r.ok()) << r.both();
  EXPECT_EQ(image("app:v1").content("/ok"), "ok\n");
}

// Kaniko's --single-snapshot: the base's layers plus ONE layer with every change of the build
// (a file made and removed by later steps is in neither; a base file removed is a whiteout), the
// same file system as the normal build, and history saying so.
TEST_F(BuildFlags, SingleSnapshotSquashesTheBuildIntoOneLayer) {
  import_base("squashbase", {{"gone.txt", "base\n"}, {"kept.txt", "kept\n"}});
  write("a.txt", "a\n");
  dockerfile(
      "FROM squashbase\n"
      "RUN mkdir /w && echo one > /w/one && echo tmp > /w/tmp && rm /gone.txt\n"
      "COPY a.txt /w/a.txt\n"
      "RUN rm /w/tmp && echo two > /w/two && chmod 600 /w/one\n");
  Ran normal = build({"-t", "normal:v1"});
  ASSERT_TRUE(normal.ok()) << normal.both();
  Ran squashed = build({"-t", "squashed:v1", "--single-snapshot", "--no-cache"});
  ASSERT_TRUE(squashed.ok()) << squashed.both();
  EXPECT_NE(squashed.err.find("squashing 3 layers into one (--single-snapshot)"), std::string::npos)
      << squashed.err;

  StoredImage base = image("squashbase");
  StoredImage n = image("normal:v1");
  StoredImage s = image("squashed:v1");
  ASSERT_EQ(n.layers.size(), base.layers.size() + 3);
  ASSERT_EQ(s.layers.size(), base.layers.size() + 1);
  for (size_t i = 0; i < base.layers.size(); ++i) {
    EXPECT_EQ(s.layers[i].digest, base.layers[i].digest) << "base layer " << i << " kept as is";
  }
  const LayerListing& own = s.layers.back();
  std::map<std::string, char> in_layer;
  for (const auto& [path, e] : own.entries) in_layer[path] = e.type;
  EXPECT_TRUE(in_layer.count(".wh.gone.txt")) << "a base file removed is a whiteout";
  EXPECT_FALSE(in_layer.count("w/tmp") || in_layer.count("w/.wh.tmp"))
      << "made and removed by the build: in no layer";
  EXPECT_FALSE(in_layer.count("kept.txt")) << "unchanged base files are not repeated";

  // The same file system: every path, its type, mode, owner, content and link target.
  ASSERT_EQ(s.files.size(), n.files.size());
  for (const auto& [path, e] : n.files) {
    const FileEntry* t = s.find(path);
    ASSERT_NE(t, nullptr) << path;
    EXPECT_EQ(t->type, e.type) << path;
    EXPECT_EQ(t->mode, e.mode) << path;
    EXPECT_EQ(t->uid, e.uid) << path;
    EXPECT_EQ(t->gid, e.gid) << path;
    EXPECT_EQ(t->content, e.content) << path;
    EXPECT_EQ(t->link, e.link) << path;
  }
  EXPECT_EQ(s.content("/w/one"), "one\n");
  EXPECT_FALSE(s.has("/gone.txt"));

  // History: the steps' entries stay, all empty_layer, then one entry for the squashed layer.
  const json& history = s.config["history"];
  size_t non_empty = 0;
  for (const auto& h : history) non_empty += h.value("empty_layer", false) ? 0 : 1;
  EXPECT_EQ(non_empty, s.layers.size()) << history;
  EXPECT_NE(history.back().value("created_by", "").find("--single-snapshot"), std::string::npos)
      << history.back();
  EXPECT_FALSE(history.back().value("empty_layer", false));
  EXPECT_EQ(s.build_history(), n.build_history()) << "each step keeps its entry";

  // Inline cache records name the image's per-step layers, which a squash removes.
  Ran inline_cache = build({"-t", "x:1", "--single-snapshot", "--cache-to", "type=inline"});
  EXPECT_EQ(inline_cache.code, 2) << inline_cache.both();
  EXPECT_NE(inline_cache.err.find("--single-snapshot cannot be used with --cache-to type=inline"),
            std::string::npos)
      << inline_cache.err;
}

}  // namespace
}  // namespace mybuild::build_testing
