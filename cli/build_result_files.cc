#include "cli/build_result_files.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "common/base64.h"
#include "common/error.h"

namespace mybuild::cli {

using common::Error;
using common::ErrorKind;
using nlohmann::json;

namespace {

// "registry:5000/app:v1" -> "registry:5000/app" (the name is normalised: domain/path[:tag]).
std::string repository_of(std::string name) {
  if (auto at = name.find('@'); at != std::string::npos) name.resize(at);
  const size_t slash = name.rfind('/');
  const size_t colon = name.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    name.resize(colon);
  }
  return name;
}

// buildx's build ref "<builder>/<node>/<ref>"; the ref is 25 characters of [a-z0-9] as
// BuildKit's identity.NewID makes them.
std::string build_ref() {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string id;
  for (int i = 0; i < 25; ++i) id += kChars[rd() % 36];
  return "mybuild/local/" + id;
}

void write_file(const std::string& path, std::string_view data, const char* flag) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << data;
  f.close();
  if (!f) throw Error(ErrorKind::kResource, std::string("cannot write ") + flag + " " + path);
}

}  // namespace

void WarningRecorder::message(std::string_view text) {
  constexpr std::string_view kWarn = "WARN: ";
  if (text.starts_with(kWarn)) warnings_.emplace_back(text.substr(kWarn.size()));
  inner_.message(text);
}

std::string result_digest(const builder::BuildResult& result) {
  return (result.pushed ? result.pushed->digest : result.root.digest).str();
}

std::string image_names_with_digest(const builder::BuildResult& result) {
  std::string out;
  for (const auto& n : result.names) out += repository_of(n) + "@" + result_digest(result) + "\n";
  return out;
}

std::string image_names_tags_with_digest(const builder::BuildResult& result) {
  std::string out;
  for (const auto& n : result.names) out += n + "@" + result_digest(result) + "\n";
  return out;
}

std::string metadata_json(const builder::BuildResult& result,
                          const std::vector<std::string>& warnings) {
  common::Descriptor d = result.pushed ? *result.pushed : result.root;
  json descriptor = {{"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
  if (!d.annotations.empty()) descriptor["annotations"] = d.annotations;
  json meta = {{"containerimage.digest", d.digest.str()},
               {"containerimage.config.digest", result.config_digest.str()},
               {"containerimage.descriptor", descriptor},
               {"buildx.build.ref", build_ref()}};
  std::string names;
  for (const auto& n : result.names) names += (names.empty() ? "" : ",") + n;
  if (!names.empty()) meta["image.name"] = names;
  if (!warnings.empty()) {
    json list = json::array();
    for (const auto& w : warnings)
      list.push_back({{"level", 1}, {"short", common::base64_encode(w)}});
    meta["buildx.build.warnings"] = list;
  }
  return meta.dump(2) + "\n";
}

void add_result_file_flags(CLI::App* b, BuildFlags& flags) {
  b->add_option("--iidfile", flags.iidfile, "Write the image config digest to this file");
  b->add_option("--metadata-file", flags.metadata_file, "Write build result metadata as JSON");
  b->add_option("--digest-file", flags.digest_file,
                "Write the image digest (pushed, else built) to this file, as Kaniko does");
  b->add_option("--image-name-with-digest-file", flags.image_name_with_digest_file,
                "Write NAME@DIGEST for each tag to this file, as Kaniko does");
  b->add_option("--image-name-tag-with-digest-file", flags.image_name_tag_with_digest_file,
                "Write NAME:TAG@DIGEST for each tag to this file, as Kaniko does");
}

void write_result_files(const BuildFlags& flags, const builder::BuildResult& result,
                        const std::vector<std::string>& warnings) {
  if (!flags.iidfile.empty()) write_file(flags.iidfile, result.config_digest.str(), "--iidfile");
  if (!flags.metadata_file.empty()) {
    write_file(flags.metadata_file, metadata_json(result, warnings), "--metadata-file");
  }
  // Kaniko writes the digest alone, no newline; Tekton's IMAGE_DIGEST result takes it as is.
  if (!flags.digest_file.empty()) {
    write_file(flags.digest_file, result_digest(result), "--digest-file");
  }
  if (!flags.image_name_with_digest_file.empty()) {
    write_file(flags.image_name_with_digest_file, image_names_with_digest(result),
               "--image-name-with-digest-file");
  }
  if (!flags.image_name_tag_with_digest_file.empty()) {
    write_file(flags.image_name_tag_with_digest_file, image_names_tags_with_digest(result),
               "--image-name-tag-with-digest-file");
  }
}

}  // namespace mybuild::cli
