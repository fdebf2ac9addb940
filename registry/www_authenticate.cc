#include "registry/www_authenticate.h"

#include <cctype>

#include "common/ascii.h"

namespace mybuild::registry {
namespace {

bool is_tchar(char c) {
  // RFC 7230 §3.2.6 token characters.
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~/").find(c) != std::string_view::npos;
}

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  bool done() const { return i_ >= s_.size(); }
  bool eat(char c) {
    skip_space();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  std::string_view token() {
    skip_space();
    size_t start = i_;
    while (i_ < s_.size() && is_tchar(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }
  // token68 values may end in '=' padding (RFC 7235 §2.1).
  std::string_view token68_tail() {
    size_t start = i_;
    while (i_ < s_.size() && s_[i_] == '=') ++i_;
    return s_.substr(start, i_ - start);
  }
  bool quoted(std::string& out) {
    skip_space();
    if (i_ >= s_.size() || s_[i_] != '"') return false;
    ++i_;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return true;
      if (c == '\\' && i_ < s_.size()) c = s_[i_++];
      out.push_back(c);
    }
    return true;  // unterminated: keep what there is, as lenient clients do
  }
  size_t pos() const { return i_; }
  void seek(size_t p) { i_ = p; }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

std::vector<Challenge> parse_www_authenticate(std::string_view header) {
  std::vector<Challenge> out;
  Scanner sc(header);
  while (!sc.done()) {
    while (sc.eat(',')) {
    }
    std::string_view scheme = sc.token();
    if (scheme.empty()) break;
    Challenge ch{common::ascii_lower(scheme), {}};
    // Parameters until the next "scheme " (a token not followed by '=').
    for (;;) {
      while (sc.eat(',')) {
      }
      size_t mark = sc.pos();
      std::string_view key = sc.token();
      if (key.empty()) break;
      if (!sc.eat('=')) {
        sc.seek(mark);  // the next challenge's scheme
        break;
      }
      std::string value;
      if (!sc.quoted(value)) {
        std::string_view tok = sc.token();
        value = std::string(tok) + std::string(sc.token68_tail());
      }
      ch.params[common::ascii_lower(key)] = std::move(value);
    }
    out.push_back(std::move(ch));
  }
  return out;
}

}  // namespace mybuild::registry
