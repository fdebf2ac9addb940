#include "builder/stage/history_text.h"

#include <gtest/gtest.h>

namespace mybuild::builder {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST(HistoryText, GoQuoteEscapesLikeStrconvQuote) {
  EXPECT_EQ(go_quote("a \"b\"\n\\"), "\"a \\\"b\\\"\\n\\\\\"");
  EXPECT_EQ(go_quote(std::string("\x01", 1)), "\"\\x01\"");
  EXPECT_EQ(go_quote_list({"/bin/sh", "-c", "echo hi"}), "[\"/bin/sh\" \"-c\" \"echo hi\"]");
  EXPECT_EQ(go_list({"/bin/bash", "-c"}), "[/bin/bash -c]");
  EXPECT_EQ(go_list({}), "[]");
}

TEST(HistoryText, DurationsPrintAsGoDoes) {
  EXPECT_EQ(go_duration(nanoseconds(0)), "0s");
  EXPECT_EQ(go_duration(seconds(30)), "30s");
  EXPECT_EQ(go_duration(seconds(90)), "1m30s");
  EXPECT_EQ(go_duration(seconds(300)), "5m0s");
  EXPECT_EQ(go_duration(seconds(3600)), "1h0m0s");
  EXPECT_EQ(go_duration(milliseconds(1500)), "1.5s");
  EXPECT_EQ(go_duration(milliseconds(100)), "100ms");
  EXPECT_EQ(go_duration(nanoseconds(42)), "42ns");
}

}  // namespace
}  // namespace mybuild::builder
