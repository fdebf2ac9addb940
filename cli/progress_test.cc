#include "cli/progress.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

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

TEST(RawJsonProgress, OneValidObjectPerLineEvenWithBinaryOutput) {
  std::ostringstream out;
  auto p = make_progress("rawjson", out, false);
  p->step_state(StepId{1, "FROM x"}, StepState::kStarted, {});
  p->step_log(StepId{1, "FROM x"}, std::string("\xff\xfe bad utf8\n"));
  p->cache_miss(StepId{1, "FROM x"}, "file a.txt changed");
  std::istringstream lines(out.str());
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_TRUE(j.contains("event"));
    ++n;
  }
  EXPECT_EQ(n, 3);
}

}  // namespace
}  // namespace mybuild::cli
