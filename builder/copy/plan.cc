// What COPY, ADD and WORKDIR mean (plan.h): validation, destination, history text, cache inputs.
#include "builder/copy/plan.h"

#include <cctype>

#include "builder/context/path.h"
#include "builder/stage/build_inputs.h"
#include "common/error.h"

namespace mybuild::builder {

using common::Error;
using common::ErrorKind;

namespace {

bool is_url(const std::string& s) {
  for (const char* scheme : {"http://", "https://", "git://", "ssh://", "git@"}) {
    if (s.rfind(scheme, 0) == 0) return true;
  }
  return false;
}

// A git source as BuildKit's gitutil reads one: git://, ssh:// and git@ transports, or a URL
// whose path ends in .git, with any #ref:subdir fragment or ?query after it.
bool is_git_source(const std::string& s) {
  for (const char* scheme : {"git://", "ssh://", "git@"}) {
    if (s.rfind(scheme, 0) == 0) return true;
  }
  return s.substr(0, s.find_first_of("#?")).ends_with(".git");
}

void set(nlohmann::json& inputs, std::string_view key, nlohmann::json value) {
  inputs[std::string(key)] = std::move(value);
}

// Expands the sources (heredocs stay as written) and checks the URL rules.
void plan_sources(const parser::Copy& copy, const WordExpander& expand, CopyPlan& plan) {
  for (const auto& s : copy.sources) {
    if (s.rfind("<<", 0) == 0) {
      plan.heredoc_sources = true;
      plan.sources.push_back(s);
    } else {
      plan.sources.push_back(expand(s));
    }
  }
  for (const auto& s : plan.sources) {
    if (!is_url(s)) continue;
    ++plan.url_count;
    if (!copy.is_add) {
      throw Error(ErrorKind::kDockerfile, "COPY cannot read a URL (" + s + "): use ADD",
                  copy.range);
    }
    if (is_git_source(s)) {
      if (copy.sources.size() != 1) {
        throw Error(ErrorKind::kDockerfile,
                    "ADD of a git repository (" + s + ") must be the only source (mybuild)",
                    copy.range);
      }
      plan.git_source = true;
    }
  }
  if (plan.url_count > 0 && plan.url_count != plan.sources.size()) {
    throw Error(ErrorKind::kDockerfile,
                "ADD cannot mix URL and local sources in one instruction (mybuild)", copy.range);
  }
  if (copy.checksum && plan.url_count == 0) {
    throw Error(ErrorKind::kDockerfile, "ADD --checksum is only for URL sources", copy.range);
  }
}

// BuildKit's history text: --parents, --chown and --chmod (not --from, --link or --exclude),
// the sources and the destination as written (expanded, before WORKDIR is applied).
std::string history_text(const CopyPlan& plan, bool parents, const std::string& dest) {
  std::string text = plan.op;
  if (parents) text += " --parents";
  if (!plan.chown.empty()) text += " --chown=" + plan.chown;
  if (!plan.chmod.empty()) text += " --chmod=" + plan.chmod;
  for (const auto& s : plan.sources) text += " " + s;
  return text + " " + dest + " # buildkit";
}

// A relative destination is relative to WORKDIR; a trailing '/' keeps its meaning.
std::string absolute_dest(const std::string& dest, const std::string& workdir) {
  if (!dest.empty() && dest[0] == '/') return dest;
  const bool dir = dest.empty() || dest.back() == '/' || dest == "." || dest.ends_with("/.");
  std::string joined = workdir.empty() ? "/" : workdir;
  joined += '/';
  joined += dest;
  std::string absolute(1, '/');
  absolute.append(clean_in_root(joined));
  if (dir && absolute.back() != '/') absolute.push_back('/');
  return absolute;
}

// The files COPY <<NAME sources become (without --from, which reads "<<NAME" from there).
void plan_heredocs(const parser::Copy& copy, const WordExpander& expand, CopyPlan& plan) {
  for (const auto& s : plan.sources) {
    if (s.rfind("<<", 0) != 0) {
      throw Error(ErrorKind::kDockerfile, plan.op + " cannot mix heredoc and file sources",
                  copy.range);
    }
    std::string name = s.substr(2);
    if (!name.empty() && name[0] == '-') name = name.substr(1);
    if (name.size() >= 2 && (name[0] == '"' || name[0] == '\'')) {
      name = name.substr(1, name.size() - 2);
    }
    const parser::Heredoc* h = nullptr;
    for (const auto& cand : copy.heredocs) {
      if (cand.name == name) h = &cand;
    }
    if (h == nullptr) {
      throw Error(ErrorKind::kDockerfile, "heredoc " + s + " has no body", copy.range);
    }
    std::string content = heredoc_body(*h);
    if (h->expand) content = expand_heredoc_body(content, expand);
    plan.heredoc_files.push_back({std::move(name), std::move(content)});
  }
}

nlohmann::json base_inputs(const parser::Copy& copy, const CopyPlan& plan) {
  nlohmann::json in = nlohmann::json::object();
  set(in, copy_key::kOp, plan.op);
  set(in, copy_key::kInstruction, plan.created_by);
  set(in, copy_key::kDest, plan.dest);
  set(in, copy_key::kChown, plan.chown);
  set(in, copy_key::kChmod, plan.chmod);
  if (copy.unpack) set(in, copy_key::kUnpack, *copy.unpack);
  if (!copy.excludes.empty()) set(in, copy_key::kExclude, copy.excludes);
  return in;
}

}  // namespace

CopyPlan plan_copy(const parser::Copy& copy, const std::string& workdir,
                   const WordExpander& expand) {
  const auto flag = [&](const std::optional<std::string>& v) { return v ? expand(*v) : ""; };
  CopyPlan plan;
  plan.op = copy.is_add ? "ADD" : "COPY";
  if (copy.parents && copy.is_add) {
    // BuildKit's parseAdd has no --parents flag.
    throw Error(ErrorKind::kDockerfile, "Unknown flag: parents (ADD has no --parents; use COPY)",
                copy.range);
  }
  plan_sources(copy, expand, plan);
  const std::string dest = expand(copy.destination);
  plan.chown = flag(copy.chown);
  plan.chmod = flag(copy.chmod);
  plan.created_by = history_text(plan, copy.parents, dest);
  plan.from = flag(copy.from);
  if (!plan.chmod.empty()) plan.chmod_spec = ChmodSpec::parse(plan.chmod);
  plan.dest = absolute_dest(dest, workdir);
  if (plan.from.empty() && plan.url_count > 0 && copy.checksum) {
    plan.checksum = expand(*copy.checksum);
  }
  plan.keep_git_dir = plan.git_source && copy.keep_git_dir;
  if (plan.from.empty() && plan.url_count == 0 && plan.heredoc_sources) {
    plan_heredocs(copy, expand, plan);
  }
  // Remote archives are not unpacked (Docker's rule); local ones are unless --unpack=false.
  plan.unpack_archives = copy.is_add && plan.url_count == 0 && copy.unpack.value_or(true);
  plan.link_layer = copy.link && plan.chmod.empty();
  plan.display =
      plan.created_by.substr(0, plan.created_by.size() - std::string_view(" # buildkit").size());
  if (!plan.from.empty()) plan.display.insert(plan.op.size(), " --from=" + plan.from);
  plan.inputs = base_inputs(copy, plan);
  return plan;
}

nlohmann::json copy_cache_inputs(const CopyPlan& plan, const CopyEffectInputs& effects) {
  nlohmann::json in = plan.inputs;
  if (!effects.from_chain.empty()) set(in, copy_key::kFrom, effects.from_chain);
  const bool expanded = effects.checksums.size() > plan.sources.size();
  for (const auto& c : effects.checksums) {
    std::string name = std::string(copy_key::kFilesOf) + c.as_written;
    if (expanded || in.contains(name)) name += " (" + c.rel + ")";
    in[name] = c.digest.str();
  }
  // --link: the layer cannot read the parent's passwd/group, so a --chown name is resolved
  // before and the numbers are what the layer depends on.
  if (effects.linked_owner) {
    set(in, copy_key::kChown,
        std::to_string(effects.linked_owner->uid) + ":" +
            std::to_string(effects.linked_owner->gid));
  }
  return in;
}

std::string expand_heredoc_body(const std::string& body, const WordExpander& expand) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\\' && i + 1 < body.size() && body[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (c != '$' || i + 1 >= body.size()) {
      out += c;
      continue;
    }
    size_t end = i + 1;
    if (body[end] == '{') {
      int depth = 0;
      for (; end < body.size(); ++end) {
        if (body[end] == '{') ++depth;
        if (body[end] == '}' && --depth == 0) break;
      }
      if (end >= body.size()) {
        out += body.substr(i);
        break;
      }
      ++end;
    } else {
      while (end < body.size() &&
             (std::isalnum(static_cast<unsigned char>(body[end])) || body[end] == '_')) {
        ++end;
      }
      if (end == i + 1) {
        out += c;
        continue;
      }
    }
    out += expand(body.substr(i, end - i));
    i = end - 1;
  }
  return out;
}

WorkdirPlan plan_workdir(const std::string& path, const std::string& workdir,
                         const std::string& user) {
  std::string joined = path;
  if (!path.starts_with("/")) {
    joined = workdir.empty() ? "/" : workdir;
    joined += '/';
    joined += path;
  }
  // Built in locals and appended: GCC 12 inlines `plan.path = "/"` into a false -Wrestrict.
  std::string wd = "/";
  wd += clean_in_root(joined);
  WorkdirPlan plan;
  plan.created_by = "WORKDIR " + wd;
  plan.path = std::move(wd);
  plan.makes_layer = plan.path != "/";
  set(plan.inputs, copy_key::kOp, "WORKDIR");
  set(plan.inputs, copy_key::kPath, plan.path);
  set(plan.inputs, copy_key::kUser, user);
  return plan;
}

}  // namespace mybuild::builder
