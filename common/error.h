// Errors in mybuild: one exception type with a kind, a user-facing message, a context chain and,
// for Dockerfile errors, a source location. The CLI maps kind -> exit code (cli/exit_codes.h).
// See STYLE.md §3: catch, add_context, rethrow; never replace an error with a new one.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mybuild::common {

enum class ErrorKind {
  kUsage,       // bad flags or arguments
  kDockerfile,  // syntax or semantic error in the Dockerfile
  kNotFound,    // image, blob, file, stage that does not exist
  kAuth,        // 401/403, bad credentials
  kNetwork,     // connection, TLS, timeout, HTTP error
  kIntegrity,   // digest or size mismatch, corrupt data
  kSandbox,     // failure to set up or run the isolated process
  kResource,    // a system call failed (mount, open, ...)
  kCancelled,   // SIGINT/SIGTERM/timeout
  kInternal,    // a bug in mybuild
};

std::string_view to_string(ErrorKind kind);

// A place in a Dockerfile (1-based lines and columns; column 0 means "whole line").
struct SourceRange {
  std::string file;
  int line = 0;
  int column = 0;
  int end_line = 0;
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message, std::optional<SourceRange> where = std::nullopt);

  ErrorKind kind() const { return kind_; }
  // The message as written at the throw site, without context.
  const std::string& message() const { return message_; }
  // Context added while unwinding, innermost first ("reading blob sha256:..", "pulling alpine").
  const std::vector<std::string>& context() const { return context_; }
  void add_context(std::string what);
  const std::optional<SourceRange>& where() const { return where_; }
  void set_where(SourceRange where) { where_ = std::move(where); }

  // "message: context1: context2" -- what a user sees on one line.
  std::string full_message() const;

 private:
  ErrorKind kind_;
  std::string message_;
  std::vector<std::string> context_;
  std::optional<SourceRange> where_;
};

// Throws Error(kResource, "<call>(<subject>): <strerror(errno)>"), the crun/bubblewrap style.
[[noreturn]] void throw_errno(std::string_view call, std::string_view subject);
[[noreturn]] void throw_errno(std::string_view call, std::string_view subject, int err);

}  // namespace mybuild::common
