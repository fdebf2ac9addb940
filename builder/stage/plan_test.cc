#include "builder/stage/plan.h"

#include <gtest/gtest.h>

#include "parser/stages.h"

namespace mybuild::builder {
namespace {

BuildPlan build_plan(const std::string& text, const std::string& target = "",
                     std::map<std::string, std::string> args = {}, bool skip = true) {
  auto file = parser::parse_typed(text, "Dockerfile");
  return plan_build(file, args, target, common::Platform::parse("linux/amd64"), skip);
}

constexpr const char* kMulti = R"(ARG BASE=busybox
FROM ${BASE} AS deps
RUN echo deps
FROM deps AS build
RUN echo build
FROM alpine AS unused
RUN false
FROM scratch AS final
COPY --from=build /x /x
COPY --from=1 /y /y
COPY --from=nginx:latest /etc/nginx /etc/nginx
)";

TEST(StagePlan, TargetNeedsOnlyWhatItReads) {
  BuildPlan p = build_plan(kMulti);
  EXPECT_EQ(p.target, 3);
  EXPECT_EQ(p.needed, (std::vector<int>{0, 1, 3}));
  EXPECT_EQ(p.stages[0].base, "busybox");
  EXPECT_EQ(*p.stages[1].base_stage, 0);
  EXPECT_TRUE(p.stages[3].scratch);
  EXPECT_EQ(p.stages[3].depends_on, (std::set<int>{1}));
  EXPECT_EQ(p.stages[3].images, (std::set<std::string>{"nginx:latest"}));
}

TEST(StagePlan, TargetAndBuildArgsAndAllStages) {
  EXPECT_EQ(build_plan(kMulti, "BUILD").needed, (std::vector<int>{0, 1}));
  EXPECT_EQ(build_plan(kMulti, "", {{"BASE", "debian"}}).stages[0].base, "debian");
  EXPECT_EQ(build_plan(kMulti, "", {}, false).needed, (std::vector<int>{0, 1, 2, 3}));
  try {
    build_plan(kMulti, "nope");
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kDockerfile);
    EXPECT_NE(std::string(e.what()).find("target stage \"nope\" could not be found"),
              std::string::npos);
  }
}

TEST(StagePlan, PlatformArgsAreGlobalAndFromIsExpanded) {
  BuildPlan p = build_plan("FROM --platform=$BUILDPLATFORM busybox\nFROM alpine:${TARGETARCH}\n");
  EXPECT_EQ(p.stages[1].base, "alpine:amd64");
  EXPECT_EQ(*p.global_args.lookup("TARGETPLATFORM"), "linux/amd64");
}

TEST(StagePlan, ForwardReferencesAreErrors) {
  EXPECT_THROW(build_plan("FROM busybox AS a\nCOPY --from=b /x /x\nFROM busybox AS b\n"),
               common::Error);
  EXPECT_THROW(build_plan("FROM busybox\nCOPY --from=3 /x /x\n"), common::Error);
}

}  // namespace
}  // namespace mybuild::builder
