#include "parser/dockerignore_file.h"

#include "parser/word_utf8.h"

namespace mybuild::parser {

namespace {

// Go's strings.TrimSpace: Unicode white space at both ends.
std::string_view trim_space(std::string_view s) {
  while (!s.empty()) {
    const DecodedRune d = decode_rune(s);
    if (!is_unicode_space(d.rune) || d.rune == kReplacementChar) break;
    s.remove_prefix(d.width);
  }
  while (!s.empty()) {
    // Step back over one UTF-8 sequence (at most 4 bytes) and decode it.
    std::size_t start = s.size() - 1;
    while (start > 0 && s.size() - start < 4 &&
           (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) {
      --start;
    }
    const DecodedRune d = decode_rune(s.substr(start));
    if (start + d.width != s.size() || !is_unicode_space(d.rune)) break;
    s.remove_suffix(d.width);
  }
  return s;
}

}  // namespace

std::string clean_path(std::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path[0] == '/';
  // Built with the size constructor: GCC 12 -Wrestrict misfires on `out = "/"` under ASan.
  std::string out(rooted ? 1 : 0, '/');
  // `dotdot` marks where `..` may no longer back up (after the root or leading `..`s).
  std::size_t dotdot = out.size();
  std::size_t i = rooted ? 1 : 0;
  while (i < path.size()) {
    std::size_t end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view elem = path.substr(i, end - i);
    i = end + 1;
    if (elem.empty() || elem == ".") continue;
    if (elem == "..") {
      if (out.size() > dotdot) {
        // Remove the last element (and its separator).
        std::size_t cut = out.size() - 1;
        while (cut > dotdot && out[cut] != '/') --cut;
        out.resize(cut);
      } else if (!rooted) {
        if (!out.empty()) out += '/';
        out += "..";
        dotdot = out.size();
      }
      continue;
    }
    if ((rooted && out.size() != 1) || (!rooted && !out.empty())) out += '/';
    out.append(elem);
  }
  if (out.empty()) return ".";
  return out;
}

std::vector<std::string> read_dockerignore(std::string_view content) {
  std::vector<std::string> patterns;
  bool first = true;
  while (!content.empty()) {
    std::size_t end = content.find('\n');
    std::string_view line = content.substr(0, end);
    content.remove_prefix(end == std::string_view::npos ? content.size() : end + 1);
    // bufio.ScanLines drops one `\r` before the newline.
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (first && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    first = false;
    if (!line.empty() && line[0] == '#') continue;
    line = trim_space(line);
    if (line.empty()) continue;
    const bool exception = line[0] == '!';
    if (exception) line = trim_space(line.substr(1));
    std::string pattern;
    if (!line.empty()) {
      pattern = clean_path(line);
      if (pattern.size() > 1 && pattern[0] == '/') pattern.erase(0, 1);
    }
    // insert() rather than "!" + pattern: GCC 12's -Wrestrict misfires on the latter under ASan.
    if (exception) pattern.insert(pattern.begin(), '!');
    patterns.push_back(std::move(pattern));
  }
  return patterns;
}

}  // namespace mybuild::parser
