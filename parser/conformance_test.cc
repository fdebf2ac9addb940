// The shared conformance data (../shared/conformance, README there): BuildKit's parser corpus
// byte for byte, its negative cases, the heredoc cases, and real-world Dockerfiles. A missing
// data directory fails loudly: these tests never skip.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "common/error.h"
#include "parser/dump.h"
#include "parser/internal/heredoc_word.h"
#include "parser/parse.h"
#include "parser/stages.h"

namespace mybuild::parser {
namespace {

namespace fs = std::filesystem;

const fs::path kConformance = MYBUILD_CONFORMANCE_DIR;

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::vector<fs::path> case_dirs(const fs::path& root) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (entry.is_directory()) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Conformance, DataIsPresent) {
  ASSERT_TRUE(fs::is_directory(kConformance / "parser/moby/testfiles"))
      << "conformance data missing at " << kConformance
      << ": clone ../shared beside the repository (see README.md)";
}

TEST(Conformance, MobyTestfilesDumpByteForByte) {
  const auto dirs = case_dirs(kConformance / "parser/moby/testfiles");
  ASSERT_EQ(dirs.size(), 33u);
  int passed = 0;
  for (const auto& dir : dirs) {
    SCOPED_TRACE(dir.filename().string());
    std::string got;
    try {
      got = dump(parse_dockerfile(slurp(dir / "Dockerfile"), "Dockerfile").nodes);
    } catch (const common::Error& e) {
      ADD_FAILURE() << e.full_message();
      continue;
    }
    std::string want = slurp(dir / "result");
    EXPECT_EQ(got, want);
    if (got == want) ++passed;
  }
  EXPECT_EQ(passed, 33);
}

TEST(Conformance, MobyNegativeCasesFail) {
  const auto dirs = case_dirs(kConformance / "parser/moby/testfiles-negative");
  ASSERT_EQ(dirs.size(), 4u);
  for (const auto& dir : dirs) {
    SCOPED_TRACE(dir.filename().string());
    try {
      parse_dockerfile(slurp(dir / "Dockerfile"), "Dockerfile");
      ADD_FAILURE() << "parsed without error";
    } catch (const common::Error& e) {
      EXPECT_EQ(e.kind(), common::ErrorKind::kDockerfile);
      ASSERT_TRUE(e.where().has_value());
      EXPECT_GE(e.where()->line, 1);
    }
  }
}

// Runs the real binary: `mybuild debug parse` on one corpus case and on one negative case.
int run(const std::string& command, std::string& out) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Conformance, DebugParseBinaryMatchesCorpus) {
  const fs::path binary = MYBUILD_BINARY;
  ASSERT_TRUE(fs::exists(binary)) << binary << " not built (build the `mybuild` target)";
  int checked = 0;
  for (const auto& dir : case_dirs(kConformance / "parser/moby/testfiles")) {
    SCOPED_TRACE(dir.filename().string());
    std::string out;
    EXPECT_EQ(run(binary.string() + " debug parse '" + (dir / "Dockerfile").string() + "'", out),
              0);
    EXPECT_EQ(out, slurp(dir / "result"));
    ++checked;
  }
  EXPECT_EQ(checked, 33);
  for (const auto& dir : case_dirs(kConformance / "parser/moby/testfiles-negative")) {
    SCOPED_TRACE(dir.filename().string());
    std::string out;
    int code =
        run(binary.string() + " debug parse '" + (dir / "Dockerfile").string() + "' 2>&1", out);
    EXPECT_NE(code, 0);
    EXPECT_NE(out.find("error: "), std::string::npos) << out;
  }
}

TEST(Conformance, HeredocExpectations) {
  const fs::path dir = kConformance / "parser/heredoc";
  RawDockerfile parsed = parse_dockerfile(slurp(dir / "Dockerfile"), "Dockerfile");
  nlohmann::json expected = nlohmann::json::parse(slurp(dir / "expected.json"));
  const auto& want = expected.at("instructions");
  ASSERT_EQ(parsed.nodes.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE("instruction " + std::to_string(i));
    const Node& node = parsed.nodes[i];
    EXPECT_EQ("(" + dump_node(node) + ")", want[i].at("dump").get<std::string>());
    const auto& docs = want[i].at("heredocs");
    ASSERT_EQ(node.heredocs.size(), docs.size());
    for (size_t k = 0; k < docs.size(); ++k) {
      EXPECT_EQ(node.heredocs[k].name, docs[k].at("name").get<std::string>());
      EXPECT_EQ(node.heredocs[k].content, docs[k].at("content").get<std::string>());
      EXPECT_EQ(node.heredocs[k].expand, docs[k].at("expand").get<bool>());
      EXPECT_EQ(node.heredocs[k].chomp, docs[k].at("chomp").get<bool>());
      EXPECT_EQ(node.heredocs[k].fd, docs[k].at("fd").get<int>());
    }
  }
}

TEST(Conformance, HeredocWordCases) {
  nlohmann::json cases =
      nlohmann::json::parse(slurp(kConformance / "parser/heredoc/word-cases.json"));
  const auto& words = cases.at("parse_heredoc_word");
  for (const auto& w : words.at("valid_name_EOF")) {
    SCOPED_TRACE(w.get<std::string>());
    auto doc = internal::parse_heredoc_word(w.get<std::string>());
    ASSERT_TRUE(doc.has_value());
    EXPECT_EQ(doc->name, "EOF");
  }
  for (const auto& w : words.at("error")) {
    SCOPED_TRACE(w.get<std::string>());
    EXPECT_THROW(internal::parse_heredoc_word(w.get<std::string>()), std::invalid_argument);
  }
  for (const auto& w : words.at("not_heredoc")) {
    SCOPED_TRACE(w.get<std::string>());
    EXPECT_FALSE(internal::parse_heredoc_word(w.get<std::string>()).has_value());
  }
  for (const auto& c : cases.at("heredocs_from_line")) {
    const std::string line = c.at("line").get<std::string>();
    SCOPED_TRACE(line);
    std::vector<std::string> names;
    // The bodies are missing here, so parse the line alone through the word rules.
    for (const auto& doc : internal::heredocs_from_line(line)) names.push_back(doc.name);
    EXPECT_EQ(names, c.at("names").get<std::vector<std::string>>());
  }
  for (const auto& line : cases.at("json_form_has_no_heredoc")) {
    SCOPED_TRACE(line.get<std::string>());
    RawDockerfile parsed = parse_dockerfile(line.get<std::string>() + "\nRUN next\n", "Dockerfile");
    ASSERT_EQ(parsed.nodes.size(), 2u);
    EXPECT_TRUE(parsed.nodes[0].heredocs.empty());
    EXPECT_EQ(parsed.nodes[1].keyword, "run");
  }
  EXPECT_EQ(internal::chomp_tabs(cases.at("chomp").at("content").get<std::string>()),
            cases.at("chomp").at("chomped").get<std::string>());
}

TEST(Conformance, RealWorldDockerfilesParseAndValidate) {
  int parsed_files = 0;
  for (const auto& entry : fs::directory_iterator(kConformance / "real-world")) {
    if (entry.path().extension() != ".Dockerfile") continue;
    SCOPED_TRACE(entry.path().filename().string());
    try {
      std::string text = slurp(entry.path());
      Dockerfile df = parse_typed(text, entry.path().filename().string());
      EXPECT_FALSE(df.stages.empty());
      ++parsed_files;
    } catch (const common::Error& e) {
      ADD_FAILURE() << e.full_message();
    }
  }
  EXPECT_EQ(parsed_files, 39);
}

}  // namespace
}  // namespace mybuild::parser
