#include "common/error.h"

#include <cerrno>
#include <cstring>

namespace mybuild::common {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUsage:
      return "usage";
    case ErrorKind::kDockerfile:
      return "dockerfile";
    case ErrorKind::kNotFound:
      return "not found";
    case ErrorKind::kAuth:
      return "auth";
    case ErrorKind::kNetwork:
      return "network";
    case ErrorKind::kIntegrity:
      return "integrity";
    case ErrorKind::kSandbox:
      return "sandbox";
    case ErrorKind::kResource:
      return "resource";
    case ErrorKind::kCancelled:
      return "cancelled";
    case ErrorKind::kInternal:
      return "internal";
  }
  return "unknown";
}

Error::Error(ErrorKind kind, std::string message, std::optional<SourceRange> where)
    : std::runtime_error(message),
      kind_(kind),
      message_(std::move(message)),
      where_(std::move(where)) {}

void Error::add_context(std::string what) { context_.push_back(std::move(what)); }

std::string Error::full_message() const {
  std::string out;
  for (auto it = context_.rbegin(); it != context_.rend(); ++it) {
    out += *it;
    out += ": ";
  }
  out += message_;
  return out;
}

void throw_errno(std::string_view call, std::string_view subject) {
  throw_errno(call, subject, errno);
}

void throw_errno(std::string_view call, std::string_view subject, int err) {
  std::string msg(call);
  msg += "(";
  msg += subject;
  msg += "): ";
  msg += std::strerror(err);
  throw Error(ErrorKind::kResource, std::move(msg));
}

}  // namespace mybuild::common
