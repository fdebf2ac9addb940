// The one file that sees the generated ANTLR lexer and parser: runs them over the text and walks
// the tree into raw nodes (node.h). Syntax problems from every stage (lexer superclass, ANTLR
// error listeners, the walk) are collected and thrown as one error, so a user sees all of them.
#include <DockerfileLexer.h>
#include <DockerfileParser.h>

#include <algorithm>
#include <stdexcept>

#include "common/ascii.h"
#include "parser/internal/antlr_caches.h"
#include "parser/internal/byte_char_stream.h"
#include "parser/internal/heredoc_word.h"
#include "parser/internal/line_split.h"
#include "parser/internal/node_args.h"
#include "parser/internal/problems.h"
#include "parser/parse.h"

namespace mybuild::parser {
namespace {

using gen::DockerfileLexer;
using gen::DockerfileParser;

using internal::Problem;

// Replaces ANTLR's console listener: errors are collected, never printed by the library.
class CollectingListener : public antlr4::BaseErrorListener {
 public:
  CollectingListener(std::string file, std::vector<Problem>& problems)
      : file_(std::move(file)), problems_(problems) {}
  void syntaxError(antlr4::Recognizer* /*recognizer*/, antlr4::Token* /*offending*/, size_t line,
                   size_t column, const std::string& message, std::exception_ptr /*e*/) override {
    problems_.push_back(
        internal::problem_at(file_, static_cast<int>(line), static_cast<int>(column) + 1, message));
  }

 private:
  std::string file_;
  std::vector<Problem>& problems_;
};

bool is_argument_token(size_t type) {
  return type == DockerfileLexer::TEXT || type == DockerfileLexer::WS ||
         type == DockerfileLexer::ESCAPED || type == DockerfileLexer::CHAR ||
         type == DockerfileLexer::CONTINUATION;
}

// Drops an escape token left dangling at the end of the file (`RUN foo \` on the last line):
// BuildKit strips it as a continuation into nothing.
void drop_dangling_escape(std::string& text, char escape) {
  size_t end = text.size();
  while (end > 0 && (text[end - 1] == ' ' || text[end - 1] == '\t')) --end;
  if (end == 0 || text[end - 1] != escape) return;
  if (end >= 2 && text[end - 2] == escape) return;
  text.resize(end - 1);
}

// Walks the token stream rather than a parse tree: the parser only checks the structure (its
// errors reach the listener), and not building a tree saves a node per token, which was a fifth
// of the parse time. The lexer has already grouped what the grammar's rules name: an instruction
// is a KEYWORD, argument tokens up to EOL, then one HEREDOC_LINE* HEREDOC_END group per heredoc
// its line opens.
class Walker {
 public:
  Walker(antlr4::CommonTokenStream& tokens, std::string file, char escape,
         std::vector<Problem>& problems)
      : tokens_(tokens), file_(std::move(file)), escape_(escape), problems_(problems) {}

  std::vector<Node> walk() {
    std::vector<Node> nodes;
    tokens_.fill();
    for (size_t i = 0; i < tokens_.size(); ++i) {
      antlr4::Token* keyword = tokens_.get(i);
      if (keyword->getType() != DockerfileLexer::KEYWORD) continue;
      try {
        nodes.push_back(instruction(i));
      } catch (const std::invalid_argument& e) {
        const int line = static_cast<int>(keyword->getLine());
        problems_.push_back(internal::problem_at(file_, line, keyword_column(keyword), e.what()));
      }
    }
    return nodes;
  }

 private:
  static int keyword_column(antlr4::Token* keyword) {
    std::string text = keyword->getText();
    size_t lead = text.size() - internal::trim_left(text).size();
    return static_cast<int>(keyword->getCharPositionInLine() + lead) + 1;
  }

  Node instruction(size_t keyword_index) {
    antlr4::Token* keyword = tokens_.get(keyword_index);
    Node node;
    node.original = std::string(internal::trim(keyword->getText()));
    node.keyword = common::ascii_lower(node.original);
    node.range.file = file_;
    node.range.line = static_cast<int>(keyword->getLine());
    node.range.column = keyword_column(keyword);
    node.range.end_line = node.range.line;

    // The argument text: every token after the keyword up to the end of the line, hidden
    // continuations included in the scan (for the last line) but not in the text.
    bool at_eof = true;
    size_t i = keyword_index + 1;
    for (; i < tokens_.size(); ++i) {
      antlr4::Token* t = tokens_.get(i);
      if (!is_argument_token(t->getType())) {
        at_eof = t->getType() == antlr4::Token::EOF;
        break;
      }
      node.range.end_line = static_cast<int>(t->getLine());
      if (t->getType() != DockerfileLexer::CONTINUATION) node.text += t->getText();
    }
    if (at_eof) drop_dangling_escape(node.text, escape_);
    node.text = std::string(internal::trim(node.text));

    internal::split_node_args(node, node.text, escape_);
    if (i < tokens_.size() && tokens_.get(i)->getType() == DockerfileLexer::EOL) {
      heredocs(i + 1, node);
    } else {
      heredocs(tokens_.size(), node);
    }
    return node;
  }

  // Reads the bodies of the heredocs the instruction's line opens from the tokens at `i`.
  void heredocs(size_t i, Node& node) {
    std::vector<internal::HeredocWord> words =
        internal::heredocs_for_instruction(node.keyword, node.text, escape_);
    for (const auto& word : words) {
      Heredoc doc{.name = word.name,
                  .content = {},
                  .expand = word.expand,
                  .chomp = word.chomp,
                  .fd = word.fd};
      for (; i < tokens_.size() && tokens_.get(i)->getType() == DockerfileLexer::HEREDOC_LINE;
           ++i) {
        doc.content += tokens_.get(i)->getText();
      }
      if (i >= tokens_.size() || tokens_.get(i)->getType() != DockerfileLexer::HEREDOC_END) {
        throw std::invalid_argument("unterminated heredoc <<" + word.name + ": expected a line \"" +
                                    word.name + "\" to end it before the end of the file");
      }
      node.range.end_line = static_cast<int>(tokens_.get(i)->getLine());
      ++i;
      node.heredocs.push_back(std::move(doc));
    }
  }

  antlr4::CommonTokenStream& tokens_;
  std::string file_;
  char escape_;
  std::vector<Problem>& problems_;
};

}  // namespace

void internal::clear_dockerfile_antlr_caches() {
  // The tables are static; any simulator of the grammar reaches them.
  internal::ByteCharStream input("", "clear");
  DockerfileLexer lexer(&input);
  antlr4::CommonTokenStream tokens(&lexer);
  DockerfileParser parser(&tokens);
  lexer.getInterpreter<antlr4::atn::LexerATNSimulator>()->clearDFA();
  auto* simulator = parser.getInterpreter<antlr4::atn::ParserATNSimulator>();
  simulator->clearDFA();
  simulator->getSharedContextCache().clear();
}

RawDockerfile parse_dockerfile(std::string_view text, std::string filename) {
  // A UTF-8 byte-order mark at the start is not part of the first line.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);

  std::vector<Problem> problems;
  CollectingListener listener(filename, problems);
  internal::ByteCharStream input(text, filename);
  DockerfileLexer lexer(&input);
  lexer.removeErrorListeners();
  lexer.addErrorListener(&listener);
  antlr4::CommonTokenStream tokens(&lexer);
  DockerfileParser parser(&tokens);
  parser.removeErrorListeners();
  parser.addErrorListener(&listener);
  // The grammar is unambiguous; SLL prediction is enough and much faster than full LL.
  parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
      antlr4::atn::PredictionMode::SLL);
  parser.setBuildParseTree(false);
  parser.dockerfile();

  for (const auto& p : lexer.problems()) {
    const int line = static_cast<int>(p.line);
    problems.push_back(internal::problem_at(filename, line, static_cast<int>(p.column), p.message));
  }

  RawDockerfile out;
  out.file = filename;
  out.escape_token = lexer.escape_token();
  for (const auto& d : lexer.directives()) {
    out.directives.push_back({d.name, d.value, static_cast<int>(d.line)});
  }
  Walker walker(tokens, filename, out.escape_token, problems);
  out.nodes = walker.walk();

  if (out.nodes.empty() && problems.empty()) {
    problems.push_back(internal::problem_at(filename, 1, 0,
                                            "file with no instructions: expected at least a FROM"));
  }
  if (!problems.empty()) internal::throw_problems(filename, std::move(problems));
  return out;
}

}  // namespace mybuild::parser
