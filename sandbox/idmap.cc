#include "sandbox/idmap.h"

#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/unique_fd.h"

namespace mybuild::sandbox {
namespace {

using common::Error;
using common::ErrorKind;

// The kernel's limit of lines in one uid_map/gid_map (since 4.15).
constexpr size_t kMaxMapLines = 340;

bool parse_u32(std::string_view s, uint32_t& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

std::string map_text(const std::vector<IdMapping>& mappings) {
  std::string text;
  for (const auto& m : mappings) {
    text += std::to_string(m.inside);
    text += ' ';
    text += std::to_string(m.outside);
    text += ' ';
    text += std::to_string(m.count);
    text += '\n';
  }
  return text;
}

void write_proc_file(pid_t pid, const char* file, const std::string& text) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + file;
  common::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) common::throw_errno("open", path);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    common::throw_errno("write", path);
  }
}

// Runs newuidmap/newgidmap <pid> <inside outside count>... and returns what it printed when it
// failed ("" on success).
std::string run_map_tool(const std::string& tool, pid_t pid,
                         const std::vector<IdMapping>& mappings) {
  std::vector<std::string> args = {tool, std::to_string(pid)};
  for (const auto& m : mappings) {
    args.push_back(std::to_string(m.inside));
    args.push_back(std::to_string(m.outside));
    args.push_back(std::to_string(m.count));
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) common::throw_errno("pipe2", tool);
  common::UniqueFd read_end(fds[0]), write_end(fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 2);
  char* empty_env[] = {nullptr};
  pid_t child = -1;
  int rc = ::posix_spawn(&child, tool.c_str(), &actions, nullptr, argv.data(), empty_env);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw Error(ErrorKind::kSandbox,
                "running " + tool + ": " + std::strerror(rc) + " (apt-get install uidmap)");
  }
  write_end.reset();
  std::string output;
  char buf[1024];
  for (;;) {
    ssize_t n = ::read(read_end.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || output.size() > 16384) break;
    output.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  while (!output.empty() && output.back() == '\n') output.pop_back();
  if (output.empty()) output = "exit status " + std::to_string(WEXITSTATUS(status));
  return output;
}

}  // namespace

std::vector<IdRange> parse_subid(std::string_view text, std::string_view name, uint32_t id) {
  std::vector<IdRange> ranges;
  std::string id_text = std::to_string(id);
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (line.empty() || line.front() == '#') continue;
    size_t a = line.find(':');
    size_t b = a == std::string_view::npos ? a : line.find(':', a + 1);
    if (b == std::string_view::npos) continue;
    std::string_view who = line.substr(0, a);
    if (who != name && who != id_text) continue;
    IdRange r;
    if (!parse_u32(line.substr(a + 1, b - a - 1), r.start) ||
        !parse_u32(line.substr(b + 1), r.count) || r.count == 0 ||
        uint64_t{r.start} + r.count > uint64_t{UINT32_MAX}) {
      continue;
    }
    ranges.push_back(r);
  }
  return ranges;
}

std::vector<IdRange> read_subid(const std::string& path, std::string_view name, uint32_t id) {
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_subid(ss.str(), name, id);
}

std::vector<IdMapping> rootless_mappings(uint32_t own, const std::vector<IdRange>& ranges) {
  std::vector<IdMapping> out = {{0, own, 1}};
  uint64_t next = 1;
  for (const auto& r : ranges) {
    if (out.size() == kMaxMapLines) break;
    if (next + r.count > uint64_t{UINT32_MAX}) break;
    out.push_back({static_cast<uint32_t>(next), r.start, r.count});
    next += r.count;
  }
  return out;
}

uint64_t mapped_count(const std::vector<IdMapping>& mappings) {
  uint64_t n = 0;
  for (const auto& m : mappings) n += m.count;
  return n;
}

bool is_mapped(const std::vector<IdMapping>& mappings, uint32_t id) {
  for (const auto& m : mappings) {
    if (id >= m.inside && uint64_t{id} < uint64_t{m.inside} + m.count) return true;
  }
  return false;
}

void write_id_map(pid_t pid, IdKind kind, const std::vector<IdMapping>& mappings,
                  const std::string& tool) {
  const char* map_file = kind == IdKind::kUid ? "uid_map" : "gid_map";
  if (mappings.size() <= 1) {
    // An unprivileged process may map its own id only, and its gid only once setgroups is
    // denied (user_namespaces(7)); newgidmap would write "deny" too.
    if (kind == IdKind::kGid) write_proc_file(pid, "setgroups", "deny");
    write_proc_file(pid, map_file, map_text(mappings));
    return;
  }
  std::string failure = run_map_tool(tool, pid, mappings);
  if (!failure.empty()) {
    std::string message = tool + " " + std::to_string(pid);
    for (const auto& m : mappings) {
      message += ' ';
      message += std::to_string(m.inside);
      message += ' ';
      message += std::to_string(m.outside);
      message += ' ';
      message += std::to_string(m.count);
    }
    message += ": ";
    message += failure;
    message += " (check /etc/subuid, /etc/subgid and `mybuild doctor`)";
    throw Error(ErrorKind::kSandbox, message);
  }
}

std::string subid_fix(std::string_view user) {
  std::string fix = "usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ";
  fix += user;
  return fix;
}

std::string current_user_name() {
  passwd* pw = ::getpwuid(::getuid());
  return pw != nullptr ? pw->pw_name : std::to_string(::getuid());
}

}  // namespace mybuild::sandbox
