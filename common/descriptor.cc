#include "common/descriptor.h"

#include <sys/utsname.h>

#include "common/ascii.h"
#include "common/error.h"

namespace mybuild::common {
namespace {

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    out.emplace_back(s.substr(start, pos - start));
    if (pos == std::string_view::npos) return out;
    start = pos + 1;
  }
}

// containerd platforms.Normalize: architecture aliases and default variants.
void normalize(Platform& p) {
  p.os = ascii_lower(p.os);
  p.architecture = ascii_lower(p.architecture);
  p.variant = ascii_lower(p.variant);
  if (p.os == "macos") p.os = "darwin";
  auto& a = p.architecture;
  auto& v = p.variant;
  if (a == "i386") {
    a = "386";
    v.clear();
  } else if (a == "x86_64" || a == "x86-64" || a == "amd64") {
    a = "amd64";
    if (v == "v1") v.clear();
  } else if (a == "aarch64" || a == "arm64") {
    a = "arm64";
    if (v == "8" || v == "v8") v.clear();
  } else if (a == "armhf") {
    a = "arm";
    v = "v7";
  } else if (a == "armel") {
    a = "arm";
    v = "v6";
  } else if (a == "arm") {
    if (v.empty() || v == "7")
      v = "v7";
    else if (v == "5" || v == "6" || v == "8")
      v = "v" + v;
  }
}

}  // namespace

Platform Platform::parse(std::string_view text) {
  if (text.find(',') != std::string_view::npos) {
    // buildx's list form is for a build (builder/platforms.h); elsewhere one platform is meant.
    throw Error(ErrorKind::kUsage, "platform list \"" + std::string(text) +
                                       "\": only `mybuild build --platform` takes several; "
                                       "give one platform here");
  }
  auto parts = split(text, '/');
  Platform p;
  bool ok = true;
  for (auto& part : parts) ok = ok && !part.empty();
  if (!ok || parts.size() > 3) {
    throw Error(ErrorKind::kUsage, "invalid platform \"" + std::string(text) +
                                       "\": want os/arch[/variant], e.g. linux/amd64");
  }
  if (parts.size() == 1) {
    p.os = "linux";
    p.architecture = parts[0];
  } else {
    p.os = parts[0];
    p.architecture = parts[1];
    if (parts.size() == 3) p.variant = parts[2];
  }
  normalize(p);
  return p;
}

Platform Platform::host() {
  struct utsname u {};
  ::uname(&u);
  Platform p;
  p.os = "linux";
  p.architecture = u.machine;
  normalize(p);
  return p;
}

std::string Platform::str() const {
  std::string s = os + "/" + architecture;
  if (!variant.empty()) s += "/" + variant;
  return s;
}

bool Platform::matches(const Platform& wanted) const {
  Platform a = *this, b = wanted;
  normalize(a);
  normalize(b);
  if (a.os != b.os || a.architecture != b.architecture) return false;
  return b.variant.empty() || a.variant.empty() || a.variant == b.variant;
}

void to_json(nlohmann::json& j, const Platform& p) {
  j = nlohmann::json{{"architecture", p.architecture}, {"os", p.os}};
  if (!p.variant.empty()) j["variant"] = p.variant;
  if (!p.os_version.empty()) j["os.version"] = p.os_version;
  if (!p.os_features.empty()) j["os.features"] = p.os_features;
}

void from_json(const nlohmann::json& j, Platform& p) {
  if (!j.is_object()) throw Error(ErrorKind::kIntegrity, "platform is not a JSON object");
  p.os = j.value("os", "");
  p.architecture = j.value("architecture", "");
  p.variant = j.value("variant", "");
  p.os_version = j.value("os.version", "");
  if (j.contains("os.features"))
    p.os_features = j.at("os.features").get<std::vector<std::string>>();
}

void to_json(nlohmann::json& j, const Descriptor& d) {
  j = nlohmann::json{{"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
  if (!d.urls.empty()) j["urls"] = d.urls;
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  if (d.platform) j["platform"] = *d.platform;
  if (d.artifact_type) j["artifactType"] = *d.artifact_type;
}

void from_json(const nlohmann::json& j, Descriptor& d) {
  try {
    if (!j.is_object()) throw Error(ErrorKind::kIntegrity, "descriptor is not a JSON object");
    d.media_type = j.at("mediaType").get<std::string>();
    d.digest = Digest::parse(j.at("digest").get<std::string>());
    d.size = json_int64(j.at("size"), "descriptor size");
    if (d.size < 0) throw Error(ErrorKind::kIntegrity, "descriptor has a negative size");
    d.urls = j.value("urls", std::vector<std::string>{});
    d.annotations = j.value("annotations", std::map<std::string, std::string>{});
    if (j.contains("platform")) d.platform = j.at("platform").get<Platform>();
    if (j.contains("artifactType")) d.artifact_type = j.at("artifactType").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::kIntegrity, std::string("malformed descriptor: ") + e.what());
  }
}

int64_t json_int64(const nlohmann::json& v, std::string_view what) {
  if (v.is_number_integer() &&
      (v.is_number_unsigned() ? v.get<uint64_t>() <= uint64_t{INT64_MAX} : true)) {
    return v.get<int64_t>();
  }
  throw Error(ErrorKind::kIntegrity, std::string(what) + " is not an integer: " + v.dump());
}

}  // namespace mybuild::common
