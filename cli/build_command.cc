#include "cli/build_flags.h"
#include "cli/commands.h"
#include "common/error.h"

namespace mybuild::cli {

void add_build_command(CLI::App& app, GlobalOptions& /*global*/) {
  auto flags = std::make_shared<BuildFlags>();  // shared: owned by the callback and the options
  auto* b = app.add_subcommand("build", "Build an image from a Dockerfile (the default command)");
  b->add_option("context", flags->context, "Build context: a directory, or - for a tar on stdin");
  b->add_option("-t,--tag", flags->tags, "Name and optionally a tag (name:tag); repeatable");
  b->add_option("-f,--file", flags->file, "Dockerfile path (default: CONTEXT/Dockerfile; - = stdin)");
  b->add_option("--build-arg", flags->build_args, "Set a build-time variable (K=V, or K from env)");
  b->add_option("--target", flags->target, "Build only up to this stage");
  b->add_flag("--no-cache", flags->no_cache, "Do not use the build cache");
  b->add_option("--no-cache-filter", flags->no_cache_filter, "Do not cache these stages");
  b->add_flag("--pull", flags->pull, "Always check the registry for newer base images");
  b->add_option("--platform", flags->platform, "Target platform (os/arch[/variant])");
  b->add_option("--label", flags->labels, "Set image metadata (K=V)");
  b->add_flag("--push", flags->push, "Push every tag after the build");
  b->add_option("-o,--output", flags->outputs, "Output: type=oci|docker|local|tar,dest=PATH");
  b->add_option("--iidfile", flags->iidfile, "Write the image config digest to this file");
  b->add_option("--metadata-file", flags->metadata_file, "Write build result metadata as JSON");
  b->add_option("--progress", flags->progress, "Progress output: auto, tty, plain, rawjson")
      ->check(CLI::IsMember({"auto", "tty", "plain", "rawjson"}));
  b->add_flag("-q,--quiet", flags->quiet, "Print only the image id");
  b->add_option("--network", flags->network, "RUN network: default, none, host")
      ->check(CLI::IsMember({"default", "none", "host"}));
  b->add_option("--memory", flags->memory, "Memory limit for RUN steps (e.g. 512m)");
  b->add_option("--cpus", flags->cpus, "CPU limit for RUN steps (e.g. 1.5)");
  b->add_option("--jobs", flags->jobs, "Stages built in parallel (default: the core count)");
  b->add_option("--skip-unused-stages", flags->skip_unused_stages,
                "Skip stages the target does not need (default true)");
  b->add_flag("--explain-cache", flags->explain_cache, "Say why each cache miss happened");
  b->add_option("--compression", flags->compression, "Layer compression: gzip, zstd, none")
      ->check(CLI::IsMember({"gzip", "zstd", "none"}));
  b->add_option("--compression-level", flags->compression_level, "Compression level");
  b->add_option("--allow", flags->allow, "Allow an entitlement (security.insecure)");
  b->add_option("--secret", flags->secrets, "Secret for RUN --mount=type=secret (id=X,src=PATH)");
  b->callback([flags] {
    throw common::Error(common::ErrorKind::kInternal,
                        "mybuild build: building images is not implemented yet "
                        "(use 'mybuild debug parse " +
                            (flags->file.empty() ? flags->context + "/Dockerfile" : flags->file) +
                            "' to check a Dockerfile)");
  });
}

}  // namespace mybuild::cli
