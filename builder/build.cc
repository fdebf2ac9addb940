#include "builder/build.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include "builder/attest/image_roots.h"
#include "builder/attest/provenance_inputs.h"
#include "builder/context/stdin.h"
#include "builder/git_request.h"
#include "builder/platforms.h"
#include "builder/stage/build_inputs.h"
#include "builder/stage/build_session.h"
#include "builder/stage/cache_export.h"
#include "builder/stage/cache_import.h"
#include "builder/stage/history_text.h"
#include "builder/stage/scheduler.h"
#include "builder/stage/squash.h"
#include "builder/stage/stage_builder.h"
#include "builder/stage/step_locks.h"
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

// The platforms --platform names, each foreign one with the warning that RUN needs emulation
// (checked for real before a RUN step that misses the cache: sandbox/emulation.h).
std::vector<common::Platform> target_platforms(const BuildRequest& request,
                                               ProgressSink& progress) {
  const common::Platform host = common::Platform::host();
  std::vector<common::Platform> platforms = parse_platform_list(request.platform);
  for (const auto& platform : platforms) {
    if (!(platform.os == host.os && platform.architecture == host.architecture)) {
      progress.message("WARN: building for " + platform.str() + " on " + host.str() +
                       ": RUN steps need QEMU binfmt support for that platform");
    }
  }
  return platforms;
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
  if (session.request.single_snapshot) result = squash_build_layers(session, result);
  return result;
}

// One target platform's share of the build: its plan (the automatic platform args differ) and
// its session. Several share the store, the context, the --jobs slots, the step numbers and the
// step locks (step_locks.h), so a stage that does not depend on the target runs once.
struct PlatformBuild {
  common::Platform platform;
  BuildPlan plan;
  std::unique_ptr<BuildSession> session;
  StageResult result;
};
using PlatformBuilds = std::vector<std::unique_ptr<PlatformBuild>>;

// The platforms build at once, each on its own thread (their steps still share the --jobs
// slots). The first failure cancels the others; its error, not their cancellation, is thrown.
void build_platforms(PlatformBuilds& builds, const parser::Dockerfile& dockerfile,
                     common::CancelToken& cancel) {
  if (builds.size() == 1) {
    builds[0]->result = build_stages(*builds[0]->session, dockerfile, builds[0]->plan);
    return;
  }
  std::vector<std::exception_ptr> errors(builds.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < builds.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        builds[i]->result = build_stages(*builds[i]->session, dockerfile, builds[i]->plan);
      } catch (...) {
        errors[i] = std::current_exception();
        cancel.cancel();
      }
    });
  }
  for (auto& t : threads) t.join();
  std::exception_ptr first;
  for (const auto& e : errors) {
    if (!e) continue;
    try {
      std::rethrow_exception(e);
    } catch (const Error& err) {
      if (err.kind() != ErrorKind::kCancelled) std::rethrow_exception(e);
    } catch (...) {
      std::rethrow_exception(e);
    }
    if (!first) first = e;
  }
  if (first) std::rethrow_exception(first);
}

struct ExportedImage {
  std::vector<image::WrittenImage> images;  // one per platform, in --platform order
  common::Descriptor root;                  // what the names tag: the manifest, or an index
  std::vector<common::Descriptor> manifests() const {
    std::vector<common::Descriptor> out;
    for (const auto& i : images) out.push_back(i.manifest);
    return out;
  }
};

// Writes the image into the store, names it and hands it to the local outputs (-o oci|docker|
// tar|local): the "exporting to image" step.
ExportedImage export_outputs(BuildSession& session, const PlatformBuilds& builds,
                             const std::vector<std::string>& names, ImageRoots& roots,
                             const image::LayerFormat& format, bool layers_local) {
  BuildStore& store = session.store;
  ProgressSink& progress = session.progress;
  StepId step{session.next_step(), "exporting to image"};
  auto started = Clock::now();
  progress.step_state(step, StepState::kStarted, {});
  store.wait_for_syncs();  // every snapshot of the build on the disk before an image is named
  ExportedImage out;
  for (const auto& b : builds) {
    const AnnotationSet annotations = annotations_for(session.request.annotations, b->platform);
    out.images.push_back(image::write_image(store.content(), b->result.config, b->result.layers,
                                            annotations.manifest));
    roots.hold(out.images.back().manifest.digest);
    progress.step_log(step, "writing image " + out.images.back().config.digest.str() +
                                (builds.size() > 1 ? " for " + b->platform.str() : "") + "\n");
  }
  out.root = roots.stored(out.manifests());
  if (builds.size() > 1) progress.step_log(step, "writing index " + out.root.digest.str() + "\n");
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
    common::Descriptor root = out.images[0].manifest;
    if (o.type == "oci" || o.type == "docker") {
      root =
          roots.for_layout(roots.converted(out.manifests(), image::output_layer_format(o, format)));
    }
    image::export_image(roots.converter(), store.content(), root, names, o, format);
  }
  progress.step_state(step, StepState::kDone, Clock::now() - started);
  return out;
}

// A root filesystem output (-o type=local|tar) holds one platform (buildx writes one directory
// per platform there, which mybuild does not, yet), and so does a `docker load` archive (buildx's
// docker exporter refuses a manifest list too): refused before anything is built.
void check_multi_platform_outputs(const BuildRequest& request) {
  for (const auto& o : request.outputs) {
    if (o.type == "local" || o.type == "tar" || o.type == "docker") {
      throw Error(ErrorKind::kUsage, "-o type=" + o.type + " with several --platform values (" +
                                         request.platform +
                                         "): it holds one platform; build one at a time for it, "
                                         "or use type=oci|image|registry");
    }
  }
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
common::Descriptor push_names(BuildSession& session, const ExportedImage& image,
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
      if (!pushed) pushed = roots.converted(image.manifests(), format, log);
      image::PushReport report = image::push_image(
          session.store.content(), *pushed, client, registry::parse_reference(n), log, std::nullopt,
          session.imports ? session.imports->remote_blobs() : nullptr,
          [&](const common::Descriptor& blob, int64_t current, bool completed) {
            progress.step_transfer(step, {.id = blob.digest.str(),
                                          .action = "pushing",
                                          .current = current,
                                          .total = blob.size,
                                          .completed = completed});
          });
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
// are built, so that every base image is resolved. Each platform's statement comes from its own
// session, chosen by the subject's platform.
StatementMaker statement_maker(const PlatformBuilds& builds, const BuildInput& input,
                               const std::string& started_on,
                               const std::vector<std::string>& names) {
  if (!builds[0]->session->request.provenance.on()) return {};
  std::map<std::string, std::shared_ptr<ProvenanceInputs>> by_platform;
  for (const auto& b : builds) {
    by_platform[b->platform.str()] = std::make_shared<ProvenanceInputs>(
        gather_provenance(*b->session, {.text = input.source.text, .path = input.source.path},
                          b->session->request.provenance, b->platform, started_on));
  }
  std::shared_ptr<ProvenanceInputs> first = by_platform[builds[0]->platform.str()];
  return [by_platform, first, names](const common::Descriptor& subject) {
    auto it = subject.platform ? by_platform.find(subject.platform->str()) : by_platform.end();
    ProvenanceInputs& in = it == by_platform.end() ? *first : *it->second;
    in.finished_on = now_rfc3339();
    return provenance_statement(in, names, subject);
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

// Plans each target platform and opens its session (builds share what PlatformBuild says).
PlatformBuilds plan_platforms(const BuildRequest& request, const parser::Dockerfile& dockerfile,
                              BuildStore& store, const BuildInput& input, ProgressSink& progress,
                              common::CancelToken& cancel, std::counting_semaphore<64>& slots,
                              std::atomic<int>& step_numbers, StepLocks& step_locks) {
  PlatformBuilds builds;
  const std::vector<common::Platform> platforms = target_platforms(request, progress);
  for (const auto& platform : platforms) {
    auto b = std::make_unique<PlatformBuild>();
    b->platform = platform;
    b->plan = plan_build(dockerfile, request.build_args, request.target, platform,
                         request.skip_unused_stages);
    b->session = std::make_unique<BuildSession>(request, store, *input.context, progress, cancel,
                                                dockerfile, b->plan);
    configure_session(*b->session, request, slots);
    if (platforms.size() > 1) {
      b->session->platform_label = platform.str();
      b->session->shared_step_counter = &step_numbers;
      b->session->step_locks = &step_locks;
    }
    builds.push_back(std::move(b));
  }
  return builds;
}

BuildResult build_input(const BuildRequest& request, BuildInput& input, ProgressSink& progress,
                        common::CancelToken& cancel) {
  const std::string started_on = now_rfc3339();
  progress.message(request.isolation.line());  // the first line: how RUN steps are isolated
  parser::Dockerfile dockerfile = parse_dockerfile(input.source, progress);
  std::vector<std::string> names = output_names(request);

  std::filesystem::create_directories(request.store_root);
  BuildStore store(request.store_root);
  snapshot::Database lease_db(snapshot::metadata_path(request.store_root));
  snapshot::LeaseGuard lease(lease_db, std::chrono::hours(24), lease_label(names));
  std::counting_semaphore<64> slots(job_count(request));
  std::atomic<int> step_numbers{0};
  StepLocks step_locks;
  PlatformBuilds builds = plan_platforms(request, dockerfile, store, input, progress, cancel, slots,
                                         step_numbers, step_locks);
  BuildSession& session = *builds[0]->session;  // the build's own steps: export, push, caches
  const LayerFormats formats = layer_formats(request);
  if (builds.size() > 1) check_multi_platform_outputs(request);
  CacheImports imports(request, store.content(), cancel);
  std::vector<common::Platform> platforms;
  for (const auto& b : builds) platforms.push_back(b->platform);
  session.use_imports(imports, platforms);
  for (const auto& b : builds) b->session->imports = session.imports;

  build_platforms(builds, dockerfile, cancel);
  bool layers_local = true;
  for (const auto& b : builds) {
    for (const auto& [k, v] : request.labels) b->result.config.config.labels[k] = v;
    add_inline_cache(*b->session, b->result.config);
    layers_local &= imports.ensure(b->result.layers, /*keep_remote=*/pushes_only(request));
  }
  image::LayerConverter converter(store.content(), lease_db);
  ImageRoots roots(store.content(), converter, lease,
                   annotations_for(request.annotations, builds[0]->platform),
                   statement_maker(builds, input, started_on, names));
  if (request.force_index) roots.always_index();
  ExportedImage exported =
      export_outputs(session, builds, names, roots, formats.output, layers_local);
  BuildResult out;
  if (wants_push(request)) out.pushed = push_names(session, exported, names, roots, formats.push);
  std::vector<const BuildSession*> sessions;
  for (const auto& b : builds) sessions.push_back(b->session.get());
  export_caches(session, sessions, converter);
  warn_unused_args(session, dockerfile);

  // Several platforms: what buildx reports then, the index (no one config digest stands for it).
  out.manifest = builds.size() > 1 ? exported.root : exported.images[0].manifest;
  out.root = exported.root;
  out.config_digest = builds.size() > 1 ? exported.root.digest : exported.images[0].config.digest;
  out.names = names;
  for (const auto& b : builds) {
    out.steps += b->session->total_steps;
    out.cached_steps += b->session->cached_steps;
  }
  out.cache_bytes_fetched = imports.bytes_fetched();
  return out;
}

}  // namespace

BuildResult build(const BuildRequest& given, ProgressSink& progress, common::CancelToken& cancel) {
  std::optional<LocalRequest> git_request;  // owns the unpacked tarball contexts till the end
  if (has_git_sources(given)) git_request.emplace(with_git_checkouts(given, progress, cancel));
  const BuildRequest& request = git_request ? git_request->request : given;
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
