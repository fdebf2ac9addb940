#include "builder/build.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

#include "builder/stage/build_inputs.h"
#include "builder/context/stdin.h"
#include "builder/stage/build_session.h"
#include "image/push.h"
#include "builder/stage/history_text.h"
#include "image/writer.h"
#include "image/registry_options.h"
#include "image/layer_convert.h"
#include "builder/stage/stage_builder.h"
#include "common/error.h"
#include "common/time.h"
#include "common/io.h"
#include "parser/stages.h"
#include "registry/reference.h"
#include "snapshot/leases.h"

namespace mybuild::builder {

using common::Error;
using common::ErrorKind;
using Clock = std::chrono::steady_clock;

namespace {

struct DockerfileSource {
  std::string text;
  std::string name;  // for error messages
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
    src.path = context_root / (r.dockerfile.empty() ? std::filesystem::path("Dockerfile") : r.dockerfile.relative_path());
  } else {
    src.path = r.dockerfile.empty() ? r.context_dir / "Dockerfile" : r.dockerfile;
  }
  src.name = src.path.string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(src.path, ec)) {
    throw Error(ErrorKind::kNotFound,
                "failed to read dockerfile: open " + src.path.string() + ": no such file or directory");
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
    if (v.rfind("docker/dockerfile", 0) == 0 || v.rfind("docker/dockerfile-upstream", 0) == 0) continue;
    progress.message("WARN: # syntax=" + d.value +
                     " names a frontend image; mybuild does not run frontends and builds the "
                     "Dockerfile with its own stable syntax");
  }
}

}  // namespace

image::LocalImage BuildSession::base_image(const std::string& ref_text, const common::Platform& platform,
                                    const StepId& step) {
  // --build-context NAME=docker-image://REF: the name, as FROM or --from writes it, means REF.
  std::string text = ref_text;
  if (const std::string* dir = named_context_dir(request, ref_text)) {
    throw Error(ErrorKind::kUsage, "build context " + ref_text + " is the directory " + *dir +
                                       ": it can be a COPY --from or a mount source, not an image");
  }
  if (auto it = request.named_contexts.find(ref_text); it != request.named_contexts.end()) {
    text = it->second.substr(kDockerImageContext.size());
  }
  registry::Reference ref = registry::parse_reference(text);
  std::string key = ref.str() + "|" + platform.str();
  std::lock_guard lock(pull_mu);
  if (auto it = pulled.find(key); it != pulled.end()) return it->second;
  std::optional<image::LocalImage> image;
  if (!request.pull) {
    image = store.with_db([&](snapshot::Database&, snapshot::ImageStore& images) {
      return image::find_local_image(store.content(), images, ref, platform);
    });
  }
  if (!image) {
    progress.step_log(step, "pulling " + ref.str() + " for " + platform.str() + "\n");
    if (!client) {
      registry::ClientOptions options = image::registry_client_options(request.registry);
      options.cancel = &cancel;
      client = std::make_unique<registry::Client>(options);
    }
    // A connection of its own: the pull streams for a while and must not hold the store's
    // lock that other stages need for their cache lookups.
    snapshot::Database db(snapshot::metadata_path(store.root()));
    snapshot::ImageStore images(store.content(), db);
    image = image::pull_image(store.content(), images, *client, ref, platform);
  }
  pulled[key] = *image;
  return *image;
}

std::optional<CacheRecord> BuildSession::cache_lookup(const std::string& key) {
  return store.with_db([&](snapshot::Database& db, snapshot::ImageStore&) {
    return BuildCache(db).lookup(key);
  });
}

std::optional<CacheRecord> BuildSession::cache_last(const std::string& locator) {
  return store.with_db([&](snapshot::Database& db, snapshot::ImageStore&) {
    return BuildCache(db).last_for(locator);
  });
}

void BuildSession::cache_store(const CacheRecord& record) {
  store.with_db([&](snapshot::Database& db, snapshot::ImageStore&) {
    BuildCache(db).store(record);
    return 0;
  });
}

BuildResult build(const BuildRequest& request, ProgressSink& progress, common::CancelToken& cancel) {
  auto started = Clock::now();
  // The context first when it is a tar on stdin: the Dockerfile is one of its files.
  std::optional<BuildContext> context;
  ContextOptions copts;
  std::optional<std::string> stdin_dockerfile;
  if (request.context_from_stdin) {
    common::FdReader in(common::UniqueFd(::fcntl(0, F_DUPFD_CLOEXEC, 0)));
    StdinInput input = classify_stdin(in);
    if (input.tar) {
      if (!request.dockerfile.empty()) copts.dockerfile = request.dockerfile.relative_path();
      context.emplace(BuildContext::open_tar(*input.tar, copts));
    } else {
      if (!request.dockerfile.empty()) {
        throw Error(ErrorKind::kUsage, "stdin holds a Dockerfile, not a context archive: -f " +
                                           request.dockerfile.string() + " has nothing to name");
      }
      // docker build - < Dockerfile: the Dockerfile alone, with an empty context.
      stdin_dockerfile = std::move(input.dockerfile_text);
      common::StringReader empty_tar(std::string(1024, '\0'));  // two zero blocks: no entries
      context.emplace(BuildContext::open_tar(empty_tar, copts));
    }
  }
  DockerfileSource source;
  if (stdin_dockerfile) {
    source.text = std::move(*stdin_dockerfile);
    source.name = "Dockerfile";
  } else {
    source = read_dockerfile(request, context ? context->root() : std::filesystem::path());
  }
  if (!context) {
    if (!source.path.empty()) copts.dockerfile = std::filesystem::absolute(source.path);
    context.emplace(BuildContext::open_directory(request.context_dir, copts));
  }
  parser::Dockerfile dockerfile = parser::parse_typed(source.text, source.name);
  for (const auto& w : dockerfile.warnings) {
    std::string where = w.range.file + ":" + std::to_string(w.range.line);
    progress.message("WARN: " + w.message + " (" + where + ")");
  }
  check_syntax_directive(dockerfile, progress);
  common::Platform platform =
      request.platform.empty() ? common::Platform::host() : common::Platform::parse(request.platform);
  if (!(platform.os == common::Platform::host().os &&
        platform.architecture == common::Platform::host().architecture)) {
    progress.message("WARN: building for " + platform.str() + " on " + common::Platform::host().str() +
                     ": RUN steps need QEMU binfmt support for that platform");
  }
  BuildPlan plan = plan_build(dockerfile, request.build_args, request.target, platform,
                              request.skip_unused_stages);
  // The image's names: -t, plus the name= of image and registry outputs (buildx turns -t into
  // exactly that attribute; a comma-separated list when quoted: -o 'type=registry,"name=a,b"').
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


  std::filesystem::create_directories(request.store_root);
  BuildStore store(request.store_root);
  snapshot::Database lease_db(snapshot::metadata_path(request.store_root));
  std::string label = "build";
  for (const auto& n : names) label += " " + n;
  snapshot::LeaseGuard lease(lease_db, std::chrono::hours(24), label);

  int jobs = request.jobs > 0 ? request.jobs : static_cast<int>(std::thread::hardware_concurrency());
  if (jobs < 1) jobs = 1;
  if (jobs > 64) jobs = 64;
  std::counting_semaphore<64> slots(jobs);

  BuildSession session(request, store, *context, progress, cancel, dockerfile, plan);
  int64_t now = request.source_date_epoch.value_or(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  session.created = common::rfc3339(now);
  // Layers stay uncompressed in the store (fast to write and to unpack, as containerd keeps
  // them); --compression is what a push or an -o oci|docker output converts them to.
  session.layer_options.compression = snapshot::Compression::kNone;
  image::LayerFormat out_format = image::parse_layer_format(request.compression, request.compression_level);
  image::LayerFormat push_format = out_format;
  for (const auto& out : request.outputs) {  // checked now: a bad level fails before the build
    image::LayerFormat f = image::output_layer_format(out, out_format);
    if (out.type == "registry" || out.type == "image") push_format = f;
  }
  session.layer_options.source_date_epoch = request.source_date_epoch;
  session.slots = &slots;
  session.memo = std::make_unique<FileHashMemo>(request.store_root / "checksums.db");

  // One thread per needed stage; a stage waits for the stages it reads from.
  std::map<int, std::promise<StageResult>> promises;
  std::map<int, std::shared_future<StageResult>> futures;
  for (int i : plan.needed) futures[i] = promises[i].get_future().share();
  std::mutex futures_mu;  // guards the maps against the on-demand insert below
  session.stage_result = [&](int index) -> const StageResult& {
    std::shared_future<StageResult> future;
    std::promise<StageResult>* build_here = nullptr;  // set when this call builds the stage
    {
      std::lock_guard lock(futures_mu);
      auto it = futures.find(index);
      if (it == futures.end()) {
        if (index < 0 || index >= static_cast<int>(dockerfile.stages.size())) {
          throw Error(ErrorKind::kInternal, "no stage " + std::to_string(index));
        }
        // A stage only a base image's ONBUILD trigger names (COPY --from=<stage>): the plan
        // cannot see it before the base is pulled, so it is built now, on this thread, once.
        build_here = &promises[index];
        it = futures.emplace(index, build_here->get_future().share()).first;
      }
      future = it->second;
    }
    if (build_here) {
      try {
        StageBuilder builder(session, dockerfile.stages[index], plan.stages[index]);
        build_here->set_value(builder.build());
      } catch (...) {
        build_here->set_exception(std::current_exception());
      }
    }
    // Waited for without the lock (the stage may itself ask for others); the map's copy of
    // the future keeps the result alive for the reference.
    return future.get();
  };
  std::mutex error_mu;
  std::exception_ptr first_error;
  bool first_is_cancel = false;
  std::vector<std::thread> threads;
  for (int i : plan.needed) {
    std::promise<StageResult>* promise = &promises[i];  // before any thread can insert
    threads.emplace_back([&, i, promise] {
      try {
        StageBuilder builder(session, dockerfile.stages[i], plan.stages[i]);
        promise->set_value(builder.build());
      } catch (...) {
        auto error = std::current_exception();
        {
          std::lock_guard lock(error_mu);
          bool is_cancel = false;
          try {
            std::rethrow_exception(error);
          } catch (const Error& e) {
            is_cancel = e.kind() == ErrorKind::kCancelled;
          } catch (...) {
          }
          // The error to report is the first real one, not a sibling's "cancelled".
          if (!first_error || (first_is_cancel && !is_cancel)) {
            first_error = error;
            first_is_cancel = is_cancel;
          }
        }
        cancel.cancel();  // the other stages stop at their next step
        promise->set_exception(error);
      }
    });
  }
  for (auto& t : threads) t.join();
  if (first_error) std::rethrow_exception(first_error);

  StageResult result = futures[plan.target].get();
  for (const auto& [k, v] : request.labels) result.config.config.labels[k] = v;

  StepId export_step{session.next_step(), "exporting to image"};
  auto export_started = Clock::now();
  progress.step_state(export_step, StepState::kStarted, {});
  image::WrittenImage image = image::write_image(store.content(), result.config, result.layers);
  lease.add(image.manifest.digest);
  store.with_db([&](snapshot::Database&, snapshot::ImageStore& images) {
    for (const auto& n : names) images.tag(n, image.manifest);
    return 0;
  });
  progress.step_log(export_step, "writing image " + image.config.digest.str() + "\n");
  for (const auto& n : names) progress.step_log(export_step, "naming to " + n + "\n");
  image::LayerConverter converter(store.content(), lease_db);
  for (const auto& out : request.outputs) {
    if (out.type == "image" || out.type == "registry") continue;
    progress.step_log(export_step, "exporting " + out.type + " to " + out.dest + "\n");
    image::export_image(converter, store.content(), image.manifest, names, out, out_format);
  }
  progress.step_state(export_step, StepState::kDone, Clock::now() - export_started);

  bool push = request.push;
  for (const auto& out : request.outputs) push |= out.type == "registry" || (out.type == "image" && out.attrs.count("push") && out.attrs.at("push") == "true");
  if (push) {
    if (names.empty()) {
      throw Error(ErrorKind::kUsage, "--push needs at least one -t/--tag (or the output's name=)");
    }
    registry::ClientOptions options = image::registry_client_options(request.registry);
    options.cancel = &cancel;
    registry::Client client(options);
    std::optional<common::Descriptor> pushed;  // converted once, for the first name
    for (const auto& n : names) {
      StepId push_step{session.next_step(), "pushing " + n};
      auto push_started = Clock::now();
      progress.step_state(push_step, StepState::kStarted, {});
      try {
        auto log = [&](std::string_view line) { progress.step_log(push_step, std::string(line) + "\n"); };
        if (!pushed) pushed = converter.convert(image.manifest, push_format, log).root;
        image::PushReport report = image::push_image(store.content(), *pushed, client, registry::parse_reference(n), log);
        progress.step_log(push_step, n + ": digest: " + report.digest.str() + "\n");
      } catch (...) {
        progress.step_state(push_step, StepState::kFailed, Clock::now() - push_started);
        throw;
      }
      progress.step_state(push_step, StepState::kDone, Clock::now() - push_started);
    }
  }

  // --build-arg that no ARG declared (BuildKit's warning).
  std::vector<std::string> unused;
  for (const auto& [k, v] : request.build_args) {
    bool proxy = is_proxy_arg(k);
    bool global = false;
    for (const auto& g : dockerfile.global_args)
      for (const auto& d : g.args) global |= d.name == k;
    // SOURCE_DATE_EPOCH acts on the whole build (timestamps), declared or not.
    bool builtin = k == "SOURCE_DATE_EPOCH";
    if (!proxy && !global && !builtin && !session.consumed_args.count(k)) unused.push_back(k);
  }
  if (!unused.empty()) {
    std::string list;
    for (const auto& u : unused) list += (list.empty() ? "" : " ") + u;
    progress.message("WARN: one or more build args were not consumed: [" + list + "]");
  }

  BuildResult out;
  out.manifest = image.manifest;
  out.config_digest = image.config.digest;
  out.names = names;
  out.steps = session.total_steps;
  out.cached_steps = session.cached_steps;
  (void)started;
  return out;
}

}  // namespace mybuild::builder
