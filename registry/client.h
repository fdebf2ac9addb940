// The registry client: the OCI distribution protocol (distribution-spec spec.md) over the
// Transport, with auth, retries and verification. One Client per build, shared by its threads
// (connections, tokens and endpoint knowledge are shared); every method is thread-safe.
//
// What it verifies: every manifest's bytes against the digest that named it (or the registry's
// Docker-Content-Digest for a tag), and every blob, while it streams, against its descriptor's
// size and digest (kIntegrity on mismatch). It does not know where blobs are stored: blobs
// stream into the caller's Writer and out of the caller's Reader.
//
// Retries: 5xx, 429 (honouring Retry-After) and dropped connections are retried with
// exponential backoff and jitter; interrupted blob downloads resume with a Range request.
// Plain HTTP is used only for loopback registries and those listed as insecure. Pulls try the
// configured mirrors of a registry in order, then the registry itself.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/cancel.h"
#include "common/descriptor.h"
#include "common/io.h"
#include "registry/auth.h"
#include "registry/docker_config.h"
#include "registry/http.h"
#include "registry/reference.h"

namespace mybuild::registry {

struct ClientOptions {
  int max_concurrent_transfers = 4;  // blobs fetched or pushed at once (>= 1)
  // Registries allowed plain HTTP besides loopback ones: "host[:port]" or CIDRs
  // (registry/insecure.h, plain_http_allowed).
  std::vector<std::string> insecure_registries;
  // Pull mirrors per registry domain, tried in order before it: {"docker.io",
  // {"https://mirror.gcr.io"}}. Entries are base URLs or bare host[:port] (then https).
  std::map<std::string, std::vector<std::string>> mirrors;
  TransportOptions transport{.connect_timeout = std::chrono::seconds(30),
                             .low_speed_time = std::chrono::seconds(60),
                             .low_speed_limit = 1024,
                             .certs_dirs = default_certs_dirs()};
  std::filesystem::path docker_config = DockerConfig::default_path();
  int max_attempts = 5;
  std::chrono::milliseconds backoff_base{250};
  std::chrono::milliseconds backoff_max{8000};
  // Blobs up to this size go up in one PUT; larger ones in PATCH chunks of chunk_size.
  int64_t monolithic_max = 32 << 20;
  int64_t chunk_size = 16 << 20;
  const common::CancelToken* cancel = nullptr;
};

// A manifest or index exactly as the registry served it, with its verified descriptor.
struct RawManifest {
  common::Descriptor descriptor;
  std::string body;
};

// What a reference resolves to for one platform.
struct ResolvedImage {
  RawManifest root;      // what the reference names: an index or a manifest
  RawManifest manifest;  // the platform's image manifest (== root when root is a manifest)
  common::Descriptor config;
  std::vector<common::Descriptor> layers;
};

enum class PushOutcome { kExisted, kMounted, kUploaded };

using ReaderFactory = std::function<std::unique_ptr<common::Reader>()>;

class Client {
 public:
  explicit Client(ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Fetches the manifest or index the reference names (tag or digest), verified.
  RawManifest fetch_manifest(const Reference& ref);
  // Resolves a reference to the image for `platform`, choosing from an index when needed.
  // Schema 1 manifests are rejected (kUsage) with a message saying so.
  ResolvedImage resolve(const Reference& ref, const common::Platform& platform);
  // Streams a blob into `sink`, verifying size and digest while it streams; resumes with Range
  // after a dropped connection. On kIntegrity the sink has seen bad bytes: the caller must not
  // commit it (a content-store writer's commit with the expected digest refuses anyway).
  void fetch_blob(const Reference& repo, const common::Descriptor& d, common::Writer& sink);
  // Fetches many blobs, at most max_concurrent_transfers at once; `sink_for` opens a sink per
  // blob and `done` is called (on a worker thread) once its bytes are verified. The first
  // failure cancels the rest and is rethrown here.
  void fetch_blobs(
      const Reference& repo, const std::vector<common::Descriptor>& blobs,
      const std::function<std::unique_ptr<common::Writer>(const common::Descriptor&)>& sink_for,
      const std::function<void(const common::Descriptor&, common::Writer&)>& done);

  bool blob_exists(const Reference& repo, const common::Digest& digest);
  // Uploads a blob unless the registry has it; mounts it from `mount_from` (a repository of
  // the same registry) when given. `open` is called once per attempt.
  PushOutcome push_blob(const Reference& repo, const common::Descriptor& d,
                        const ReaderFactory& open,
                        const std::optional<Reference>& mount_from = std::nullopt);
  // Uploads a blob whose digest is not known before its last byte (a layer compressed as it goes
  // up, image/early_uploads.h): POST, one PATCH streaming `src` to its end (chunked transfer
  // encoding: distribution-spec "streamed upload"), then the closing PUT with the digest of what
  // was sent: `digest_of_sent()`, called after `src` ended, when the caller hashes the bytes
  // anyway (the content store does; the registry checks it), else hashed here. One attempt:
  // `src` cannot be read twice, so the caller keeps a copy (the content store) and push_blob()s
  // it after a failure. Returns the digest and size sent.
  common::Descriptor push_blob_stream(const Reference& repo, common::Reader& src,
                                      const std::function<common::Digest()>& digest_of_sent = {});
  // PUTs a manifest or index under ref's tag (or its digest when it has no tag); returns the
  // digest, checked against the registry's Docker-Content-Digest.
  common::Digest push_manifest(const Reference& ref, std::string_view media_type,
                               std::string_view body);

  // Checks credentials against a registry as `docker login` does (GET /v2/, and a token when
  // the registry uses Bearer auth). Throws kAuth naming the registry when they are refused.
  void check_login(const std::string& domain, const Credentials& creds);

  // For callers that run their own transfers in parallel (image/push.cc).
  int max_concurrent_transfers() const { return std::max(1, options_.max_concurrent_transfers); }

  class BlobVerifier;  // the verifying, resumable sink of fetch_blob (client_blobs.cc)

 private:
  // Base URLs ("https://host:port") serving a domain: mirrors first for pulls, then origin.
  std::vector<std::string> pull_bases(const std::string& domain);
  std::string origin_base(const std::string& domain);
  // Marks a mirror that failed with a network error as down for the rest of this client.
  void mirror_failed(const std::string& base, const common::Error& e);
  // GET /v2/ once per base, to learn its auth challenge before the first real request.
  void ping(const std::string& base);
  // Sends what make() builds, adding auth; answers a 401 by learning the challenge once, and
  // retries network errors, 5xx and 429 (up to `attempts` tries). Returns any final response.
  HttpResponse send(const std::string& base, const Scopes& scopes,
                    const std::function<HttpRequest()>& make, int attempts);
  [[noreturn]] void raise(const HttpResponse& r, const std::string& what, const std::string& base,
                          const Scopes& scopes);
  RawManifest fetch_manifest_from(const std::string& base, const Reference& ref);
  void fetch_blob_from(const std::string& base, const Reference& repo, const common::Descriptor& d,
                       BlobVerifier& sink);
  void upload(const std::string& base, const Reference& repo, const Scopes& scopes,
              std::string location, const common::Descriptor& d, common::Reader& src);
  // A request without a body (HEAD of a blob, the POST that starts an upload), with retries.
  HttpResponse send_bodiless(const std::string& base, const Scopes& scopes,
                             const std::string& method, const std::string& url);
  // The upload session's URL from the POST's 202 answer; raises for any other.
  std::string upload_location(const HttpResponse& r, const std::string& start,
                              const std::string& base, const Scopes& scopes);
  // One request of an upload session, sent once; a 5xx or 429 becomes kNetwork (worth a fresh
  // session), any other status than `want` is final.
  HttpResponse upload_request(const std::string& base, const Scopes& scopes, HttpRequest req,
                              long want);
  void backoff(int attempt, std::optional<std::chrono::milliseconds> retry_after);

  ClientOptions options_;
  Transport transport_;
  Authenticator auth_;
  std::mutex mu_;
  std::map<std::string, std::string> origin_bases_;  // domain -> "https://host:port"
  std::map<std::string, bool> pinged_;
  std::set<std::string> mirror_bases_;  // bases that are mirrors (pinged with fewer tries)
  std::set<std::string> mirrors_down_;
};

}  // namespace mybuild::registry
