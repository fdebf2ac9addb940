#include "sandbox/rlimits.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <iterator>

#include "common/error.h"
#include "sandbox/internal/child_ops.h"

namespace mybuild::sandbox {
namespace {

struct RlimitName {
  std::string_view name;
  int resource;
};
// go-units ulimit.go's table, in its order.
constexpr RlimitName kNames[] = {{"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
                                 {"data", RLIMIT_DATA},         {"fsize", RLIMIT_FSIZE},
                                 {"locks", RLIMIT_LOCKS},       {"memlock", RLIMIT_MEMLOCK},
                                 {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
                                 {"nofile", RLIMIT_NOFILE},     {"nproc", RLIMIT_NPROC},
                                 {"rss", RLIMIT_RSS},           {"rtprio", RLIMIT_RTPRIO},
                                 {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
                                 {"stack", RLIMIT_STACK}};

std::string known_names() {
  std::string names;
  for (const auto& n : kNames) names.append(names.empty() ? "" : ", ").append(n.name);
  return names;
}

// A whole number >= 0, or -1 for unlimited; nullopt otherwise.
std::optional<uint64_t> parse_limit(std::string_view text) {
  if (text == "-1") return kRlimitUnlimited;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  // docker parses an int64: above that is an error there too, and RLIM_INFINITY stays -1's.
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      value > static_cast<uint64_t>(INT64_MAX)) {
    return std::nullopt;
  }
  return value;
}

std::string show(uint64_t value) {
  return value == kRlimitUnlimited ? "unlimited" : std::to_string(value);
}

}  // namespace

std::optional<int> rlimit_resource(std::string_view name) {
  auto it = std::find_if(std::begin(kNames), std::end(kNames),
                         [&](const RlimitName& n) { return n.name == name; });
  if (it == std::end(kNames)) return std::nullopt;
  return it->resource;
}

std::string_view rlimit_name(int resource) {
  auto it = std::find_if(std::begin(kNames), std::end(kNames),
                         [&](const RlimitName& n) { return n.resource == resource; });
  return it == std::end(kNames) ? "?" : it->name;
}

Rlimit parse_ulimit(std::string_view text) {
  auto bad = [&](const std::string& why) {
    // Built with append: GCC 12 gives a false -Wrestrict on `"'" + std::string(text)`.
    std::string message("'");
    message.append(text).append("': ").append(why);
    return common::Error(common::ErrorKind::kUsage, message);
  };
  size_t eq = text.find('=');
  if (eq == std::string_view::npos) throw bad("want NAME=SOFT[:HARD], e.g. nofile=1024:2048");
  std::string_view name = text.substr(0, eq), values = text.substr(eq + 1);
  auto resource = rlimit_resource(name);
  if (!resource)
    throw bad("unknown limit '" + std::string(name) + "' (known: " + known_names() + ")");
  size_t colon = values.find(':');
  std::string_view soft_text = values.substr(0, colon);
  std::string_view hard_text =
      colon == std::string_view::npos ? soft_text : values.substr(colon + 1);
  auto soft = parse_limit(soft_text), hard = parse_limit(hard_text);
  if (!soft) throw bad("soft limit '" + std::string(soft_text) + "' is not a whole number or -1");
  if (!hard) throw bad("hard limit '" + std::string(hard_text) + "' is not a whole number or -1");
  // Unlimited (-1) compares as the largest value, as the kernel's RLIM_INFINITY does.
  if (*soft > *hard)
    throw bad("soft limit " + show(*soft) + " is above the hard limit " + show(*hard));
  return {.resource = *resource, .soft = *soft, .hard = *hard};
}

std::string describe(const Rlimit& limit) {
  return std::string(rlimit_name(limit.resource)) + "=" + show(limit.soft) + ":" + show(limit.hard);
}

namespace internal {

// Child side, before the step drops its capabilities: raising a hard limit above mybuild's own
// needs CAP_SYS_RESOURCE, which root in a rootful sandbox still has here (runc sets rlimits at
// the same point, before it switches user).
int apply_rlimits(const RlimitList& list) {
  for (size_t i = 0; i < list.count; ++i) {
    rlimit value{.rlim_cur = list.ops[i].soft, .rlim_max = list.ops[i].hard};
    if (::setrlimit(static_cast<__rlimit_resource_t>(list.ops[i].resource), &value) != 0)
      return errno;
  }
  return 0;
}

}  // namespace internal
}  // namespace mybuild::sandbox
