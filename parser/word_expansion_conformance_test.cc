// BuildKit's word-expansion vectors (../shared/conformance/shell, see its FORMAT.md), every one
// of them. A missing conformance directory fails loudly: it must never pass by skipping.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "parser/conformance_file.h"
#include "parser/word_expansion.h"
#include "parser/word_utf8.h"

namespace mybuild::parser {
namespace {

std::filesystem::path shell_dir() {
  return std::filesystem::path(MYBUILD_CONFORMANCE_DIR) / "shell";
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Go's strings.TrimSpace (Unicode white space).
std::string trim_space(std::string_view s) {
  std::u32string runes = decode_utf8(s);
  std::size_t b = 0, e = runes.size();
  while (b < e && is_unicode_space(runes[b])) ++b;
  while (e > b && is_unicode_space(runes[e - 1])) --e;
  return encode_utf8(std::u32string_view(runes).substr(b, e - b));
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

TEST(WordConformance, DirectoryExists) {
  ASSERT_TRUE(std::filesystem::is_directory(shell_dir()))
      << shell_dir() << " is missing: the conformance data must be beside the repository";
}

TEST(WordConformance, EnvVarTest) {
  const std::vector<std::string> lines =
      lines_of(parser_testing::read_conformance_file(shell_dir() / "envVarTest"));
  const Env env{{"PWD", "/home"}, {"SHELL", "bash"}, {"KOREAN", "한국어"}, {"NULL", ""}};
  int run = 0, skipped = 0;
  for (const std::string& raw : lines) {
    if (!raw.empty() && raw[0] == '#') continue;
    const std::string line = trim_space(raw);
    if (line.empty()) continue;
    const std::vector<std::string> fields = split(line, '|');
    ASSERT_EQ(fields.size(), 3u) << line;
    const std::string platform = trim_space(fields[0]);
    if (platform == "W") {
      ++skipped;
      continue;
    }
    ASSERT_TRUE(platform == "A" || platform == "U") << line;
    const std::string input = trim_space(fields[1]), expected = trim_space(fields[2]);
    ++run;
    if (expected == "error") {
      EXPECT_THROW(expand_word(input, env), common::Error) << input;
    } else {
      try {
        EXPECT_EQ(expand_word(input, env), expected) << input;
      } catch (const common::Error& e) {
        ADD_FAILURE() << input << ": " << e.full_message();
      }
    }
  }
  EXPECT_EQ(run, 228);  // 226 A + 2 U lines (FORMAT.md)
  EXPECT_EQ(skipped, 2);
}

TEST(WordConformance, WordsTest) {
  const std::vector<std::string> lines =
      lines_of(parser_testing::read_conformance_file(shell_dir() / "wordsTest"));
  Env env;
  int run = 0;
  for (const std::string& line : lines) {
    if (!line.empty() && line[0] == '#') continue;
    if (line.rfind("ENV ", 0) == 0) {
      std::string rest = line.substr(3);
      rest.erase(0, rest.find_first_not_of(' '));
      const std::size_t eq = rest.find('=');
      ASSERT_NE(eq, std::string::npos) << line;
      env.set(rest.substr(0, eq), rest.substr(eq + 1));
      continue;
    }
    if (trim_space(line).empty()) continue;
    const std::vector<std::string> sides = split(line, '|');
    ASSERT_EQ(sides.size(), 2u) << line;
    const std::string input = trim_space(sides[0]);
    std::string right = sides[1];
    right.erase(0, right.find_first_not_of(' '));
    const std::vector<std::string> expected = split(right, ',');
    std::vector<std::string> got;
    try {
      got = expand_words(input, env);
    } catch (const common::Error&) {
      got = {"error"};
    }
    EXPECT_EQ(got, expected) << input;
    ++run;
  }
  EXPECT_EQ(run, 24);
}

TEST(WordConformance, SubstitutionCases) {
  const auto cases = nlohmann::json::parse(
      parser_testing::read_conformance_file(shell_dir() / "substitution-cases.json"));
  int run = 0;
  for (const auto& c : cases) {
    Env env;
    for (const auto& [name, value] : c.at("env").items()) env.set(name, value.get<std::string>());
    const std::string input = c.at("input");
    if (c.value("error", false)) {
      EXPECT_THROW(expand_word(input, env), common::Error) << input;
    } else {
      try {
        EXPECT_EQ(expand_word(input, env), c.at("expected").get<std::string>()) << input;
      } catch (const common::Error& e) {
        ADD_FAILURE() << input << ": " << e.full_message();
      }
    }
    ++run;
  }
  EXPECT_EQ(run, 56);
}

}  // namespace
}  // namespace mybuild::parser
