// plan_copy / copy_cache_inputs / plan_workdir: the meaning of COPY, ADD and WORKDIR, pinned.
// The JSON literals are the cache inputs users' build caches are keyed on: if one of these
// tests fails after a change, that change invalidates every cached COPY (or the step became
// wrong); do not just update the literal.
#include "builder/copy/plan.h"

#include <gtest/gtest.h>

#include <string>

#include "common/error.h"
#include "parser/stages.h"
#include "parser/word_expansion.h"

namespace mybuild::builder {
namespace {

using nlohmann::json;

// The COPY/ADD at instruction `index` of the first stage of `dockerfile`.
parser::Copy copy_of(const std::string& dockerfile, size_t index = 0) {
  parser::Dockerfile df = parser::parse_typed(dockerfile, "Dockerfile");
  return std::get<parser::Copy>(df.stages.at(0).instructions.at(index));
}

const parser::Env kEnv{{"NAME", "web"}, {"DEST", "/srv"}, {"OWNER", "app"}};

CopyPlan copy_plan(const std::string& dockerfile, const std::string& workdir = "") {
  return plan_copy(copy_of(dockerfile), workdir,
                   [](const std::string& word) { return parser::expand_word(word, kEnv); });
}

// What the step measured, for copy_cache_inputs.
CopyEffectInputs measured(std::vector<SourceChecksum> checksums, std::string from_chain = "",
                          std::optional<Owner> linked_owner = std::nullopt) {
  return {std::move(from_chain), std::move(checksums), linked_owner};
}

const common::Digest kDigestA = common::Digest::sha256_of("a");
const common::Digest kDigestB = common::Digest::sha256_of("b");

TEST(PlanCopy, PlainCopy) {
  CopyPlan p = copy_plan("FROM scratch\nCOPY a.txt $DEST/\n");
  EXPECT_EQ(p.created_by, "COPY a.txt /srv/ # buildkit");
  EXPECT_EQ(p.display, "COPY a.txt /srv/");
  EXPECT_EQ(p.dest, "/srv/");
  EXPECT_EQ(p.sources, std::vector<std::string>{"a.txt"});
  EXPECT_FALSE(p.link_layer);
  EXPECT_FALSE(p.unpack_archives);
  EXPECT_EQ(p.inputs.dump(),
            R"({"chmod":"","chown":"","dest":"/srv/","instruction":"COPY a.txt /srv/ # buildkit",)"
            R"("op":"COPY"})");
  json in = copy_cache_inputs(p, measured({{"a.txt", "a.txt", kDigestA}}));
  EXPECT_EQ(in.dump(), R"({"chmod":"","chown":"","dest":"/srv/",)"
                       R"("files of a.txt":")" +
                           kDigestA.str() +
                           R"(",)"
                           R"("instruction":"COPY a.txt /srv/ # buildkit","op":"COPY"})");
}

TEST(PlanCopy, FromStageWithChownAndChmod) {
  CopyPlan p = copy_plan(
      "FROM scratch\nCOPY --from=build --chown=$OWNER:1000 --chmod=755 /out/bin /usr/bin/tool\n");
  // BuildKit's history leaves --from out; the progress line shows it.
  EXPECT_EQ(p.created_by, "COPY --chown=app:1000 --chmod=755 /out/bin /usr/bin/tool # buildkit");
  EXPECT_EQ(p.display, "COPY --from=build --chown=app:1000 --chmod=755 /out/bin /usr/bin/tool");
  EXPECT_EQ(p.from, "build");
  ASSERT_TRUE(p.chmod_spec.has_value());
  EXPECT_EQ(p.chmod_spec->octal(), 0755u);
  json in = copy_cache_inputs(p, measured({{"/out/bin", "out/bin", kDigestA}}, "sha256:chain"));
  EXPECT_EQ(
      in.dump(),
      R"({"chmod":"755","chown":"app:1000","dest":"/usr/bin/tool",)"
      R"("files of /out/bin":")" +
          kDigestA.str() +
          R"(","from":"sha256:chain",)"
          R"("instruction":"COPY --chown=app:1000 --chmod=755 /out/bin /usr/bin/tool # buildkit",)"
          R"("op":"COPY"})");
}

TEST(PlanCopy, AddUrlWithChecksum) {
  const std::string sum = "sha256:" + std::string(64, 'f');
  CopyPlan p =
      copy_plan("FROM scratch\nADD --checksum=" + sum + " https://example.com/t.tgz /opt/\n");
  EXPECT_EQ(p.created_by, "ADD https://example.com/t.tgz /opt/ # buildkit");
  EXPECT_EQ(p.url_count, 1u);
  EXPECT_EQ(p.checksum, sum);
  EXPECT_FALSE(p.unpack_archives);  // remote archives are not unpacked
  // The fetched file is named by its base name; its content digest is the input.
  json in = copy_cache_inputs(p, measured({{"t.tgz", "t.tgz", kDigestB}}));
  EXPECT_EQ(in.dump(),
            R"({"chmod":"","chown":"","dest":"/opt/",)"
            R"("files of t.tgz":")" +
                kDigestB.str() +
                R"(",)"
                R"("instruction":"ADD https://example.com/t.tgz /opt/ # buildkit","op":"ADD"})");
}

TEST(PlanCopy, AddLocalUnpackFlag) {
  CopyPlan p = copy_plan("FROM scratch\nADD --unpack=false app.tar /opt/\n");
  EXPECT_FALSE(p.unpack_archives);
  EXPECT_EQ(p.inputs.dump(),
            R"({"chmod":"","chown":"","dest":"/opt/",)"
            R"("instruction":"ADD app.tar /opt/ # buildkit","op":"ADD","unpack":false})");
  EXPECT_TRUE(copy_plan("FROM scratch\nADD app.tar /opt/\n").unpack_archives);
}

TEST(PlanCopy, ParentsWithExclude) {
  CopyPlan p =
      copy_plan("FROM scratch\nCOPY --parents --exclude=*.md --exclude=$NAME src/ /app/\n");
  EXPECT_EQ(p.created_by, "COPY --parents src/ /app/ # buildkit");
  // The patterns are keyed as written (not expanded), as they always were.
  json in = copy_cache_inputs(p, measured({{"src/", "src", kDigestA}}));
  EXPECT_EQ(in.dump(), R"({"chmod":"","chown":"","dest":"/app/","exclude":["*.md","$NAME"],)"
                       R"("files of src/":")" +
                           kDigestA.str() +
                           R"(",)"
                           R"("instruction":"COPY --parents src/ /app/ # buildkit","op":"COPY"})");
}

TEST(PlanCopy, SourcesThatExpandOrRepeatAreKeyedByPath) {
  CopyPlan p = copy_plan("FROM scratch\nCOPY *.txt /d/\n");
  json in =
      copy_cache_inputs(p, measured({{"*.txt", "a.txt", kDigestA}, {"*.txt", "b.txt", kDigestB}}));
  EXPECT_EQ(in["files of *.txt (a.txt)"], kDigestA.str());
  EXPECT_EQ(in["files of *.txt (b.txt)"], kDigestB.str());
  CopyPlan twice = copy_plan("FROM scratch\nCOPY a a /d/\n");
  json in2 = copy_cache_inputs(twice, measured({{"a", "a", kDigestA}, {"a", "a", kDigestA}}));
  EXPECT_EQ(in2["files of a"], kDigestA.str());
  EXPECT_EQ(in2["files of a (a)"], kDigestA.str());
}

TEST(PlanCopy, LinkKeysTheNumericOwner) {
  CopyPlan p = copy_plan("FROM scratch\nCOPY --link --chown=$OWNER a /d\n");
  EXPECT_TRUE(p.link_layer);
  json in = copy_cache_inputs(p, measured({}, "", Owner{.uid = 1000, .gid = 50}));
  EXPECT_EQ(in.dump(), R"({"chmod":"","chown":"1000:50","dest":"/d",)"
                       R"("instruction":"COPY --chown=app a /d # buildkit","op":"COPY"})");
  // BuildKit links only without --chmod.
  EXPECT_FALSE(copy_plan("FROM scratch\nCOPY --link --chmod=644 a /d\n").link_layer);
}

TEST(PlanCopy, Heredoc) {
  CopyPlan p =
      copy_plan("FROM scratch\nCOPY <<EOF <<'RAW' /etc/\nhi $NAME \\$x\nEOF\nkeep $NAME\nRAW\n");
  EXPECT_EQ(p.created_by, "COPY <<EOF <<'RAW' /etc/ # buildkit");
  ASSERT_EQ(p.heredoc_files.size(), 2u);
  EXPECT_EQ(p.heredoc_files[0].name, "EOF");
  EXPECT_EQ(p.heredoc_files[0].content, "hi web $x\n");
  EXPECT_EQ(p.heredoc_files[1].name, "RAW");
  EXPECT_EQ(p.heredoc_files[1].content, "keep $NAME\n");
  EXPECT_EQ(p.inputs.dump(), R"({"chmod":"","chown":"","dest":"/etc/",)"
                             R"("instruction":"COPY <<EOF <<'RAW' /etc/ # buildkit","op":"COPY"})");
}

TEST(PlanCopy, HeredocNamesWithFromAreReadFromThere) {
  // With --from, "<<EOF" is a path in that stage (as before the split): no file is planned.
  CopyPlan p = copy_plan("FROM scratch\nCOPY --from=build <<EOF /etc/\nbody\nEOF\n");
  EXPECT_TRUE(p.heredoc_sources);
  EXPECT_TRUE(p.heredoc_files.empty());
  EXPECT_EQ(p.display, "COPY --from=build <<EOF /etc/");
}

TEST(PlanCopy, RelativeDestinationIsUnderWorkdir) {
  EXPECT_EQ(copy_plan("FROM scratch\nCOPY a rel/\n", "/srv/app").dest, "/srv/app/rel/");
  EXPECT_EQ(copy_plan("FROM scratch\nCOPY a .\n", "/srv/app").dest, "/srv/app/");
  EXPECT_EQ(copy_plan("FROM scratch\nCOPY a ../b\n", "/srv/app").dest, "/srv/b");
  EXPECT_EQ(copy_plan("FROM scratch\nCOPY a b\n", "").dest, "/b");
  CopyPlan p = copy_plan("FROM scratch\nCOPY a rel/\n", "/srv/app");
  EXPECT_EQ(p.created_by, "COPY a rel/ # buildkit");  // history keeps it as written
  EXPECT_EQ(p.inputs.dump(), R"({"chmod":"","chown":"","dest":"/srv/app/rel/",)"
                             R"("instruction":"COPY a rel/ # buildkit","op":"COPY"})");
}

// The error's message and line, for the cases plan_copy rejects.
std::string copy_error(const std::string& dockerfile, int* line = nullptr) {
  try {
    copy_plan(dockerfile);
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kDockerfile);
    if (line && e.where()) *line = e.where()->line;
    return e.message();
  }
  return "no error";
}

TEST(PlanCopy, Errors) {
  int line = 0;
  EXPECT_EQ(copy_error("FROM scratch\n\nCOPY https://example.com/x /x\n", &line),
            "COPY cannot read a URL (https://example.com/x): use ADD");
  EXPECT_EQ(line, 3);
  EXPECT_EQ(copy_error("FROM scratch\nADD --parents a /x/\n"),
            "Unknown flag: parents (ADD has no --parents; use COPY)");
  EXPECT_EQ(copy_error("FROM scratch\nADD https://example.com/x a /x/\n"),
            "ADD cannot mix URL and local sources in one instruction (mybuild)");
  EXPECT_EQ(copy_error("FROM scratch\nADD https://github.com/a/b.git https://h/c.git /src/\n"),
            "ADD of a git repository (https://github.com/a/b.git) must be the only source "
            "(mybuild)");
  EXPECT_EQ(copy_error("FROM scratch\nADD --checksum=sha256:00 a /x\n"),
            "ADD --checksum is only for URL sources");
  EXPECT_EQ(copy_error("FROM scratch\nCOPY <<EOF a /x/\nbody\nEOF\n"),
            "COPY cannot mix heredoc and file sources");
}

TEST(PlanWorkdir, RelativeToTheCurrentOne) {
  WorkdirPlan p = plan_workdir("sub/../app", "/srv", "1000");
  EXPECT_EQ(p.path, "/srv/app");
  EXPECT_EQ(p.created_by, "WORKDIR /srv/app");
  EXPECT_TRUE(p.makes_layer);
  EXPECT_EQ(p.inputs.dump(), R"({"op":"WORKDIR","path":"/srv/app","user":"1000"})");
  EXPECT_FALSE(plan_workdir("/", "/srv", "").makes_layer);
  EXPECT_EQ(plan_workdir("x", "", "").path, "/x");
}

}  // namespace
}  // namespace mybuild::builder
