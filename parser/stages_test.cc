#include "parser/stages.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace mybuild::parser {
namespace {

using namespace std::chrono_literals;

Dockerfile typed(const std::string& text) { return parse_typed(text, "Dockerfile"); }

// The message of the error parsing `text` throws (fails the test if it does not throw).
std::string stages_error(const std::string& text, int* line = nullptr, int* column = nullptr) {
  try {
    typed(text);
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kDockerfile);
    EXPECT_TRUE(e.where().has_value());
    if (e.where()) {
      EXPECT_EQ(e.where()->file, "Dockerfile");
      if (line != nullptr) *line = e.where()->line;
      if (column != nullptr) *column = e.where()->column;
    }
    return e.message();
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return {};
}

TEST(Stages, MultiStageWithGlobalArgsAndTypedInstructions) {
  Dockerfile df = typed(
      "# syntax=docker/dockerfile:1\n"
      "ARG GO=1.22 DEBUG\n"
      "FROM --platform=$BUILDPLATFORM golang:${GO} AS Build\n"
      "RUN --mount=type=cache,target=/root/.cache --network=none make\n"
      "FROM busybox\n"
      "COPY --from=build --chmod=755 --link /out/app /bin/\n"
      "ENV A=1 B=\"x y\"\n"
      "CMD [\"/bin/app\", \"-v\"]\n"
      "HEALTHCHECK --interval=1m30s --retries=3 CMD wget -q localhost\n"
      "ONBUILD RUN echo hi\n");
  ASSERT_EQ(df.directives.size(), 1u);
  EXPECT_EQ(df.directives[0].name, "syntax");
  ASSERT_EQ(df.global_args.size(), 1u);
  ASSERT_EQ(df.global_args[0].args.size(), 2u);
  EXPECT_EQ(df.global_args[0].args[0].name, "GO");
  EXPECT_EQ(df.global_args[0].args[0].default_value, "1.22");
  EXPECT_FALSE(df.global_args[0].args[1].default_value.has_value());
  ASSERT_EQ(df.stages.size(), 2u);
  const Stage& build = df.stages[0];
  EXPECT_EQ(build.name, "build");  // stage names are case-insensitive
  EXPECT_EQ(build.base, "golang:${GO}");
  EXPECT_EQ(build.platform, "$BUILDPLATFORM");
  EXPECT_EQ(build.range.line, 3);
  ASSERT_EQ(build.instructions.size(), 1u);
  const parser::Run& run = std::get<parser::Run>(build.instructions[0]);
  EXPECT_EQ(run.mounts, std::vector<std::string>{"type=cache,target=/root/.cache"});
  EXPECT_EQ(run.network, "none");
  EXPECT_FALSE(run.command.exec_form);
  EXPECT_EQ(run.command.args, std::vector<std::string>{"make"});

  const Stage& final_stage = df.stages[1];
  EXPECT_TRUE(final_stage.name.empty());
  ASSERT_EQ(final_stage.instructions.size(), 5u);
  const Copy& copy = std::get<Copy>(final_stage.instructions[0]);
  EXPECT_EQ(copy.from, "build");
  EXPECT_EQ(copy.chmod, "755");
  EXPECT_TRUE(copy.link);
  EXPECT_EQ(copy.sources, std::vector<std::string>{"/out/app"});
  EXPECT_EQ(copy.destination, "/bin/");
  const EnvInstruction& env = std::get<EnvInstruction>(final_stage.instructions[1]);
  ASSERT_EQ(env.pairs.size(), 2u);
  EXPECT_EQ(env.pairs[1].key, "B");
  EXPECT_EQ(env.pairs[1].value, "\"x y\"");  // unexpanded: quotes go with word expansion
  const Cmd& cmd = std::get<Cmd>(final_stage.instructions[2]);
  EXPECT_TRUE(cmd.command.exec_form);
  EXPECT_EQ(cmd.command.args, (std::vector<std::string>{"/bin/app", "-v"}));
  const Healthcheck& hc = std::get<Healthcheck>(final_stage.instructions[3]);
  EXPECT_EQ(hc.interval, std::chrono::nanoseconds(90s));
  EXPECT_EQ(hc.retries, 3);
  EXPECT_EQ(hc.test.args, std::vector<std::string>{"wget -q localhost"});
  const Onbuild& onbuild = std::get<Onbuild>(final_stage.instructions[4]);
  EXPECT_EQ(onbuild.expression, "RUN echo hi");
  ASSERT_TRUE(onbuild.instruction);
  EXPECT_EQ(std::get<parser::Run>(*onbuild.instruction).command.args,
            std::vector<std::string>{"echo hi"});
  EXPECT_EQ(common_of(final_stage.instructions[4]).range.line, 10);
}

TEST(Stages, HeredocsReachTheTypedInstruction) {
  Dockerfile df =
      typed("FROM x\nCOPY <<A <<'B' /dst/\na $x\nA\nb\nB\nRUN <<-EOT sh\n\techo\n\tEOT\n");
  const Copy& copy = std::get<Copy>(df.stages[0].instructions[0]);
  ASSERT_EQ(copy.heredocs.size(), 2u);
  EXPECT_EQ(copy.heredocs[0].content, "a $x\n");
  EXPECT_TRUE(copy.heredocs[0].expand);
  EXPECT_FALSE(copy.heredocs[1].expand);
  EXPECT_EQ(copy.sources, (std::vector<std::string>{"<<A", "<<'B'"}));
  EXPECT_EQ(copy.range.end_line, 6);
  const parser::Run& run = std::get<parser::Run>(df.stages[0].instructions[1]);
  ASSERT_EQ(run.heredocs.size(), 1u);
  EXPECT_TRUE(run.heredocs[0].chomp);
  EXPECT_EQ(run.heredocs[0].content, "\techo\n");
}

TEST(Stages, InstructionAndStageNamesAreCaseInsensitiveFlagsAreNot) {
  Dockerfile df = typed("from alpine as B\ncopy --from=b a b\n");
  EXPECT_EQ(df.stages[0].name, "b");
  EXPECT_NE(stages_error("FROM a\nCOPY --FROM=b a b\n").find("flag --FROM is not allowed on COPY"),
            std::string::npos);
}

TEST(Stages, DuplicateStageNameIsAWarning) {
  Dockerfile df = typed("FROM a AS x\nFROM b AS X\n");
  ASSERT_EQ(df.warnings.size(), 1u);
  EXPECT_NE(df.warnings[0].message.find("duplicate stage name \"x\""), std::string::npos);
  EXPECT_EQ(df.warnings[0].range.line, 2);
}

TEST(StageErrors, UnknownInstructionSuggests) {
  int line = 0, column = 0;
  std::string m = stages_error("FROM a\n  RUNN echo\n", &line, &column);
  EXPECT_NE(m.find("Dockerfile:2:3: unknown instruction: RUNN (did you mean RUN?)"),
            std::string::npos)
      << m;
  EXPECT_EQ(line, 2);
  EXPECT_EQ(column, 3);
  EXPECT_EQ(stages_error("FROM a\nXYZZYQ x\n").find("did you mean"), std::string::npos);
}

TEST(StageErrors, FlagNotAllowedAndBadValues) {
  EXPECT_NE(stages_error("FROM a\nENV --x=1 A=b\n")
                .find("flag --x is not allowed on ENV (it takes no flags)"),
            std::string::npos);
  EXPECT_NE(stages_error("FROM a\nCOPY --link=maybe a b\n").find("bad value for --link: \"maybe\""),
            std::string::npos);
  EXPECT_NE(stages_error("FROM a\nRUN --network=wifi x\n").find("bad value for --network"),
            std::string::npos);
  EXPECT_NE(
      stages_error("FROM a\nHEALTHCHECK --interval=soon CMD x\n").find("bad value for --interval"),
      std::string::npos);
  EXPECT_NE(
      stages_error("FROM a\nHEALTHCHECK --retries=-1 CMD x\n").find("bad value for --retries"),
      std::string::npos);
  EXPECT_NE(stages_error("FROM a\nCOPY --from a b\n").find("--from needs a value"),
            std::string::npos);
  EXPECT_NE(stages_error("FROM a\nADD --from=x a b\n").find("not allowed on ADD"),
            std::string::npos);
}

TEST(StageErrors, ShellNeedsJson) {
  EXPECT_NE(
      stages_error("FROM a\nSHELL /bin/sh -c\n").find("SHELL requires a non-empty JSON array"),
      std::string::npos);
}

TEST(StageErrors, MissingFromHasALine) {
  int line = 0;
  std::string m = stages_error("ARG x\n\nRUN echo\n", &line);
  EXPECT_NE(m.find("no build stage in current context: expected FROM before RUN"),
            std::string::npos);
  EXPECT_EQ(line, 3);
  EXPECT_NE(stages_error("ARG only\n").find("no FROM instruction"), std::string::npos);
}

TEST(StageErrors, StageNames) {
  EXPECT_NE(stages_error("FROM a AS\n").find("empty stage name"), std::string::npos);
  EXPECT_NE(stages_error("FROM a AS 1bad\n").find("invalid stage name \"1bad\""),
            std::string::npos);
  EXPECT_NE(stages_error("FROM a b c d\n").find("one or three arguments"), std::string::npos);
}

TEST(StageErrors, OnbuildRestrictions) {
  EXPECT_NE(stages_error("FROM a\nONBUILD ONBUILD RUN x\n").find("ONBUILD ONBUILD is not allowed"),
            std::string::npos);
  EXPECT_NE(stages_error("FROM a\nONBUILD FROM b\n").find("ONBUILD FROM is not allowed"),
            std::string::npos);
  EXPECT_NE(
      stages_error("FROM a\nonbuild maintainer me\n").find("ONBUILD MAINTAINER is not allowed"),
      std::string::npos);
}

TEST(StageErrors, AllProblemsReportedAtOnce) {
  int line = 0;
  std::string m = stages_error("FROM a\nRUNN x\nCOPY a\nSHELL sh\n", &line);
  EXPECT_NE(m.find("3 errors in Dockerfile:"), std::string::npos) << m;
  EXPECT_NE(m.find("Dockerfile:2:1:"), std::string::npos);
  EXPECT_NE(m.find("Dockerfile:3:1: COPY requires at least two arguments"), std::string::npos);
  EXPECT_NE(m.find("Dockerfile:4:1:"), std::string::npos);
  EXPECT_EQ(line, 2);
}

}  // namespace
}  // namespace mybuild::parser
