// Raw parsing (parse.h) on hostile input: never a crash, hang or abort, and errors that name
// file:line:column. Inputs are generated in memory so the tests stay fast.
#include "parser/parse.h"

#include <gtest/gtest.h>

#include <random>

#include "common/error.h"
#include "parser/dump.h"

namespace mybuild::parser {
namespace {

// Parses, accepting either a result or a Dockerfile error (anything else fails the test).
void survives(const std::string& text) {
  try {
    parse_dockerfile(text, "Dockerfile");
  } catch (const common::Error& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kDockerfile);
    EXPECT_TRUE(e.where().has_value());
  }
}

TEST(ParseBadInput, BinaryGarbage) {
  std::mt19937 rng(42);
  for (int round = 0; round < 50; ++round) {
    std::string text(4096, '\0');
    for (char& c : text) c = static_cast<char>(rng());
    survives(text);
  }
}

TEST(ParseBadInput, NulBytesAndInvalidUtf8AreKeptByteExact) {
  std::string text("FROM a\nRUN echo \0\xff\xfe end\n", 24);
  RawDockerfile df = parse_dockerfile(text, "Dockerfile");
  ASSERT_EQ(df.nodes.size(), 2u);
  EXPECT_EQ(dump(df.nodes), "(from \"a\")\n(run \"echo \\x00\\xff\\xfe end\")\n");
}

TEST(ParseBadInput, HundredMegabyteLine) {
  std::string text = "RUN ";
  text.append(size_t{100} << 20, 'x');
  RawDockerfile df = parse_dockerfile(text, "Dockerfile");
  ASSERT_EQ(df.nodes.size(), 1u);
  EXPECT_EQ(df.nodes[0].args[0].size(), size_t{100} << 20);
}

TEST(ParseBadInput, HundredThousandContinuations) {
  std::string text = "RUN a";
  for (int i = 0; i < 100000; ++i) text += " \\\n b";
  text += "\n";
  RawDockerfile df = parse_dockerfile(text, "Dockerfile");
  ASSERT_EQ(df.nodes.size(), 1u);
  EXPECT_EQ(df.nodes[0].range.end_line, 100001);
}

TEST(ParseBadInput, ManyOnbuildsDoNotRecurseDeeply) {
  std::string text = "FROM a\n";
  for (int i = 0; i < 10000; ++i) text += "ONBUILD ";
  text += "RUN x\n";
  survives(text);
}

TEST(ParseErrors, UnterminatedHeredocNamesItsLine) {
  try {
    parse_dockerfile("FROM a\nRUN <<EOF\necho hi\n", "Dockerfile");
    FAIL() << "no error";
  } catch (const common::Error& e) {
    EXPECT_NE(e.message().find("Dockerfile:2:1: unterminated heredoc <<EOF"), std::string::npos)
        << e.message();
    EXPECT_EQ(e.where()->line, 2);
  }
}

TEST(ParseErrors, DirectiveProblemsAndAllAtOnce) {
  try {
    parse_dockerfile("# escape=x\n# escape=\\\nFROM a\nENV PATH\nRUN [1]\n", "Dockerfile");
    FAIL() << "no error";
  } catch (const common::Error& e) {
    const std::string& m = e.message();
    EXPECT_NE(m.find("Dockerfile:1:1: invalid escape token 'x'"), std::string::npos) << m;
    EXPECT_NE(m.find("Dockerfile:4:1: ENV PATH: expected a value"), std::string::npos) << m;
    EXPECT_NE(m.find("Dockerfile:5:1: the JSON array may hold only strings"), std::string::npos)
        << m;
  }
  EXPECT_THROW(parse_dockerfile("# syntax=a\n# syntax=b\nFROM x\n", "D"), common::Error);
}

TEST(ParseErrors, EmptyFileHasALine) {
  try {
    parse_dockerfile("# just a comment\n\n", "Dockerfile");
    FAIL() << "no error";
  } catch (const common::Error& e) {
    EXPECT_NE(e.message().find("file with no instructions"), std::string::npos);
    EXPECT_EQ(e.where()->line, 1);
  }
}

TEST(Parse, CrlfBomAndBacktickEscape) {
  RawDockerfile df =
      parse_dockerfile("\xEF\xBB\xBF# escape=`\r\nFROM x\r\nRUN dir c:\\ `\r\n  /b\r\n", "D");
  EXPECT_EQ(df.escape_token, '`');
  EXPECT_EQ(dump(df.nodes), "(from \"x\")\n(run \"dir c:\\\\   /b\")\n");
  EXPECT_EQ(df.nodes[1].range.line, 3);
  EXPECT_EQ(df.nodes[1].range.end_line, 4);
}

}  // namespace
}  // namespace mybuild::parser
