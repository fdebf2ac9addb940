#include "cli/progress.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <vector>

#include "common/base64.h"
#include "common/digest.h"

namespace mybuild::cli {
namespace {

using builder::StepId;
using builder::StepState;

TEST(PlainProgress, NumbersStepsLikeBuildKit) {
  std::ostringstream out;
  auto p = make_progress("plain", out, false);
  StepId s{3, "[2/4] RUN make"};
  p->step_state(s, StepState::kStarted, {});
  p->step_log(s, "hello\nwor");
  p->step_log(s, "ld\n");
  p->step_state(s, StepState::kDone, std::chrono::milliseconds(1500));
  p->step_state(StepId{4, "[3/4] COPY . ."}, StepState::kCached, {});
  std::string text = out.str();
  EXPECT_EQ(text.find("#3 [2/4] RUN make\n"), 0u) << text;
  EXPECT_NE(text.find(" hello\n"), std::string::npos) << text;
  EXPECT_NE(text.find(" world\n"), std::string::npos) << text;  // split chunks joined
  EXPECT_NE(text.find("#3 DONE 1.5s\n"), std::string::npos) << text;
  EXPECT_NE(text.find("#4 [3/4] COPY . .\n#4 CACHED\n"), std::string::npos) << text;
}

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

const std::regex kRfc3339Nano(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z)");

TEST(RawJsonProgress, OneValidObjectPerLineEvenWithBinaryOutput) {
  std::ostringstream out;
  auto p = make_progress("rawjson", out, false);
  p->step_state(StepId{1, "FROM x"}, StepState::kStarted, {});
  p->step_log(StepId{1, "FROM x"}, std::string("\xff\xfe bad utf8\n"));
  p->cache_miss(StepId{1, "FROM x"}, "file a.txt changed");
  auto lines = json_lines(out.str());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1]["logs"][0]["data"], common::base64_encode("\xff\xfe bad utf8\n"));
  EXPECT_EQ(lines[2]["logs"][0]["data"], common::base64_encode("cache miss: file a.txt changed\n"));
}

// BuildKit's VertexStatus: fields in Go's order, name and total omitted when empty, the same
// `started` on every update of one transfer, `completed` only on the last.
TEST(RawJsonProgress, TransferIsVertexStatus) {
  std::ostringstream out;
  auto p = make_progress("rawjson", out, false);
  StepId from{1, "[1/2] FROM r/base"};
  p->step_state(from, StepState::kStarted, {});
  p->step_transfer(
      from, {.id = "sha256:aa", .action = "", .current = 5, .total = 10, .completed = false});
  p->step_transfer(
      from, {.id = "sha256:aa", .action = "", .current = 10, .total = 10, .completed = true});
  p->step_transfer(
      from, {.id = "sha256:bb", .action = "pushing", .current = 0, .total = 0, .completed = false});
  std::istringstream raw(out.str());
  std::vector<std::string> text;
  for (std::string line; std::getline(raw, line);) text.push_back(line);
  ASSERT_EQ(text.size(), 4u) << out.str();
  const std::string v = json_lines(out.str())[0]["vertexes"][0]["digest"];
  EXPECT_TRUE(std::regex_match(
      text[1],
      std::regex(R"(\{"statuses":\[\{"id":"sha256:aa","vertex":")" + v +
                 R"(","total":10,"current":5,"timestamp":"[^"]+","started":"[^"]+"\}\]\})")))
      << text[1];
  auto lines = json_lines(out.str());
  auto first = lines[1]["statuses"][0];
  auto last = lines[2]["statuses"][0];
  EXPECT_EQ(last["started"], first["started"]);
  EXPECT_EQ(last["current"], 10);
  EXPECT_TRUE(std::regex_match(last["completed"].get<std::string>(), kRfc3339Nano)) << last;
  auto pushing = lines[3]["statuses"][0];
  EXPECT_EQ(pushing["name"], "pushing");
  EXPECT_FALSE(pushing.contains("total")) << pushing;
  EXPECT_EQ(pushing["current"], 0) << "current is never omitted";
}

// The shape `docker buildx build --progress rawjson` prints (BuildKit's client.SolveStatus with
// its Go json tags): one object a line, vertexes re-sent on each state change, base64 logs.
TEST(RawJsonProgress, IsBuildKitSolveStatus) {
  std::ostringstream out;
  auto p = make_progress("rawjson", out, false);
  StepId from{1, "[1/3] FROM docker.io/library/busybox:latest"};
  StepId run{2, "[2/3] RUN make"};
  StepId copy{3, "[3/3] COPY . ."};
  p->step_state(from, StepState::kCached, {});
  p->step_state(run, StepState::kStarted, {});
  p->step_log(run, "hello\n");
  p->step_state(run, StepState::kDone, std::chrono::milliseconds(1500));
  p->step_state(copy, StepState::kFailed, {});
  p->message("WARN: something odd");
  auto lines = json_lines(out.str());
  ASSERT_EQ(lines.size(), 6u) << out.str();

  auto cached = lines[0]["vertexes"][0];
  EXPECT_EQ(cached["digest"], common::Digest::sha256_of(from.name).str());
  EXPECT_EQ(cached["name"], from.name);
  EXPECT_EQ(cached["cached"], true);
  EXPECT_FALSE(cached.contains("inputs")) << "FROM has no input among the steps";
  EXPECT_TRUE(std::regex_match(cached["started"].get<std::string>(), kRfc3339Nano)) << cached;
  EXPECT_TRUE(std::regex_match(cached["completed"].get<std::string>(), kRfc3339Nano)) << cached;

  auto started = lines[1]["vertexes"][0];
  EXPECT_EQ(started["inputs"], nlohmann::json::array({cached["digest"]}));
  EXPECT_FALSE(started.contains("completed"));
  EXPECT_FALSE(started.contains("cached")) << "omitempty, as Go writes it";

  auto log = lines[2]["logs"][0];
  EXPECT_EQ(log["vertex"], started["digest"]);
  EXPECT_EQ(log["stream"], 1);
  EXPECT_EQ(log["data"], "aGVsbG8K");  // "hello\n"
  EXPECT_TRUE(std::regex_match(log["timestamp"].get<std::string>(), kRfc3339Nano)) << log;

  auto done = lines[3]["vertexes"][0];
  EXPECT_EQ(done["digest"], started["digest"]);
  EXPECT_EQ(done["started"], started["started"]);
  EXPECT_TRUE(done.contains("completed"));
  EXPECT_FALSE(done.contains("error"));

  auto failed = lines[4]["vertexes"][0];
  EXPECT_EQ(failed["inputs"], nlohmann::json::array({done["digest"]}));
  EXPECT_EQ(failed["error"], "failed");

  auto warning = lines[5]["warnings"][0];
  EXPECT_EQ(warning["level"], 1);
  EXPECT_EQ(warning["short"], common::base64_encode("something odd"));
  for (const auto& l : lines) {
    EXPECT_FALSE(l.contains("statuses")) << "empty lists are omitted: " << l;
  }
}

TEST(RawJsonProgress, DigestsAreStableAndUnique) {
  auto digests = [] {
    std::ostringstream out;
    auto p = make_progress("rawjson", out, false);
    p->step_state(StepId{1, "[internal] load busybox"}, StepState::kDone, {});
    p->step_state(StepId{2, "[internal] load busybox"}, StepState::kDone, {});
    p->step_state(StepId{3, "[build 2/2] RUN x"}, StepState::kDone, {});
    std::vector<std::string> d;
    for (const auto& l : json_lines(out.str())) d.push_back(l["vertexes"][0]["digest"]);
    return d;
  };
  auto first = digests();
  ASSERT_EQ(first.size(), 3u);
  EXPECT_NE(first[0], first[1]) << "two steps of the same name are two vertexes";
  EXPECT_EQ(first, digests()) << "the same build names the same vertexes";
}

TEST(PlainProgress, FoldsStepsInGitHubActions) {
  std::ostringstream out;
  auto p = make_progress("plain", out, false, CiLog::kGitHubActions);
  StepId a{1, "[1/2] FROM busybox"};
  StepId b{2, "[2/2] RUN make"};
  p->step_state(a, StepState::kCached, {});
  p->step_state(b, StepState::kStarted, {});
  p->step_log(b, "compiling\n");
  p->message("WARN: careful");
  p->step_log(b, "linking\n");
  p->step_state(b, StepState::kDone, std::chrono::seconds(2));
  // Log lines carry seconds since the step started: not what this test is about.
  const std::string text = std::regex_replace(out.str(), std::regex(R"(#2 \d+\.\d{3} )"), "#2 T ");
  EXPECT_EQ(text,
            "#1 [1/2] FROM busybox\n#1 CACHED\n\n"
            "::group::#2 [2/2] RUN make\n"
            "#2 T compiling\n"
            "::endgroup::\n"
            "WARN: careful\n"
            "::group::#2 [2/2] RUN make (continued)\n"
            "#2 T linking\n"
            "#2 DONE 2.0s\n"
            "::endgroup::\n\n")
      << text;
}

TEST(PlainProgress, FoldsStepsInGitLab) {
  std::ostringstream out;
  auto p = make_progress("plain", out, false, CiLog::kGitLab);
  StepId b{2, "[2/2] RUN make"};
  p->step_state(b, StepState::kStarted, {});
  p->step_log(b, "compiling\n");
  p->step_state(b, StepState::kFailed, {});
  std::regex expected(
      "\x1b\\[0Ksection_start:(\\d+):step_2_1\\[collapsed=true\\]\r\x1b\\[0K#2 \\[2/2\\] RUN "
      "make\n#2 [0-9.]+ compiling\n#2 ERROR\n\x1b\\[0Ksection_end:(\\d+):step_2_1\r\x1b\\[0K\n\n");
  EXPECT_TRUE(std::regex_match(out.str(), expected)) << out.str();
}

TEST(PlainProgress, NoMarkersOutsideCi) {
  std::ostringstream out;
  auto p = make_progress("plain", out, false, CiLog::kNone);
  p->step_state(StepId{2, "RUN make"}, StepState::kStarted, {});
  p->step_log(StepId{2, "RUN make"}, "x\n");
  p->step_state(StepId{2, "RUN make"}, StepState::kDone, {});
  EXPECT_EQ(out.str().find("::"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("section_"), std::string::npos) << out.str();
}

TEST(CiLog, ChosenByTheEnvironment) {
  ::unsetenv("GITLAB_CI");
  ::unsetenv("GITHUB_ACTIONS");
  EXPECT_EQ(ci_log_from_env(), CiLog::kNone);
  ::setenv("GITHUB_ACTIONS", "true", 1);
  EXPECT_EQ(ci_log_from_env(), CiLog::kGitHubActions);
  ::setenv("GITLAB_CI", "true", 1);
  EXPECT_EQ(ci_log_from_env(), CiLog::kGitLab);
  ::unsetenv("GITLAB_CI");
  ::unsetenv("GITHUB_ACTIONS");
}

}  // namespace
}  // namespace mybuild::cli
