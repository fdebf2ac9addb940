#!/usr/bin/env python3
"""House rules made mechanical (STYLE.md: small files, short functions, no empty catch).

Checks the *.cc/*.h files of the module folders:
  - no file over 600 lines,
  - no function over 80 lines (from its signature's line to its closing brace; lambdas and
    local classes count as part of the function that holds them),
  - no empty catch block (`catch (...) {}`, whitespace or comments only inside: an expected
    absence is a std::optional, otherwise the catch says why and logs).
An exception needs an entry in tools/size_allowlist.txt with a reason:
    sandbox/seccomp_profile.h                file      generated-like table of syscalls
    registry/client.cc:Client::fetch_blob    function  <why>
    cli/main.cc:main                         catch     <why>
Entries that no longer match a violation are reported as stale, so the list only shrinks.
The function finder is a heuristic (brace matching after `) [qualifiers] {` at namespace or
class level), not a C++ parser; it is exact enough for this code base.

Usage: tools/check_size.py [--list] [--self-test]   (exit 1 on violations or stale entries)
  --list  print every function over the limit as an allow-list line (to start an entry)
"""
import os
import re
import sys

MODULES = ["cli", "builder", "image", "parser", "snapshot", "sandbox", "registry", "common"]
SKIP_DIRS = {"tests", "bench", "fuzz"}
FILE_LIMIT = 600
FUNCTION_LIMIT = 80
ALLOWLIST = "tools/size_allowlist.txt"
KINDS = {"file", "function", "catch"}
KEYWORDS = {"if", "for", "while", "switch", "catch", "return", "sizeof", "decltype", "alignof",
            "static_assert", "noexcept", "requires", "alignas", "throw"}


def strip_code(text):
    """Blanks comments, string/char literals and preprocessor lines, keeping newlines so
    offsets and line numbers stay valid."""
    out = list(text)
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if c == "\n":
            at_line_start = True
            i += 1
            continue
        if at_line_start and c in " \t":
            i += 1
            continue
        if at_line_start and c == "#":
            # Preprocessor line, with backslash continuations.
            while i < n and text[i] != "\n":
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    out[i] = " "
                    i += 2
                    continue
                out[i] = " "
                i += 1
            continue
        at_line_start = False
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                out[i] = " "
                i += 1
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            for j in range(i, end):
                if text[j] != "\n":
                    out[j] = " "
            i = end
            continue
        raw = re.match(r'R"([^(\s]*)\(', text[i:i + 20])
        if raw and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            close = ")" + raw.group(1) + '"'
            end = text.find(close, i + raw.end())
            end = n if end < 0 else end + len(close)
            for j in range(i + 1, end - 1):
                if text[j] != "\n":
                    out[j] = " "
            i = end
            continue
        if c == '"' or (c == "'" and not (i > 0 and text[i - 1].isalnum())):
            # (a ' after a digit or letter is a digit separator: 1'000)
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            for k in range(i + 1, min(j, n)):
                out[k] = " "
            i = j + 1
            continue
        i += 1
    return "".join(out)


def function_name(signature):
    """The name before the parameter list of a signature (TEST macros keep their arguments)."""
    sig = " ".join(signature.split())
    m = re.match(r"\s*(TEST(?:_F|_P)?)\s*\(([^)]*)\)", sig)
    if m:
        return "%s(%s)" % (m.group(1), ", ".join(a.strip() for a in m.group(2).split(",")))
    for m in re.finditer(r"((?:[A-Za-z_~][\w]*(?:<[^()]*?>)?::)*(?:operator\s*(?:\(\)|[^\s(]+)|"
                         r"~?[A-Za-z_]\w*))\s*\(", sig):
        name = m.group(1)
        if name.split("::")[-1] in KEYWORDS:
            continue
        return name.replace(" ", "")
    return "?"


def scan(stripped):
    """Yields (kind, name, start_offset, end_offset) for each function body and empty catch."""
    results = []
    stack = []  # kinds: "scope" (namespace/class/extern/top level), "function", "other"
    segment_start = 0  # start of the current declaration at scope level
    i, n = 0, len(stripped)
    while i < n:
        c = stripped[i]
        in_scope = not stack or stack[-1][0] == "scope"
        if c == "{":
            if in_scope:
                sig = stripped[segment_start:i]
                kind = classify(sig)
                if kind == "function":
                    start = segment_start + (len(sig) - len(sig.lstrip()))
                    stack.append(("function", function_name(sig), start))
                else:
                    stack.append((kind, None, None))
                segment_start = i + 1
            else:
                stack.append(("other", None, None))
            m = re.search(r"catch\s*\([^{};]*\)\s*$", stripped[max(0, i - 200):i])
            if m and re.match(r"\{\s*\}", stripped[i:]):
                results.append(("catch", enclosing(stack[:-1]), i, i))
        elif c == "}":
            if stack:
                kind, name, start = stack.pop()
                if kind == "function":
                    results.append(("function", name, start, i))
            if not stack or stack[-1][0] == "scope":
                segment_start = i + 1
        elif c == ";" and in_scope:
            segment_start = i + 1
        elif c == ":" and in_scope and re.search(r"\b(public|private|protected)\s*$",
                                                  stripped[segment_start:i]):
            segment_start = i + 1
        i += 1
    return results


def enclosing(stack):
    for kind, name, _ in reversed(stack):
        if kind == "function":
            return name
    return "?"


def classify(sig):
    s = " ".join(sig.split())
    if re.search(r"\bnamespace\b", s) or re.match(r'extern\s*$', s) or s.startswith("extern "):
        return "scope"
    if re.search(r"\benum\b", s):
        return "other"
    if re.search(r"(^|[\s>])(class|struct|union)\s+[\w:]+(\s+final)?\s*(:[^()]*)?$", s) or \
            re.search(r"(^|[\s>])(class|struct|union)\s*$", s):
        return "scope"
    if s.endswith("=") or s.endswith(",") or s.endswith("(") or s.endswith("return"):
        return "other"
    # `) [const] [noexcept] [override] [-> T] {` or a constructor's init list ending in `)`.
    if re.search(r"\)\s*(const|noexcept(\([^)]*\))?|override|final|mutable|volatile|&|&&|\s)*"
                 r"(->\s*[^{;]+)?$", s) and not re.search(r"\[[^\]]*\]\s*(\([^)]*\))?[^)]*$", s):
        return "function"
    return "other"


def line_of(text, offset):
    return text.count("\n", 0, offset) + 1


def source_files(root):
    for module in MODULES:
        base = os.path.join(root, module)
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames
                                 if d not in SKIP_DIRS and not d.startswith("build"))
            for f in sorted(filenames):
                if f.endswith(".cc") or f.endswith(".h"):
                    yield os.path.relpath(os.path.join(dirpath, f), root)


def read_allowlist(path):
    entries = {}
    problems = []
    if not os.path.exists(path):
        return entries, problems
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 2)
            if len(parts) < 3 or parts[1] not in KINDS:
                problems.append("%s:%d: expected `NAME  file|function|catch  reason`" %
                                (path, number))
                continue
            entries[(parts[0], parts[1])] = number
    return entries, problems


def check(root, list_mode=False):
    entries, problems = read_allowlist(os.path.join(root, ALLOWLIST))
    used = set()
    violations = []
    for path in source_files(root):
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            text = f.read()
        lines = text.count("\n") + (0 if text.endswith("\n") else 1)
        if lines > FILE_LIMIT:
            key = (path, "file")
            if key in entries:
                used.add(key)
            else:
                violations.append("%s:1: file is %d lines (limit %d)" % (path, lines, FILE_LIMIT))
        for kind, name, start, end in scan(strip_code(text)):
            first = line_of(text, start)
            if kind == "function":
                length = line_of(text, end) - first + 1
                if length <= FUNCTION_LIMIT:
                    continue
                message = "%s:%d: function %s is %d lines (limit %d)" % (
                    path, first, name, length, FUNCTION_LIMIT)
            else:
                message = "%s:%d: empty catch block in %s" % (path, first, name)
            key = ("%s:%s" % (path, name), kind)
            if key in entries:
                used.add(key)
            elif list_mode and kind == "function":
                print("%-56s function  %d lines: REASON" % (key[0], length))
            else:
                violations.append(message)
    for key, number in sorted(entries.items(), key=lambda kv: kv[1]):
        if key not in used:
            problems.append("%s:%d: stale entry %s %s: no such violation any more; remove it"
                            % (ALLOWLIST, number, key[0], key[1]))
    return violations, problems


def self_test(quiet=False):
    code = """
namespace a {
struct S {
  int f() const { return 1; }
  void g();
};
void S::g() {
  auto l = [] {
    return 2;
  };
  try {
  } catch (const std::exception&) {
  }
  const char* s = "{ not a brace";  // nor {
}
S::S(int x) : x_(x), y_(x) {
}
TEST(Suite, Name) {
}
}  // namespace a
"""
    found = [(k, nm, line_of(code, s), line_of(code, e)) for k, nm, s, e in scan(strip_code(code))]
    expected = [("function", "f", 4, 4), ("catch", "S::g", 12, 12), ("function", "S::g", 7, 15),
                ("function", "S::S", 16, 17), ("function", "TEST(Suite, Name)", 18, 19)]
    if found != expected:
        print("self-test failed:\n  found    %s\n  expected %s" % (found, expected))
        return 1
    if not quiet:
        print("check_size self-test passed")
    return 0


def main(argv):
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    if "--self-test" in argv:
        return self_test()
    if self_test(quiet=True) != 0:  # milliseconds: a broken heuristic must not pass silently
        return 1
    violations, problems = check(root, list_mode="--list" in argv)
    for v in violations + problems:
        print(v)
    if violations or problems:
        print("check_size: %d violation(s), %d allow-list problem(s); see %s" %
              (len(violations), len(problems), ALLOWLIST), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
