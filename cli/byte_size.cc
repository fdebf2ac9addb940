#include "cli/byte_size.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>

#include "common/error.h"

namespace mybuild::cli {
namespace {

// Power of 1024 of a unit letter; -1 when it is none.
int unit_power(char c) {
  switch (std::tolower(static_cast<unsigned char>(c))) {
    case 'b':
      return 0;
    case 'k':
      return 1;
    case 'm':
      return 2;
    case 'g':
      return 3;
    case 't':
      return 4;
    case 'p':
      return 5;
    default:
      return -1;
  }
}

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

}  // namespace

uint64_t parse_byte_size(std::string_view text, std::string_view flag) {
  auto bad = [&](std::string_view why) {
    std::string message("invalid ");
    message.append(flag).append(" value: ").append(text).append(" (").append(why).append(")");
    return common::Error(common::ErrorKind::kUsage, message);
  };
  // The grammar of go-units' sizeRegex: ^(\d+(\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$, read by hand
  // so that strtod never sees "inf", "nan", hex or leading spaces.
  size_t i = 0;
  while (i < text.size() && is_digit(text[i])) ++i;
  if (i == 0) throw bad("want a size such as 512m or 1g");
  if (i < text.size() && text[i] == '.') {
    size_t fraction = ++i;
    while (i < text.size() && is_digit(text[i])) ++i;
    if (i == fraction) throw bad("want a size such as 512m or 1g");
  }
  const std::string number(text.substr(0, i));
  if (i < text.size() && text[i] == ' ') ++i;
  int power = 0;
  if (i < text.size() && unit_power(text[i]) > 0) power = unit_power(text[i++]);
  if (i < text.size() && (text[i] == 'i' || text[i] == 'I')) ++i;
  if (i < text.size() && (text[i] == 'b' || text[i] == 'B')) ++i;
  if (i != text.size()) throw bad("units are b, k, m, g, t, p");
  const double bytes = std::strtod(number.c_str(), nullptr) * std::pow(1024.0, power);
  if (!(bytes < 9223372036854775807.0)) throw bad("too large");
  if (bytes < 1) throw bad("must be at least 1 byte");
  return static_cast<uint64_t>(bytes);
}

}  // namespace mybuild::cli
