#include "builder/build.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include "builder/attest/image_roots.h"
#include "builder/attest/provenance_inputs.h"
#include "builder/context/stdin.h"
#include "builder/stage/build_inputs.h"
#include "builder/stage/build_session.h"
#include "builder/stage/cache_export.h"
#include "builder/stage/cache_import.h"
#include "builder/stage/history_text.h"
#include "builder/stage/scheduler.h"
#include "builder/stage/stage_builder.h"
#include "common/error.h"
#include "common/io.h"
#include "common/time.h"
#include "image/layer_convert.h"
#include "image/push.h"
#include "image/registry_options.h"
#include "image/writer.h"
#include "parser/stages.h"
#include "registry/reference.h"
#include "snapshot/leases.h"

namespace mybuild::builder {

using common::Error;
using common::ErrorKind;
using Clock = std::chrono::steady_clock;

namespace {

std::string now_rfc3339() {
  return common::rfc3339(std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count());
}

struct DockerfileSource {
  std::string text;
  std::string name;            // for error messages
  std::filesystem::path path;  // empty when it came on stdin
};

// `context_root` is set for a context that came as a tar: the Dockerfile is inside it.
DockerfileSource read_dockerfile(const BuildRequest& r, const std::filesystem::path& context_root) {
  DockerfileSource src;
  if (r.dockerfile_text) {
    src.text = *r.dockerfile_text;
    src.name = "Dockerfile";
    return src;
  }
  if (!context_root.empty()) {
    src.path = context_root / (r.dockerfile.empty() ? std::filesystem::path("Dockerfile")
                                                    : r.dockerfile.relative_path());
  } else {
    src.path = r.dockerfile.empty() ? r.context_dir / "Dockerfile" : r.dockerfile;
  }
  src.name = src.path.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(src.path, ec)) {
    throw Error(ErrorKind::kNotFound, "failed to read dockerfile: open " + src.path.string() +
                                          ": no such file or directory");
  }
  src.text = common::read_file(src.path, 16 << 20);
  return src;
}

void check_syntax_directive(const parser::Dockerfile& file, ProgressSink& progress) {
  for (const auto& d : file.directives) {
    if (d.name != "syntax") continue;
    std::string v = d.value;
    // docker/dockerfile:1, :1.7, :1-labs, docker.io/docker/dockerfile:1.x@sha256:...
    for (const char* prefix : {"docker.io/", "index.docker.io/"}) {
      if (v.rfind(prefix, 0) == 0) v = v.substr(std::string(prefix).size());
    }
    if (v.rfind("docker/dockerfile", 0) == 0 || v.rfind("docker/dockerfile-upstream", 0) == 0)
      continue;
    progress.message("WARN: # syntax=" + d.value +
                     " names a frontend image; mybuild does not run frontends and builds the "
                     "Dockerfile with its own stable syntax");
  }
}

// The context first when it is a tar on stdin: the Dockerfile is one of its files. `docker
// build - < Dockerfile` gives the Dockerfile alone: then `stdin_dockerfile` gets its text and
// the context is empty.
BuildContext open_stdin_context(const BuildRequest& request, ContextOptions& copts,
                                std::optional<std::string>& stdin_dockerfile) {
  common::FdReader in(common::UniqueFd(::fcntl(0, F_DUPFD_CLOEXEC, 0)));
  StdinInput input = classify_stdin(in);
  if (input.tar) {
    if (!request.dockerfile.empty()) copts.dockerfile = request.dockerfile.relative_path();
    return BuildContext::open_tar(*input.tar, copts);
  }
  if (!request.dockerfile.empty()) {
    throw Error(ErrorKind::kUsage, "stdin holds a Dockerfile, not a context archive: -f " +
                                       request.dockerfile.string() + " has nothing to name");
  }
  stdin_dockerfile = std::move(input.dockerfile_text);
  common::StringReader empty_tar(std::string(1024, '\0'));  // two zero blocks: no entries
  return BuildContext::open_tar(empty_tar, copts);
}

struct BuildInput {
  std::optional<BuildContext> context;
  DockerfileSource source;
};

BuildInput read_build_input(const BuildRequest& request) {
  BuildInput in;
  ContextOptions copts;
  std::optional<std::string> stdin_dockerfile;
  if (request.context_from_stdin) {
    in.context.emplace(open_stdin_context(request, copts, stdin_dockerfile));
  }
  if (stdin_dockerfile) {
    in.source.text = std::move(*stdin_dockerfile);
    in.source.name = "Dockerfile";
  } else {
    in.source = read_dockerfile(request, in.context ? in.context->root() : std::filesystem::path());
  }
  if (!in.context) {
    if (!in.source.path.empty()) copts.dockerfile = std::filesystem::absolute(in.source.path);
    in.context.emplace(BuildContext::open_directory(request.context_dir, copts));
  }
  return in;
}

parser::Dockerfile parse_dockerfile(const DockerfileSource& source, ProgressSink& progress) {
  parser::Dockerfile dockerfile = parser::parse_typed(source.text, source.name);
  for (const auto& w : dockerfile.warnings) {
    std::string where = w.range.file + ":" + std::to_string(w.range.line);
    progress.message("WARN: " + w.message + " (" + where + ")");
  }
  check_syntax_directive(dockerfile, progress);
  return dockerfile;
}

common::Platform target_platform(const BuildRequest& request, ProgressSink& progress) {
  const common::Platform host = common::Platform::host();
  common::Platform platform =
      request.platform.empty() ? host : common::Platform::parse(request.platform);
  if (!(platform.os == host.os && platform.architecture == host.architecture)) {
    progress.message("WARN: building for " + platform.str() + " on " + host.str() +
                     ": RUN steps need QEMU binfmt support for that platform");
  }
  return platform;
}

// The image's names: -t, plus the name= of image and registry outputs (buildx turns -t into
// exactly that attribute; a comma-separated list when quoted: -o 'type=registry,"name=a,b"').
std::vector<std::string> output_names(const BuildRequest& request) {
  std::vector<std::string> names;
  auto add_name = [&names](const std::string& text) {
    std::string n = registry::parse_reference(text).str();
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  };
  for (const auto& t : request.tags) add_name(t);
  for (const auto& out : request.outputs) {
    auto it = out.attrs.find("name");
    if (it == out.attrs.end()) continue;
    std::string_view list = it->second;
    while (!list.empty()) {
      const size_t comma = list.find(',');
      const std::string one(list.substr(0, comma));
      if (!one.empty()) add_name(one);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
  }
  return names;
}

std::string lease_label(const std::vector<std::string>& names) {
  std::string label = "build";
  for (const auto& n : names) label += " " + n;
  return label;
}

int job_count(const BuildRequest& request) {
  int jobs =
      request.jobs > 0 ? request.jobs : static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(jobs, 1, 64);
}

struct LayerFormats {
  image::LayerFormat output;  // -o oci|docker without their own compression=
  image::LayerFormat push;    // --push and registry/image outputs
};

// Checked before the build: a bad level fails before any step runs.
LayerFormats layer_formats(const BuildRequest& request) {
  LayerFormats formats{
      .output = image::parse_layer_format(request.compression, request.compression_level),
      .push = {}};
  formats.push = formats.output;
  for (const auto& out : request.outputs) {
    image::LayerFormat f = image::output_layer_format(out, formats.output);
    if (out.type == "registry" || out.type == "image") formats.push = f;
  }
  return formats;
}

void configure_session(BuildSession& session, const BuildRequest& request,
                       std::counting_semaphore<64>& slots) {
  int64_t now =
      request.source_date_epoch.value_or(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
  session.created = common::rfc3339(now);
  // Layers stay uncompressed in the store (fast to write and to unpack, as containerd keeps
  // them); --compression is what a push or an -o oci|docker output converts them to.
  session.layer_options.compression = snapshot::Compression::kNone;
  session.layer_options.source_date_epoch = request.source_date_epoch;
  session.slots = &slots;
  session.memo = std::make_unique<FileHashMemo>(request.store_root / "checksums.db");
}

// One thread per needed stage; a stage waits for the stages it reads from.
StageResult build_stages(BuildSession& session, const parser::Dockerfile& dockerfile,
                         const BuildPlan& plan) {
  StageScheduler scheduler(
      plan.needed, static_cast<int>(dockerfile.stages.size()),
      [&](int index) {
        StageBuilder builder(session, dockerfile.stages[index], plan.stages[index]);
        return builder.build();
      },
      session.cancel);
  session.stage_result = [&scheduler](int index) -> const StageResult& {
    return scheduler.result(index);
  };
  try {
    scheduler.run();
  } catch (...) {
    session.stage_result = nullptr;  // the scheduler it points to is gone after this call
    throw;
  }
  StageResult result = scheduler.result(plan.target);
  session.stage_result = nullptr;
  return result;
}

struct ExportedImage {
  image::WrittenImage image;
  common::Descriptor root;  // what the names tag: the manifest, or the index holding it
};

// Writes the image into the store, names it and hands it to the local outputs (-o oci|docker|
// tar|local): the "exporting to image" step.
ExportedImage export_outputs(BuildSession& session, const StageResult& result,
                             const std::vector<std::string>& names, ImageRoots& roots,
                             const AnnotationSet& annotations, const image::LayerFormat& format,
                             bool layers_local) {
  BuildStore& store = session.store;
  ProgressSink& progress = session.progress;
  StepId step{session.next_step(), "exporting to image"};
  auto started = Clock::now();
  progress.step_state(step, StepState::kStarted, {});
  ExportedImage out{.image = image::write_image(store.content(), result.config, result.layers,
                                                annotations.manifest),
                    .root = {}};
  roots.hold(out.image.manifest.digest);
  out.root = roots.stored(out.image.manifest);
  progress.step_log(step, "writing image " + out.image.config.digest.str() + "\n");
  if (layers_local) {
    store.with_db([&](snapshot::Database&, snapshot::ImageStore& images) {
      for (const auto& n : names) images.tag(n, out.root);
      return 0;
    });
    for (const auto& n : names) progress.step_log(step, "naming to " + n + "\n");
  } else {
    // A store name promises every blob (mybuild run, check); these stay in the cache registry.
    progress.step_log(step, "not naming it in the store: cached layers stay in the registry\n");
  }
  for (const auto& o : session.request.outputs) {
    if (o.type == "image" || o.type == "registry") continue;
    progress.step_log(step, "exporting " + o.type + " to " + o.dest + "\n");
    common::Descriptor root = out.image.manifest;
    if (o.type == "oci" || o.type == "docker") {
      root = roots.for_layout(
          roots.converted(out.image.manifest, image::output_layer_format(o, format)));
    }
    image::export_image(roots.converter(), store.content(), root, names, o, format);
  }
  progress.step_state(step, StepState::kDone, Clock::now() - started);
  return out;
}

bool wants_push(const BuildRequest& request) {
  bool push = request.push;
  for (const auto& out : request.outputs) {
    auto attr = out.attrs.find("push");
    push |= out.type == "registry" ||
            (out.type == "image" && attr != out.attrs.end() && attr->second == "true");
  }
  return push;
}

// A push and nothing written locally: layers an imported cache holds in a registry may stay
// there (the push mounts them); anything else wants every layer in the store.
bool pushes_only(const BuildRequest& request) {
  for (const auto& out : request.outputs) {
    if (out.type != "image" && out.type != "registry") return false;
  }
  return wants_push(request);
}

// Pushes the image under each name, converted to `format` once (for the first name).
common::Descriptor push_names(BuildSession& session, const image::WrittenImage& image,
                              const std::vector<std::string>& names, ImageRoots& roots,
                              const image::LayerFormat& format) {
  if (names.empty()) {
    throw Error(ErrorKind::kUsage, "--push needs at least one -t/--tag (or the output's name=)");
  }
  ProgressSink& progress = session.progress;
  registry::ClientOptions options = image::registry_client_options(session.request.registry);
  options.cancel = &session.cancel;
  registry::Client client(options);
  std::optional<common::Descriptor> pushed;
  for (const auto& n : names) {
    StepId step{session.next_step(), "pushing " + n};
    auto started = Clock::now();
    progress.step_state(step, StepState::kStarted, {});
    try {
      auto log = [&](std::string_view line) { progress.step_log(step, std::string(line) + "\n"); };
      if (!pushed) pushed = roots.converted(image.manifest, format, log);
      image::PushReport report = image::push_image(
          session.store.content(), *pushed, client, registry::parse_reference(n), log, std::nullopt,
          session.imports ? session.imports->remote_blobs() : nullptr);
      progress.step_log(step, n + ": digest: " + report.digest.str() + "\n");
    } catch (...) {
      progress.step_state(step, StepState::kFailed, Clock::now() - started);
      throw;
    }
    progress.step_state(step, StepState::kDone, Clock::now() - started);
  }
  return *pushed;
}

// The provenance statement maker (empty when --provenance is off); gathered once the stages
// are built, so that every base image is resolved.
StatementMaker statement_maker(BuildSession& session, const BuildInput& input,
                               const common::Platform& platform, const std::string& started_on,
                               const std::vector<std::string>& names) {
  if (!session.request.provenance.on()) return {};
  auto in = std::make_shared<ProvenanceInputs>(
      gather_provenance(session, {.text = input.source.text, .path = input.source.path},
                        session.request.provenance, platform, started_on));
  return [in, names](const common::Descriptor& subject) {
    in->finished_on = now_rfc3339();
    return provenance_statement(*in, names, subject);
  };
}

// --build-arg that no ARG declared (BuildKit's warning).
void warn_unused_args(const BuildSession& session, const parser::Dockerfile& dockerfile) {
  std::vector<std::string> unused;
  for (const auto& [k, v] : session.request.build_args) {
    bool proxy = is_proxy_arg(k);
    bool global = false;
    for (const auto& g : dockerfile.global_args)
      for (const auto& d : g.args) global |= d.name == k;
    // SOURCE_DATE_EPOCH acts on the whole build (timestamps), declared or not.
    bool builtin = k == "SOURCE_DATE_EPOCH";
    if (!proxy && !global && !builtin && !session.consumed_args.count(k)) unused.push_back(k);
  }
  if (unused.empty()) return;
  std::string list;
  for (const auto& u : unused) list += (list.empty() ? "" : " ") + u;
  session.progress.message("WARN: one or more build args were not consumed: [" + list + "]");
}

// The text of line `n` (1-based) of `text`, if it has one.
std::optional<std::string> line_of(const std::string& text, int n) {
  if (n <= 0) return std::nullopt;
  size_t begin = 0;
  for (int i = 1; i < n; ++i) {
    begin = text.find('\n', begin);
    if (begin == std::string::npos) return std::nullopt;
    ++begin;
  }
  size_t end = text.find('\n', begin);
  return text.substr(begin, end == std::string::npos ? end : end - begin);
}

BuildResult build_input(const BuildRequest& request, BuildInput& input, ProgressSink& progress,
                        common::CancelToken& cancel) {
  const std::string started_on = now_rfc3339();
  progress.message(request.isolation.line());  // the first line: how RUN steps are isolated
  parser::Dockerfile dockerfile = parse_dockerfile(input.source, progress);
  common::Platform platform = target_platform(request, progress);
  BuildPlan plan = plan_build(dockerfile, request.build_args, request.target, platform,
                              request.skip_unused_stages);
  std::vector<std::string> names = output_names(request);

  std::filesystem::create_directories(request.store_root);
  BuildStore store(request.store_root);
  snapshot::Database lease_db(snapshot::metadata_path(request.store_root));
  snapshot::LeaseGuard lease(lease_db, std::chrono::hours(24), lease_label(names));
  std::counting_semaphore<64> slots(job_count(request));
  BuildSession session(request, store, *input.context, progress, cancel, dockerfile, plan);
  const LayerFormats formats = layer_formats(request);
  configure_session(session, request, slots);
  CacheImports imports(request, store.content(), cancel);
  session.use_imports(imports, platform);

  StageResult result = build_stages(session, dockerfile, plan);
  for (const auto& [k, v] : request.labels) result.config.config.labels[k] = v;
  add_inline_cache(session, result.config);
  const bool layers_local = imports.ensure(result.layers, /*keep_remote=*/pushes_only(request));
  image::LayerConverter converter(store.content(), lease_db);
  const AnnotationSet annotations = annotations_for(request.annotations, platform);
  ImageRoots roots(store.content(), converter, lease, annotations,
                   statement_maker(session, input, platform, started_on, names));
  ExportedImage exported =
      export_outputs(session, result, names, roots, annotations, formats.output, layers_local);
  BuildResult out;
  if (wants_push(request))
    out.pushed = push_names(session, exported.image, names, roots, formats.push);
  export_caches(session, converter);
  warn_unused_args(session, dockerfile);

  out.manifest = exported.image.manifest;
  out.root = exported.root;
  out.config_digest = exported.image.config.digest;
  out.names = names;
  out.steps = session.total_steps;
  out.cached_steps = session.cached_steps;
  out.cache_bytes_fetched = imports.bytes_fetched();
  return out;
}

}  // namespace

BuildResult build(const BuildRequest& request, ProgressSink& progress,
                  common::CancelToken& cancel) {
  BuildInput input = read_build_input(request);
  try {
    return build_input(request, input, progress, cancel);
  } catch (const common::Error& e) {
    // Only an error that points into this Dockerfile; any other goes on as it is.
    if (!e.where() || e.where()->file != input.source.name) throw;
    auto line = line_of(input.source.text, e.where()->line);
    if (!line) throw;
    throw DockerfileLineError(e, std::move(*line));
  }
}

}  // namespace mybuild::builder
