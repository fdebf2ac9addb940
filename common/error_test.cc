#include "common/error.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace mybuild::common {
namespace {

TEST(Error, ContextIsPrintedOutermostFirst) {
  Error e(ErrorKind::kNetwork, "connection refused");
  e.add_context("GET /v2/");
  e.add_context("pulling alpine");
  EXPECT_EQ(e.full_message(), "pulling alpine: GET /v2/: connection refused");
  EXPECT_EQ(e.kind(), ErrorKind::kNetwork);
}

TEST(Error, ThrowErrnoNamesCallAndSubject) {
  try {
    throw_errno("open", "/nope", ENOENT);
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "open(/nope): No such file or directory");
    EXPECT_EQ(e.kind(), ErrorKind::kResource);
  }
}

}  // namespace
}  // namespace mybuild::common
