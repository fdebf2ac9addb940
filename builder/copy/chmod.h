// `COPY --chmod=` values: octal (`755`, `0644`, `4755`) and symbolic chmod(1) clauses
// (`u=rwx,go=rx`, `a+rX`, `go-w`, `g=u-w`), parsed with the rules of BSD setmode(3) and a zero
// umask, because that is what BuildKit applies (fsutil copy -> tonistiigi/dchapes-mode).
//
// Two BSD details users may not expect, matched on purpose and pinned in the tests:
// - `X` only has an effect with `+` (`a+X`); in `a=rX` the X is ignored, so a directory gets
//   0444 there.
// - `X` looks at the mode *before* the whole value is applied: `a-x,a+X` still gives x to a
//   file that had some x.
// Symbolic modes apply to each copied entry's own mode (directories included); an octal mode
// replaces the mode bits outright.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mybuild::builder {

class ChmodSpec {
 public:
  // Throws Error(kDockerfile) naming the value when it is not a valid mode.
  static ChmodSpec parse(std::string_view text);

  // The new permission bits (07777) for an entry whose current bits are `mode`.
  mode_t apply(mode_t mode, bool is_dir) const;
  // The value when it was octal (BuildKit also uses it for the parent directories it creates).
  std::optional<mode_t> octal() const { return octal_; }
  const std::string& text() const { return text_; }

 private:
  struct Command {
    enum Kind { kSet, kClear, kSetIfExecutable, kCopy };
    Command(Kind k, mode_t b) : kind(k), bits(b) {}
    Kind kind;
    mode_t bits;
    char copy_from = 0;  // 'u', 'g' or 'o' for kCopy
    bool to_u = false, to_g = false, to_o = false;
    bool copy_set = false, copy_clear = false;
  };
  void add(char op, mode_t who, mode_t arg);
  void add_copy(char from, mode_t who, char op);

  std::string text_;
  std::optional<mode_t> octal_;
  std::vector<Command> commands_;
};

}  // namespace mybuild::builder
