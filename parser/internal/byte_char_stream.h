// An ANTLR CharStream over bytes. ANTLRInputStream decodes UTF-8 into code points and throws
// on invalid UTF-8; a Dockerfile may hold any bytes (BuildKit keeps them and prints invalid
// ones as \x..), and token texts must be byte-exact. So each byte is one input symbol, and the
// text is viewed, not copied (a 100 MB line stays 100 MB).
// The symbol LA() returns for each byte is the byte itself unless the lexer maps it
// (set_symbols): a lexer whose rules treat many bytes alike folds them into one symbol below
// 0x80, since ANTLR caches its lexer DFA's edges only for symbols 0-127. Texts stay the bytes.
#pragma once

#include <antlr4-runtime.h>

#include <array>
#include <string>
#include <string_view>

namespace mybuild::parser::internal {

class ByteCharStream : public antlr4::CharStream {
 public:
  using Symbols = std::array<unsigned char, 256>;  // byte -> input symbol

  ByteCharStream(std::string_view data, std::string name) : data_(data), name_(std::move(name)) {
    for (size_t b = 0; b < symbols_.size(); ++b) symbols_[b] = static_cast<unsigned char>(b);
  }

  void set_symbols(const Symbols& symbols) { symbols_ = symbols; }

  void consume() override {
    if (pos_ >= data_.size()) throw antlr4::IllegalStateException("cannot consume EOF");
    ++pos_;
  }
  size_t LA(ssize_t i) override {
    if (i == 0) return 0;
    ssize_t at = static_cast<ssize_t>(pos_) + (i > 0 ? i - 1 : i);
    if (at < 0 || at >= static_cast<ssize_t>(data_.size())) return antlr4::IntStream::EOF;
    return symbols_[static_cast<unsigned char>(data_[static_cast<size_t>(at)])];
  }
  ssize_t mark() override { return -1; }
  void release(ssize_t /*marker*/) override {}
  size_t index() override { return pos_; }
  void seek(size_t index) override { pos_ = std::min(index, data_.size()); }
  size_t size() override { return data_.size(); }
  std::string getSourceName() const override { return name_; }
  std::string getText(const antlr4::misc::Interval& interval) override {
    if (interval.a < 0 || interval.b < interval.a) return {};
    size_t a = static_cast<size_t>(interval.a);
    if (a >= data_.size()) return {};
    size_t b = std::min(static_cast<size_t>(interval.b), data_.size() - 1);
    return std::string(data_.substr(a, b - a + 1));
  }
  std::string toString() const override { return std::string(data_); }

  std::string_view data() const { return data_; }

 private:
  std::string_view data_;
  std::string name_;
  Symbols symbols_;
  size_t pos_ = 0;
};

}  // namespace mybuild::parser::internal
