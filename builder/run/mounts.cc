#include "builder/run/mounts.h"

#include <cstdlib>
#include <vector>

namespace mybuild::builder {

using common::Error;
using common::ErrorKind;

namespace {

std::vector<std::string> split_csv(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : text) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

bool parse_bool(const std::string& key, const std::string& value) {
  if (value.empty() || value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  throw Error(ErrorKind::kDockerfile, "invalid value for " + key + ": " + value);
}

uint32_t parse_octal(const std::string& key, const std::string& value) {
  char* end = nullptr;
  unsigned long v = std::strtoul(value.c_str(), &end, 8);
  if (value.empty() || *end != '\0' || v > 07777) {
    throw Error(ErrorKind::kDockerfile, "invalid value for " + key + ": " + value);
  }
  return static_cast<uint32_t>(v);
}

uint32_t parse_id(const std::string& key, const std::string& value) {
  char* end = nullptr;
  unsigned long v = std::strtoul(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || v > 0xffffffffUL) {
    throw Error(ErrorKind::kDockerfile, "invalid value for " + key + ": " + value);
  }
  return static_cast<uint32_t>(v);
}

uint64_t parse_size(const std::string& value) {
  char* end = nullptr;
  double v = std::strtod(value.c_str(), &end);
  std::string unit = end ? end : "";
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double mult = 1;
  if (unit == "k" || unit == "kb" || unit == "kib")
    mult = 1024;
  else if (unit == "m" || unit == "mb" || unit == "mib")
    mult = 1024.0 * 1024;
  else if (unit == "g" || unit == "gb" || unit == "gib")
    mult = 1024.0 * 1024 * 1024;
  else if (!unit.empty() && unit != "b")
    throw Error(ErrorKind::kDockerfile, "invalid size: " + value);
  if (value.empty() || v < 0) throw Error(ErrorKind::kDockerfile, "invalid size: " + value);
  return static_cast<uint64_t>(v * mult);
}

// Whether a '/'-separated path climbs above the directory it starts from ("../x", "a/../../x").
// BuildKit cleans such a path back inside the root (path.Join("/", src)); for a cache seed's
// source= mybuild refuses it instead: it names something outside the stage, so seeding from
// the stage's own root would hide the mistake.
bool climbs_above_root(std::string_view path) {
  int depth = 0;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part == "..") {
      if (--depth < 0) return true;
    } else if (!part.empty() && part != ".") {
      ++depth;
    }
    start = end + 1;
  }
  return false;
}

}  // namespace

RunMount parse_run_mount(std::string_view text) {
  RunMount m;
  bool rw_given = false, ro_given = false;
  std::vector<std::pair<std::string, std::string>> fields;
  for (const auto& field : split_csv(text)) {
    if (field.empty()) continue;
    auto eq = field.find('=');
    std::string key = field.substr(0, eq);
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = eq == std::string::npos ? "" : field.substr(eq + 1);
    if (key == "type")
      m.type = value;
    else
      fields.emplace_back(key, value);
  }
  if (m.type != "bind" && m.type != "cache" && m.type != "tmpfs" && m.type != "secret" &&
      m.type != "ssh") {
    throw Error(ErrorKind::kDockerfile, "unsupported mount type \"" + m.type + "\"");
  }
  for (const auto& [key, value] : fields) {
    if (key == "target" || key == "dst" || key == "destination")
      m.target = value;
    else if (key == "source" || key == "src")
      m.source = value;
    else if (key == "from")
      m.from = value;
    else if (key == "id")
      m.id = value;
    else if (key == "rw" || key == "readwrite") {
      m.readonly = !parse_bool(key, value);
      rw_given = true;
    } else if (key == "ro" || key == "readonly") {
      m.readonly = parse_bool(key, value);
      ro_given = true;
    } else if (key == "sharing") {
      if (value != "shared" && value != "private" && value != "locked")
        throw Error(ErrorKind::kDockerfile, "unsupported sharing value \"" + value + "\"");
      m.sharing = value;
    } else if (key == "mode")
      m.mode = parse_octal(key, value);
    else if (key == "uid")
      m.uid = parse_id(key, value);
    else if (key == "gid")
      m.gid = parse_id(key, value);
    else if (key == "required") {
      m.required = parse_bool(key, value);
    } else if (key == "size")
      m.size_bytes = parse_size(value);
    else if (key == "env")
      m.env = value;
    else
      throw Error(ErrorKind::kDockerfile,
                  "unexpected key '" + key + "' in '" + std::string(text) + "'");
  }
  if (m.type == "cache" && !ro_given && !rw_given) m.readonly = false;
  if (m.type == "secret") {
    if (m.id.empty() && !m.target.empty()) {
      auto slash = m.target.rfind('/');
      m.id = m.target.substr(slash + 1);
    }
    if (m.id.empty()) throw Error(ErrorKind::kDockerfile, "secret mount needs an id or a target");
    if (m.target.empty() && !m.env) m.target = "/run/secrets/" + m.id;
  } else if (m.type == "ssh") {
    // The target defaults by position (assign_ssh_targets). As in BuildKit, required defaults to
    // false: without a matching --ssh the mount is left out (with a warning naming the id).
    if (m.id.empty()) m.id = "default";
  } else if (m.target.empty()) {
    throw Error(ErrorKind::kDockerfile, "mount " + std::string(text) + " has no target");
  }
  if (m.type == "cache" && m.id.empty()) m.id = m.target;
  if (m.type == "cache" && m.from && climbs_above_root(m.source)) {
    throw Error(ErrorKind::kDockerfile, "cache mount source \"" + m.source + "\" climbs out of " +
                                            *m.from +
                                            ": a seed must be a path inside the stage or image");
  }
  return m;
}

void assign_ssh_targets(std::vector<RunMount>& mounts) {
  int index = 0;
  for (auto& m : mounts) {
    if (m.type != "ssh") continue;
    if (m.target.empty()) m.target = std::string(kSshTargetPrefix) + std::to_string(index);
    ++index;
  }
}

}  // namespace mybuild::builder
