// moby/patternmatcher's vectors (../shared/conformance/dockerignore, see its FORMAT.md), every
// row. A missing conformance directory fails loudly: it must never pass by skipping.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "parser/conformance_file.h"
#include "parser/dockerignore_file.h"
#include "parser/dockerignore_matcher.h"

namespace mybuild::parser {
namespace {

std::filesystem::path data_dir() {
  return std::filesystem::path(MYBUILD_CONFORMANCE_DIR) / "dockerignore";
}

struct Row {
  std::string pattern, path, expected;
};

std::vector<Row> read_tsv(const std::string& name) {
  std::istringstream in(parser_testing::read_conformance_file(data_dir() / name));
  std::vector<Row> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const std::size_t a = line.find('\t'), b = line.find('\t', a + 1);
    EXPECT_NE(b, std::string::npos) << line;
    if (b == std::string::npos) continue;
    rows.push_back({line.substr(0, a), line.substr(a + 1, b - a - 1), line.substr(b + 1)});
  }
  return rows;
}

// "match", "nomatch" or "error", as the vectors write it.
std::string outcome(const std::vector<std::string>& patterns, const std::string& path) {
  try {
    return DockerignoreMatcher(patterns).excluded(path) ? "match" : "nomatch";
  } catch (const common::Error&) {
    return "error";
  }
}

TEST(DockerignoreConformance, DirectoryExists) {
  ASSERT_TRUE(std::filesystem::is_directory(data_dir()))
      << data_dir() << " is missing: the conformance data must be beside the repository";
}

TEST(DockerignoreConformance, Cases) {
  const std::vector<Row> rows = read_tsv("cases.tsv");
  EXPECT_EQ(rows.size(), 68u);
  for (const Row& r : rows) {
    EXPECT_EQ(outcome({r.pattern}, r.path), r.expected) << r.pattern << " vs " << r.path;
  }
}

TEST(DockerignoreConformance, FilepathMatchCases) {
  const std::vector<Row> rows = read_tsv("filepath-match-cases.tsv");
  EXPECT_EQ(rows.size(), 54u);
  for (const Row& r : rows) {
    EXPECT_EQ(outcome({r.pattern}, r.path), r.expected) << r.pattern << " vs " << r.path;
  }
}

TEST(DockerignoreConformance, MultiCases) {
  std::istringstream in(parser_testing::read_conformance_file(data_dir() / "multi-cases.jsonl"));
  int run = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const auto c = nlohmann::json::parse(line);
    const auto patterns = c.at("patterns").get<std::vector<std::string>>();
    const std::string path = c.at("path");
    EXPECT_EQ(outcome(patterns, path), c.at("expected").get<std::string>()) << line;
    ++run;
  }
  EXPECT_EQ(run, 16);
}

TEST(DockerignoreConformance, BadRangeKeepsFailing) {
  const DockerignoreMatcher m({"[Local-Only]/"});
  for (int i = 0; i < 3; ++i) EXPECT_THROW(m.excluded("x"), common::Error);
}

TEST(DockerignoreConformance, IgnoreFile) {
  const std::vector<std::string> got =
      read_dockerignore(parser_testing::read_conformance_file(data_dir() / "ignorefile-input.txt"));
  std::vector<std::string> expected;
  std::istringstream in(
      parser_testing::read_conformance_file(data_dir() / "ignorefile-expected.txt"));
  for (std::string line; std::getline(in, line);) expected.push_back(line);
  EXPECT_EQ(got, expected);
  EXPECT_EQ(got.size(), 7u);
}

}  // namespace
}  // namespace mybuild::parser
