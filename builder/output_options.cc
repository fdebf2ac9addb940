#include "builder/output_options.h"

#include "common/error.h"

namespace mybuild::builder {

using common::Error;
using common::ErrorKind;

namespace {

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    size_t at = text.find(sep);
    out.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return out;
    text.remove_prefix(at + 1);
  }
}

std::optional<AnnotationLevel> level_named(std::string_view name) {
  if (name == "manifest") return AnnotationLevel::kManifest;
  if (name == "index") return AnnotationLevel::kIndex;
  if (name == "manifest-descriptor") return AnnotationLevel::kManifestDescriptor;
  if (name == "index-descriptor") return AnnotationLevel::kIndexDescriptor;
  return std::nullopt;
}

bool is_lower_word(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || c == '-' || c == ',')) return false;
  return true;
}

}  // namespace

Annotation parse_annotation(std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw Error(ErrorKind::kUsage, "invalid --annotation value: " + std::string(text) +
                                       " (want KEY=VALUE or manifest|index|...:KEY=VALUE)");
  }
  Annotation a;
  std::string_view key = text.substr(0, eq);
  a.value = std::string(text.substr(eq + 1));
  // A prefix is "types[platforms]:" where types are lower-case level names; a key such as
  // "org.opencontainers.image.url" has no colon, and one with a colon but no known prefix
  // stays whole (buildx's regexp only takes known shapes as a prefix).
  const size_t colon = key.find(':');
  std::string_view prefix = colon == std::string_view::npos ? "" : key.substr(0, colon);
  std::string_view types = prefix.substr(0, prefix.find('['));
  if (colon != std::string_view::npos && is_lower_word(types)) {
    for (std::string_view t : split(types, ',')) {
      auto level = level_named(t);
      if (!level) {
        throw Error(ErrorKind::kUsage, "invalid --annotation value: " + std::string(text) +
                                           ": unknown type " + std::string(t) +
                                           " (manifest, index, manifest-descriptor, "
                                           "index-descriptor)");
      }
      a.levels.push_back(*level);
    }
    if (const size_t open = prefix.find('['); open != std::string_view::npos) {
      if (prefix.back() != ']')
        throw Error(ErrorKind::kUsage, "invalid --annotation value: " + std::string(text));
      a.platform = std::string(prefix.substr(open + 1, prefix.size() - open - 2));
    }
    key = key.substr(colon + 1);
  } else {
    a.levels.push_back(AnnotationLevel::kManifest);
  }
  if (key.empty())
    throw Error(ErrorKind::kUsage, "invalid --annotation value: " + std::string(text));
  a.key = std::string(key);
  return a;
}

AnnotationSet annotations_for(const std::vector<Annotation>& all,
                              const common::Platform& platform) {
  AnnotationSet set;
  for (const Annotation& a : all) {
    if (a.platform) {
      bool any = false;
      for (std::string_view p : split(*a.platform, ','))
        any |= common::Platform::parse(p).str() == platform.str();
      if (!any) continue;
    }
    for (AnnotationLevel level : a.levels) {
      switch (level) {
        case AnnotationLevel::kManifest:
          set.manifest[a.key] = a.value;
          break;
        case AnnotationLevel::kIndex:
          set.index[a.key] = a.value;
          break;
        case AnnotationLevel::kManifestDescriptor:
          set.manifest_descriptor[a.key] = a.value;
          break;
        case AnnotationLevel::kIndexDescriptor:
          set.index_descriptor[a.key] = a.value;
          break;
      }
    }
  }
  return set;
}

ProvenanceOptions parse_provenance(std::string_view text) {
  ProvenanceOptions p;
  auto bad = [&text] {
    return Error(ErrorKind::kUsage, "invalid --provenance value: " + std::string(text) +
                                        " (want false, true, mode=min or mode=max)");
  };
  if (text == "false" || text == "0") return p;
  p.mode = ProvenanceOptions::Mode::kMin;
  if (text == "true" || text == "1" || text == "min" || text.empty()) return p;
  if (text == "max") {
    p.mode = ProvenanceOptions::Mode::kMax;
    return p;
  }
  for (std::string_view field : split(text, ',')) {
    const size_t eq = field.find('=');
    if (eq == std::string_view::npos) throw bad();
    std::string_view k = field.substr(0, eq), v = field.substr(eq + 1);
    if (k == "mode" && v == "min") {
      p.mode = ProvenanceOptions::Mode::kMin;
    } else if (k == "mode" && v == "max") {
      p.mode = ProvenanceOptions::Mode::kMax;
    } else if (k == "builder-id") {
      p.builder_id = std::string(v);
    } else if (k == "disabled" && (v == "true" || v == "false")) {
      if (v == "true") p.mode = ProvenanceOptions::Mode::kOff;
    } else if (k != "type" || v != "provenance") {
      throw bad();
    }
  }
  return p;
}

}  // namespace mybuild::builder
