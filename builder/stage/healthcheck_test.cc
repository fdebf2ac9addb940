#include "builder/stage/healthcheck.h"

#include <gtest/gtest.h>

#include <variant>

#include "parser/stages.h"

namespace mybuild::builder {
namespace {

parser::Healthcheck parse_healthcheck(const std::string& line) {
  auto file = parser::parse_typed("FROM scratch\n" + line + "\n", "Dockerfile");
  return std::get<parser::Healthcheck>(file.stages.at(0).instructions.at(0));
}

TEST(Healthcheck, ShellFormWithOptions) {
  image::Healthcheck h =
      healthcheck_of(parse_healthcheck("HEALTHCHECK --interval=30s --retries=3 CMD true"));
  EXPECT_EQ(h.test, (std::vector<std::string>{"CMD-SHELL", "true"}));
  EXPECT_EQ(h.interval_ns, 30'000'000'000);
  EXPECT_EQ(h.retries, 3);
  EXPECT_EQ(healthcheck_history(h),
            R"(HEALTHCHECK &{["CMD-SHELL" "true"] "30s" "0s" "0s" "0s" '\x03'})");
}

TEST(Healthcheck, ExecFormAndNone) {
  image::Healthcheck exec =
      healthcheck_of(parse_healthcheck(R"(HEALTHCHECK CMD ["/bin/check", "-q"])"));
  EXPECT_EQ(exec.test, (std::vector<std::string>{"CMD", "/bin/check", "-q"}));
  image::Healthcheck none = healthcheck_of(parse_healthcheck("HEALTHCHECK NONE"));
  EXPECT_EQ(none.test, (std::vector<std::string>{"NONE"}));
  EXPECT_EQ(healthcheck_history(none), R"(HEALTHCHECK &{["NONE"] "0s" "0s" "0s" "0s" '\x00'})");
}

}  // namespace
}  // namespace mybuild::builder
