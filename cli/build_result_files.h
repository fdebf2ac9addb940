// The files CI pipelines read after `mybuild build`: --iidfile, --metadata-file (buildx's
// keys), and Kaniko's --digest-file, --image-name-with-digest-file and
// --image-name-tag-with-digest-file (what Tekton's
// IMAGE_DIGEST and GitLab jobs expect).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "builder/build_request.h"
#include "builder/progress.h"
#include "cli/build_flags.h"

namespace mybuild::cli {

// Passes everything on to `inner` and keeps the warnings ("WARN: ..." messages) for the
// metadata file's buildx.build.warnings.
class WarningRecorder : public builder::ProgressSink {
 public:
  explicit WarningRecorder(builder::ProgressSink& inner) : inner_(inner) {}
  void step_state(const builder::StepId& step, builder::StepState state,
                  std::chrono::steady_clock::duration elapsed) override {
    inner_.step_state(step, state, elapsed);
  }
  void step_log(const builder::StepId& step, std::string_view chunk) override {
    inner_.step_log(step, chunk);
  }
  void cache_miss(const builder::StepId& step, std::string_view reason) override {
    inner_.cache_miss(step, reason);
  }
  void step_transfer(const builder::StepId& step, const builder::TransferStatus& status) override {
    inner_.step_transfer(step, status);
  }
  void message(std::string_view text) override;
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  builder::ProgressSink& inner_;
  std::vector<std::string> warnings_;  // without the "WARN: " prefix
};

// The digest pipelines refer to the image by: what --push sent, else what the store holds.
std::string result_digest(const builder::BuildResult& result);

// Kaniko's --image-name-with-digest-file: "REPOSITORY@DIGEST\n" for each name.
std::string image_names_with_digest(const builder::BuildResult& result);

// Kaniko's --image-name-tag-with-digest-file: "NAME:TAG@DIGEST\n" for each name.
std::string image_names_tags_with_digest(const builder::BuildResult& result);

// buildx's --metadata-file document.
std::string metadata_json(const builder::BuildResult& result,
                          const std::vector<std::string>& warnings);

// Adds --iidfile, --metadata-file and Kaniko's three digest files to `build`, into `flags`.
void add_result_file_flags(CLI::App* build, BuildFlags& flags);

// Writes every file `flags` asks for. kResource naming the flag and path on failure.
void write_result_files(const BuildFlags& flags, const builder::BuildResult& result,
                        const std::vector<std::string>& warnings);

}  // namespace mybuild::cli
