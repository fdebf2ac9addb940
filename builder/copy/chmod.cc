#include "builder/copy/chmod.h"

#include "common/error.h"

namespace mybuild::builder {
namespace {

using common::Error;
using common::ErrorKind;

constexpr mode_t kSetId = 06000;
constexpr mode_t kSticky = 01000;
constexpr mode_t kStandard = 06777;  // setmode's STANDARD_BITS: everything but sticky

[[noreturn]] void invalid(std::string_view text, std::string_view why) {
  throw Error(ErrorKind::kDockerfile,
              "invalid --chmod value \"" + std::string(text) + "\": " + std::string(why));
}

}  // namespace

// setmode's addcmd with a zero umask: an empty `who` means "all".
void ChmodSpec::add(char op, mode_t who, mode_t arg) {
  const mode_t scoped = who ? (who & arg) : arg;
  switch (op) {
    case '=':
      commands_.emplace_back(Command::kClear, who ? who : kStandard);
      commands_.emplace_back(Command::kSet, scoped);
      break;
    case '+':
      commands_.emplace_back(Command::kSet, scoped);
      break;
    case '-':
      commands_.emplace_back(Command::kClear, scoped);
      break;
    case 'X':
      commands_.emplace_back(Command::kSetIfExecutable, scoped);
      break;
  }
}

void ChmodSpec::add_copy(char from, mode_t who, char op) {
  Command c(Command::kCopy, static_cast<mode_t>(~0u));
  c.copy_from = from;
  c.to_u = !who || (who & 0400);
  c.to_g = !who || (who & 0040);
  c.to_o = !who || (who & 0004);
  c.copy_set = op == '+' || op == '=';
  c.copy_clear = op == '-' || op == '=';
  commands_.push_back(c);
}

ChmodSpec ChmodSpec::parse(std::string_view text) {
  ChmodSpec spec;
  spec.text_ = std::string(text);
  if (text.empty()) invalid(text, "empty");
  if (text[0] >= '0' && text[0] <= '9') {
    mode_t v = 0;
    for (char c : text) {
      if (c < '0' || c > '7') invalid(text, "not an octal number");
      v = v * 8 + static_cast<mode_t>(c - '0');
      if (v > 07777) invalid(text, "octal mode above 7777");
    }
    spec.octal_ = v;
    spec.commands_.emplace_back(Command::kClear, 07777);
    spec.commands_.emplace_back(Command::kSet, v);
    return spec;
  }
  std::string_view s = text;
  for (;;) {
    mode_t who = 0;
    for (; !s.empty() && std::string_view("augo").find(s[0]) != std::string_view::npos;
         s.remove_prefix(1)) {
      who |= s[0] == 'a' ? kStandard : s[0] == 'u' ? 04700 : s[0] == 'g' ? 02070 : 00007;
    }
    if (s.empty()) invalid(text, "missing operator (+, - or =)");
    bool equal_done = false;
    for (;;) {  // one or more "op perms" in a clause: "u+r-w"
      const char op = s[0];
      s.remove_prefix(1);
      if (op != '+' && op != '-' && op != '=') invalid(text, "expected +, - or =");
      who &= ~kSticky;
      mode_t perm = 0, perm_x = 0;
      for (;; s.remove_prefix(1)) {
        const char b = s.empty() ? '\0' : s[0];
        const bool not_only_other = who == 0 || (who & ~mode_t{00007});
        if (b == 'r') {
          perm |= 0444;
        } else if (b == 'w') {
          perm |= 0222;
        } else if (b == 'x') {
          perm |= 0111;
        } else if (b == 'X') {
          if (op == '+') perm_x = 0111;
        } else if (b == 's') {
          if (not_only_other) perm |= kSetId;
        } else if (b == 't') {
          if (not_only_other) {
            who |= kSticky;
            perm |= kSticky;
          }
        } else if (b == 'u' || b == 'g' || b == 'o') {
          if (perm) spec.add(op, who, perm);
          perm = 0;
          if (op == '=') equal_done = true;
          if (perm_x) spec.add('X', who, perm_x);
          perm_x = 0;
          spec.add_copy(b, who, op);
        } else {
          if (perm || (op == '=' && !equal_done)) {
            if (op == '=') equal_done = true;
            spec.add(op, who, perm);
          }
          if (perm_x) spec.add('X', who, perm_x);
          break;
        }
      }
      if (s.empty() || s[0] == ',') break;
    }
    if (s.empty()) break;
    s.remove_prefix(1);  // ','
  }
  return spec;
}

mode_t ChmodSpec::apply(mode_t mode, bool is_dir) const {
  const mode_t original = mode & 07777;
  mode_t m = original;
  for (const Command& c : commands_) {
    switch (c.kind) {
      case Command::kSet:
        m |= c.bits;
        break;
      case Command::kClear:
        m &= ~c.bits;
        break;
      case Command::kSetIfExecutable:
        if ((original & 0111) || is_dir) m |= c.bits;
        break;
      case Command::kCopy: {
        const int shift = c.copy_from == 'u' ? 6 : c.copy_from == 'g' ? 3 : 0;
        const mode_t value = (m >> shift) & 7;
        const mode_t clear = c.copy_set ? 7 : value;
        for (auto [on, at] : {std::pair{c.to_u, 6}, std::pair{c.to_g, 3}, std::pair{c.to_o, 0}}) {
          if (!on) continue;
          if (c.copy_clear) m &= ~((clear << at) & c.bits);
        }
        for (auto [on, at] : {std::pair{c.to_u, 6}, std::pair{c.to_g, 3}, std::pair{c.to_o, 0}}) {
          if (on && c.copy_set) m |= (value << at) & c.bits;
        }
        break;
      }
    }
  }
  return m & 07777;
}

}  // namespace mybuild::builder
