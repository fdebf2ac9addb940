#include "parser/word_instructions.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace mybuild::parser {
namespace {

TEST(WordInstructions, TableMatchesBuildKit) {
  const std::set<std::string> expanding = {"ADD",    "ARG",    "COPY",   "ENV",
                                           "EXPOSE", "FROM",   "LABEL",  "STOPSIGNAL",
                                           "USER",   "VOLUME", "WORKDIR"};
  int rows = 0;
  for (const InstructionExpansion& e : instruction_expansions()) {
    ++rows;
    const bool expands = e.mode == WordExpansion::kEachWord || e.mode == WordExpansion::kSplitWords;
    EXPECT_EQ(expands, expanding.contains(std::string(e.instruction))) << e.instruction;
  }
  EXPECT_EQ(rows, 18);  // every Dockerfile instruction
}

TEST(WordInstructions, LookupIgnoresCase) {
  EXPECT_EQ(expansion_for("workdir"), WordExpansion::kEachWord);
  EXPECT_EQ(expansion_for("Expose"), WordExpansion::kSplitWords);
  EXPECT_EQ(expansion_for("RUN"), WordExpansion::kMountFlagsOnly);
  EXPECT_EQ(expansion_for("ONBUILD"), WordExpansion::kNone);
  EXPECT_EQ(expansion_for("CMD"), WordExpansion::kNone);
  EXPECT_EQ(expansion_for("NOPE"), WordExpansion::kNone);
}

}  // namespace
}  // namespace mybuild::parser
