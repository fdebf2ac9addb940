#include "parser/dump.h"

#include <cstdint>

#include "parser/word_utf8.h"

namespace mybuild::parser {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Go's unicode.IsPrint for code points >= 0x80, approximated: what Go treats as
// non-printable among them is mostly the C1 controls, non-ASCII spaces, format characters,
// private use and noncharacters; those are listed here.
bool is_printable(uint32_t cp) {
  if (cp < 0xA0) return false;  // C1 controls
  if (cp == 0xA0 || cp == 0xAD) return false;
  if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) ||
      (cp >= 0x205F && cp <= 0x206F) || cp == 0x3000 || cp == 0xFEFF) {
    return false;
  }
  if (cp >= 0xE000 && cp <= 0xF8FF) return false;  // private use
  if ((cp & 0xFFFE) == 0xFFFE || (cp >= 0xFDD0 && cp <= 0xFDEF)) return false;
  if (cp >= 0xFFF9 && cp <= 0xFFFB) return false;
  if (cp >= 0xF0000) return false;
  if (cp == 0x061C || cp == 0x180E || (cp >= 0x0600 && cp <= 0x0605) || cp == 0x06DD ||
      cp == 0x070F || cp == 0x110BD || (cp >= 0xE0000 && cp <= 0xE0FFF)) {
    return false;
  }
  return true;
}

void escape_code_point(std::string& out, uint32_t cp) {
  if (cp <= 0xFFFF) {
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 0xF];
  } else {
    out += "\\U";
    for (int shift = 28; shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 0xF];
  }
}

}  // namespace

std::string go_quote(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 2);
  out += '"';
  for (size_t i = 0; i < value.size();) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    if (c < 0x80) {
      ++i;
      switch (c) {
        case '"':
          out += "\\\"";
          continue;
        case '\\':
          out += "\\\\";
          continue;
        case '\a':
          out += "\\a";
          continue;
        case '\b':
          out += "\\b";
          continue;
        case '\f':
          out += "\\f";
          continue;
        case '\n':
          out += "\\n";
          continue;
        case '\r':
          out += "\\r";
          continue;
        case '\t':
          out += "\\t";
          continue;
        case '\v':
          out += "\\v";
          continue;
        default:
          break;
      }
      if (c < 0x20 || c == 0x7F) {
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
      } else {
        out += static_cast<char>(c);
      }
      continue;
    }
    // decode_rune refuses what Go's strconv.Quote escapes byte by byte: overlong forms,
    // surrogates, code points above U+10FFFF, cut sequences.
    DecodedRune rune = decode_rune(value.substr(i));
    auto cp = static_cast<uint32_t>(rune.rune);
    size_t len = rune.width;
    if (rune.rune == kReplacementChar && len == 1) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
      ++i;
      continue;
    }
    if (is_printable(cp)) {
      out.append(value.substr(i, len));
    } else {
      escape_code_point(out, cp);
    }
    i += len;
  }
  out += '"';
  return out;
}

std::string dump_node(const Node& node) {
  std::string out = node.keyword;
  if (!node.flags.empty()) {
    out += " [";
    for (size_t i = 0; i < node.flags.size(); ++i) {
      if (i > 0) out += ' ';
      out += go_quote(node.flags[i]);
    }
    out += ']';
  }
  for (const Node& nested : node.next) out += " (" + dump_node(nested) + ")";
  for (const std::string& arg : node.args) {
    out += ' ';
    out += go_quote(arg);
  }
  return out;
}

std::string dump(const std::vector<Node>& nodes) {
  std::string out;
  for (const Node& node : nodes) {
    out += '(';
    out += dump_node(node);
    out += ")\n";
  }
  return out;
}

}  // namespace mybuild::parser
