#include "tests/differential/image_compare.h"

#include <cctype>
#include <cstdio>
#include <set>

#include "tests/differential/tree.h"

namespace mybuild::differential {

namespace {

using nlohmann::json;

constexpr const char* kConfigFields[] = {"Env",        "Cmd",          "Entrypoint", "WorkingDir",
                                         "User",       "ExposedPorts", "Volumes",    "Labels",
                                         "StopSignal", "Healthcheck",  "Shell",      "OnBuild"};

// Normalisation: an empty value is no value. Buildah writes Docker's v1 config struct (we build
// with --format docker, the only format that keeps Healthcheck, Shell and OnBuild), which
// serialises unset fields as "", [] or {}; BuildKit omits them. Runtimes treat both alike.
json meaningful(const json& v) {
  if (v.is_null() || (v.is_string() && v.get<std::string>().empty()) ||
      ((v.is_array() || v.is_object()) && v.empty())) {
    return nullptr;
  }
  return v;
}

json config_field(const Image& image, const std::string& field, bool is_buildah) {
  json v = image.config.value("config", json::object()).value(field, json());
  // Normalisation: buildah stamps its own version into every image it commits.
  if (is_buildah && field == "Labels" && v.is_object()) v.erase("io.buildah.version");
  return meaningful(v);
}

void compare_config(const Image& m, const Image& b, std::vector<std::string>& out) {
  for (const char* field : kConfigFields) {
    json mv = config_field(m, field, false), bv = config_field(b, field, true);
    if (mv != bv) {
      out.push_back(std::string("config.") + field + ": mybuild=" + mv.dump() +
                    " buildah=" + bv.dump());
    }
  }
  for (const char* field : {"os", "architecture", "variant"}) {
    json mv = meaningful(m.config.value(field, json())),
         bv = meaningful(b.config.value(field, json()));
    if (mv != bv)
      out.push_back(std::string(field) + ": mybuild=" + mv.dump() + " buildah=" + bv.dump());
  }
}

struct Step {
  std::string keyword;  // "RUN", "COPY", ... (or the base's created_by word)
  std::string text;     // normalised created_by
  bool empty_layer = false;
};

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

// History text: BuildKit (mybuild's reference) writes "RUN /bin/sh -c cmd # buildkit",
// "COPY src /dst # buildkit", "ENV A=1"; buildah writes the classic builder's
// "/bin/sh -c #(nop) ENV A=1" and "/bin/sh -c cmd" for a RUN. Both become "ENV A=1" and
// "RUN /bin/sh -c cmd". Entries of the base image (the first `base` ones) are the same bytes on
// both sides and stay as they are.
std::vector<Step> steps(const Image& image, size_t base) {
  std::vector<Step> out;
  const json history = image.config.value("history", json::array());
  for (size_t i = 0; i < history.size(); ++i) {
    Step s;
    s.text = history[i].value("created_by", std::string());
    s.empty_layer = history[i].value("empty_layer", false);
    if (i >= base) {
      const std::string buildkit_suffix = " # buildkit";
      if (s.text.size() >= buildkit_suffix.size() &&
          s.text.compare(s.text.size() - buildkit_suffix.size(), buildkit_suffix.size(),
                         buildkit_suffix) == 0) {
        s.text.resize(s.text.size() - buildkit_suffix.size());
      }
      if (starts_with(s.text, "/bin/sh -c #(nop) ")) {
        s.text = s.text.substr(18);
      } else if (!s.text.empty() && !std::isupper(static_cast<unsigned char>(s.text[0]))) {
        s.text = "RUN " + s.text;
      }
    }
    s.keyword = s.text.substr(0, s.text.find(' '));
    out.push_back(std::move(s));
  }
  return out;
}

std::string octal(int mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", mode);
  return buf;
}

std::string describe(const Entry& e, int64_t build_start) {
  // Appends, not "literal" + std::string: GCC 12's -Wrestrict false positive.
  std::string s(1, static_cast<char>(e.type));
  s.append(" ").append(octal(e.mode)).append(" ").append(std::to_string(e.uid));
  s.append(":").append(std::to_string(e.gid));
  if (e.type == Entry::kFile) s.append(" ").append(std::to_string(e.size)).append("B");
  if (!e.link.empty()) s.append(" -> ").append(e.link);
  if (e.mtime < build_start) s.append(" mtime=").append(std::to_string(e.mtime));
  return s;
}

std::string mtime_text(int64_t t, int64_t build_start) {
  return t >= build_start ? "(build time)" : std::to_string(t);
}

void compare_entry(const std::string& where, const Entry& m, const Entry& b,
                   const CompareOptions& o, std::vector<std::string>& out) {
  auto diff = [&](const std::string& what, const std::string& mv, const std::string& bv) {
    if (mv != bv) out.push_back(where + ": " + what + " mybuild=" + mv + " buildah=" + bv);
  };
  diff("type", std::string(1, static_cast<char>(m.type)),
       std::string(1, static_cast<char>(b.type)));
  diff("mode", octal(m.mode), octal(b.mode));
  diff("owner", std::to_string(m.uid) + ":" + std::to_string(m.gid),
       std::to_string(b.uid) + ":" + std::to_string(b.gid));
  diff("content", std::to_string(m.size) + "B " + m.sha256.substr(0, 19),
       std::to_string(b.size) + "B " + b.sha256.substr(0, 19));
  diff("link", m.link, b.link);
  diff("xattrs", json(m.xattrs).dump(), json(b.xattrs).dump());
  if (m.mtime < o.build_start || b.mtime < o.build_start) {
    diff("mtime", mtime_text(m.mtime, o.build_start), mtime_text(b.mtime, o.build_start));
  }
}

void compare_effects(const std::string& prefix, const LayerEffect& m, const LayerEffect& b,
                     const CompareOptions& o, std::vector<std::string>& out) {
  std::set<std::string> paths;
  for (const auto& [p, e] : m.written) paths.insert(p);
  for (const auto& [p, e] : b.written) paths.insert(p);
  for (const std::string& p : paths) {
    auto mi = m.written.find(p), bi = b.written.find(p);
    std::string where = prefix + "/" + p;
    if (bi == b.written.end()) {
      out.push_back(where + ": written only by mybuild (" + describe(mi->second, o.build_start) +
                    ")");
    } else if (mi == m.written.end()) {
      out.push_back(where + ": written only by buildah (" + describe(bi->second, o.build_start) +
                    ")");
    } else {
      compare_entry(where, mi->second, bi->second, o, out);
    }
  }
  for (const std::string& p : m.deleted) {
    if (b.deleted.count(p) == 0) out.push_back(prefix + "/" + p + ": deleted only by mybuild");
  }
  for (const std::string& p : b.deleted) {
    if (m.deleted.count(p) == 0) out.push_back(prefix + "/" + p + ": deleted only by buildah");
  }
}

// Normalisation: buildah 1.28 commits the mount points it makes for a RUN into the RUN's layer
// when the base lacks them: /etc/hosts, /etc/hostname and /etc/resolv.conf as empty files, /run
// as an empty directory (its tmpfs). BuildKit removes its /etc/hosts and /etc/resolv.conf stubs
// after the RUN (executor/stubs.go) and mounts nothing on /etc/hostname or /run, so these are
// dropped from buildah's side only: the same entries in mybuild's layer are differences. /dev,
// /proc and /sys are not dropped: runc under BuildKit leaves those mount points too.
void drop_buildah_mount_stubs(const Tree& lower, std::vector<Entry>& entries) {
  static const std::set<std::string> kDirs = {"run"};
  static const std::set<std::string> kFiles = {"etc/hosts", "etc/hostname", "etc/resolv.conf"};
  std::erase_if(entries, [&](const Entry& e) {
    if (lower.count(e.path) != 0) return false;
    if (e.type == Entry::kDir && kDirs.count(e.path) != 0) {
      for (const Entry& other : entries) {
        if (other.path != e.path && is_under(other.path, e.path)) return false;
      }
      return true;
    }
    return e.type == Entry::kFile && e.size == 0 && kFiles.count(e.path) != 0;
  });
}

// Layers in history order: the i-th history entry that is not empty_layer owns the i-th layer.
std::vector<int> layer_of_step(const std::vector<Step>& s, size_t layers) {
  std::vector<int> owner(s.size(), -1);
  size_t next = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!s[i].empty_layer) owner[i] = next < layers ? static_cast<int>(next++) : -1;
  }
  return owner;
}

size_t non_empty(const std::vector<Step>& s) {
  size_t n = 0;
  for (const Step& x : s) n += x.empty_layer ? 0 : 1;
  return n;
}

std::string keywords(const std::vector<Step>& s) {
  std::string out;
  for (const Step& x : s) out += (out.empty() ? "" : ",") + x.keyword + (x.empty_layer ? "" : "*");
  return out;
}

bool compare_history(const std::vector<Step>& m, const std::vector<Step>& b,
                     std::vector<std::string>& out) {
  if (m.size() != b.size()) {
    out.push_back("history: mybuild=[" + keywords(m) + "] buildah=[" + keywords(b) + "]");
    return false;
  }
  bool aligned = true;
  for (size_t i = 0; i < m.size(); ++i) {
    std::string where = "history[" + std::to_string(i) + "]";
    if (m[i].keyword != b[i].keyword) {
      out.push_back(where + ": mybuild=" + m[i].keyword + " buildah=" + b[i].keyword);
      aligned = false;
      continue;
    }
    if (m[i].keyword == "RUN" && m[i].text != b[i].text) {
      out.push_back(where + " RUN: created_by mybuild=" + json(m[i].text).dump() +
                    " buildah=" + json(b[i].text).dump());
    }
    if (m[i].empty_layer != b[i].empty_layer) {
      out.push_back(where + " " + m[i].keyword +
                    ": empty_layer mybuild=" + (m[i].empty_layer ? "true" : "false") +
                    " buildah=" + (b[i].empty_layer ? "true" : "false"));
    }
  }
  return aligned;
}

std::vector<Entry> entries_of(const Tree& tree) {
  std::vector<Entry> v;
  for (const auto& [path, entry] : tree) v.push_back(entry);
  return v;
}

// Walks both histories together, comparing each step's layer effect (an empty_layer step has
// none). When the histories do not line up, compares the final root filesystems instead.
void compare_layers(const Image& m, const Image& b, const std::vector<Step>& ms,
                    const std::vector<Step>& bs, bool aligned, const CompareOptions& o,
                    std::vector<std::string>& out) {
  if (non_empty(ms) != m.layers.size()) {
    out.push_back("mybuild: " + std::to_string(non_empty(ms)) + " layered history entries for " +
                  std::to_string(m.layers.size()) + " layers");
    aligned = false;
  }
  if (non_empty(bs) != b.layers.size()) aligned = false;
  Tree mt, bt;
  if (!aligned) {
    for (const Layer& l : m.layers) apply_layer(mt, l.entries);
    for (const Layer& l : b.layers) {
      std::vector<Entry> entries = l.entries;
      drop_buildah_mount_stubs(bt, entries);
      apply_layer(bt, entries);
    }
    compare_effects("rootfs: ", layer_effect({}, entries_of(mt)), layer_effect({}, entries_of(bt)),
                    o, out);
    return;
  }
  std::vector<int> ml = layer_of_step(ms, m.layers.size()), bl = layer_of_step(bs, b.layers.size());
  for (size_t i = 0; i < ms.size(); ++i) {
    std::vector<Entry> me, be;
    if (ml[i] >= 0) me = m.layers[static_cast<size_t>(ml[i])].entries;
    if (bl[i] >= 0) be = b.layers[static_cast<size_t>(bl[i])].entries;
    drop_buildah_mount_stubs(bt, be);
    std::string prefix = "history[" + std::to_string(i) + "] " + ms[i].keyword + ": ";
    compare_effects(prefix, layer_effect(mt, me), layer_effect(bt, be), o, out);
    apply_layer(mt, me);
    apply_layer(bt, be);
  }
}

}  // namespace

std::vector<std::string> compare_images(const Image& mybuild, const Image& buildah,
                                        const CompareOptions& options) {
  std::vector<std::string> out;
  compare_config(mybuild, buildah, out);
  std::vector<Step> ms = steps(mybuild, options.base_history);
  std::vector<Step> bs = steps(buildah, options.base_history);
  bool aligned = compare_history(ms, bs, out);
  compare_layers(mybuild, buildah, ms, bs, aligned, options, out);
  return out;
}

std::vector<std::string> history_summary(const Image& image, size_t base_history) {
  std::vector<std::string> out;
  for (const Step& s : steps(image, base_history)) {
    out.push_back(s.text + (s.empty_layer ? "" : "  [layer]"));
  }
  return out;
}

}  // namespace mybuild::differential
