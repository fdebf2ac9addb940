// Blob transfers of registry::Client: verified, resumable downloads and HEAD/mount/upload
// pushes (distribution-spec spec.md, "Pulling blobs", "Pushing blobs", "Mounting a blob").
#include <atomic>
#include <thread>

#include "common/error.h"
#include "common/log.h"
#include "registry/client.h"
#include "registry/internal/url.h"

namespace mybuild::registry {
namespace {

using common::Error;
using common::ErrorKind;

// Reads exactly `size` bytes of `src`: an early end is an error, not a short blob.
class ExactReader : public common::Reader {
 public:
  ExactReader(common::Reader& src, int64_t size) : src_(src), left_(size) {}
  size_t read(std::span<char> buf) override {
    if (left_ == 0) return 0;
    size_t want = std::min<size_t>(buf.size(), static_cast<size_t>(left_));
    size_t n = src_.read(buf.first(want));
    if (n == 0) {
      throw Error(ErrorKind::kIntegrity,
                  "blob source ended " + std::to_string(left_) + " bytes early");
    }
    left_ -= static_cast<int64_t>(n);
    return n;
  }

 private:
  common::Reader& src_;
  int64_t left_;
};

std::string blob_url(const std::string& base, const Reference& repo, const common::Digest& d) {
  return base + "/v2/" + repo.path + "/blobs/" + d.str();
}

// Counts the bytes `src` gives, hashing them only when nobody else does.
class SentBytes : public common::Reader {
 public:
  SentBytes(common::Reader& src, bool hash) : src_(src), hash_(hash) {}
  size_t read(std::span<char> buf) override {
    size_t n = src_.read(buf);
    bytes_ += n;
    if (hash_) sha_.update(buf.data(), n);
    return n;
  }
  int64_t bytes() const { return static_cast<int64_t>(bytes_); }
  common::Digest finish() { return sha_.finish(); }

 private:
  common::Reader& src_;
  bool hash_;
  uint64_t bytes_ = 0;
  common::Sha256 sha_;
};

}  // namespace

// Hashes and counts what reaches the caller's sink, refuses bytes past the descriptor's size,
// and on a resumed download skips what the server repeats when it ignored our Range.
class Client::BlobVerifier : public common::Writer {
 public:
  BlobVerifier(common::Writer& out, const common::Descriptor& d) : out_(out), d_(d) {}
  void write(std::string_view data) override {
    size_t drop = std::min<uint64_t>(skip_, data.size());
    skip_ -= drop;
    data.remove_prefix(drop);
    if (data.empty()) return;
    if (written_ + data.size() > static_cast<uint64_t>(d_.size)) {
      throw Error(ErrorKind::kIntegrity, "blob " + d_.digest.str() + " is larger than the " +
                                             std::to_string(d_.size) +
                                             " bytes its descriptor says");
    }
    hash_.update(data);
    out_.write(data);
    written_ += data.size();
  }
  // Before a (re)started body: a 206 continues where we are, a 200 starts over.
  void start(long status, const HttpResponse& r) {
    skip_ = 0;
    if (status != 206) {
      skip_ = written_;
      return;
    }
    // "bytes 100-199/200" (RFC 9110 §14.4).
    std::string cr = r.header("content-range");
    unsigned long long start = 0;
    if (std::sscanf(cr.c_str(), "bytes %llu-", &start) != 1 || start > written_) {
      throw Error(ErrorKind::kNetwork, "resumed download of " + d_.digest.str() +
                                           " got an unusable Content-Range \"" + cr + "\"");
    }
    skip_ = written_ - start;
  }
  uint64_t written() const { return written_; }
  bool complete() const { return written_ == static_cast<uint64_t>(d_.size); }
  common::Digest finish() { return hash_.finish(); }

 private:
  common::Writer& out_;
  const common::Descriptor& d_;
  common::Sha256 hash_;
  uint64_t written_ = 0;
  uint64_t skip_ = 0;
};

void Client::fetch_blob(const Reference& repo, const common::Descriptor& d, common::Writer& sink) {
  try {
    if (d.digest.algorithm() != "sha256") {
      throw Error(ErrorKind::kIntegrity,
                  "unsupported digest algorithm " + std::string(d.digest.algorithm()));
    }
    if (d.size < 0) throw Error(ErrorKind::kIntegrity, "negative blob size");
    BlobVerifier v(sink, d);
    auto bases = pull_bases(repo.domain);
    for (size_t i = 0; i < bases.size(); ++i) {
      try {
        fetch_blob_from(bases[i], repo, d, v);
        break;
      } catch (Error& e) {
        // A mirror may fail in any way but cancellation or corruption: the next endpoint
        // continues from the bytes already verified.
        if (i + 1 == bases.size() || e.kind() == ErrorKind::kCancelled ||
            e.kind() == ErrorKind::kIntegrity) {
          throw;
        }
        mirror_failed(bases[i], e);
        common::log::warn(e.full_message() + "; trying " + bases[i + 1]);
      }
    }
    common::Digest got = v.finish();
    if (got != d.digest) {
      throw Error(ErrorKind::kIntegrity,
                  "blob content has digest " + got.str() + ", expected " + d.digest.str());
    }
  } catch (Error& e) {
    e.add_context("fetching blob " + d.digest.str() + " of " + repo.name());
    throw;
  }
}

void Client::fetch_blob_from(const std::string& base, const Reference& repo,
                             const common::Descriptor& d, BlobVerifier& v) {
  ping(base);
  Scopes scopes = {pull_scope(repo.path)};
  std::string url = blob_url(base, repo, d.digest);
  // A body that ends cleanly but short (no Content-Length) is resumed like a reset one.
  for (int round = 1;; ++round) {
    HttpResponse r = send(
        base, scopes,
        [&] {
          HttpRequest req;
          req.url = url;
          if (v.written() > 0)
            req.headers.push_back("Range: bytes=" + std::to_string(v.written()) + "-");
          req.sink = &v;
          req.max_body = 64 << 10;
          req.before_body = [&v](long status, const HttpResponse& resp) { v.start(status, resp); };
          return req;
        },
        options_.max_attempts);
    if (r.status == 416 && v.written() > 0) {
      // The registry has no bytes past what we have: the blob is shorter than its descriptor.
      throw Error(ErrorKind::kIntegrity, "blob ended after " + std::to_string(v.written()) +
                                             " of " + std::to_string(d.size) +
                                             " bytes (HTTP 416 for the rest)");
    }
    if (r.status != 200 && r.status != 206) raise(r, "GET " + url, base, scopes);
    if (v.complete()) return;
    if (r.streamed == 0 && v.written() < static_cast<uint64_t>(d.size) && d.size > 0 &&
        round >= options_.max_attempts) {
      throw Error(ErrorKind::kIntegrity, "blob ended after " + std::to_string(v.written()) +
                                             " of " + std::to_string(d.size) + " bytes");
    }
    if (round >= options_.max_attempts) {
      throw Error(ErrorKind::kNetwork, "blob still incomplete after " + std::to_string(round) +
                                           " attempts (" + std::to_string(v.written()) + " of " +
                                           std::to_string(d.size) + " bytes)");
    }
    backoff(round, std::nullopt);
  }
}

void Client::fetch_blobs(
    const Reference& repo, const std::vector<common::Descriptor>& blobs,
    const std::function<std::unique_ptr<common::Writer>(const common::Descriptor&)>& sink_for,
    const std::function<void(const common::Descriptor&, common::Writer&)>& done) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex err_mu;
  std::exception_ptr first_error;
  auto worker = [&] {
    for (;;) {
      size_t i = next.fetch_add(1);
      if (i >= blobs.size() || failed.load()) return;
      try {
        auto sink = sink_for(blobs[i]);
        fetch_blob(repo, blobs[i], *sink);
        done(blobs[i], *sink);
      } catch (...) {
        std::lock_guard lk(err_mu);
        if (!first_error) first_error = std::current_exception();
        failed = true;
        return;
      }
    }
  };
  size_t n = std::min<size_t>(std::max(1, options_.max_concurrent_transfers), blobs.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < n; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (first_error) std::rethrow_exception(first_error);
}

bool Client::blob_exists(const Reference& repo, const common::Digest& digest) {
  std::string base = origin_base(repo.domain);
  ping(base);
  Scopes scopes = {pull_scope(repo.path)};
  std::string url = blob_url(base, repo, digest);
  HttpResponse r = send_bodiless(base, scopes, "HEAD", url);
  if (r.status == 200) return true;
  if (r.status == 404) return false;
  raise(r, "HEAD " + url, base, scopes);
}

PushOutcome Client::push_blob(const Reference& repo, const common::Descriptor& d,
                              const ReaderFactory& open,
                              const std::optional<Reference>& mount_from) {
  std::string base = origin_base(repo.domain);
  try {
    ping(base);
    Scopes scopes = {push_scope(repo.path)};
    bool mount = mount_from && mount_from->domain == repo.domain && mount_from->path != repo.path;
    if (mount) scopes.push_back(pull_scope(mount_from->path));
    // HEAD first: a blob the registry has costs one round trip (push is idempotent).
    {
      std::string url = blob_url(base, repo, d.digest);
      HttpResponse r = send_bodiless(base, scopes, "HEAD", url);
      if (r.status == 200) return PushOutcome::kExisted;
      if (r.status != 404) raise(r, "HEAD " + url, base, scopes);
    }
    for (int attempt = 1;; ++attempt) {
      std::string start = base + "/v2/" + repo.path + "/blobs/uploads/";
      if (mount) {
        start = internal::with_query(start, "mount", d.digest.str());
        start = internal::with_query(start, "from", mount_from->path);
      }
      HttpResponse r = send_bodiless(base, scopes, "POST", start);
      if (mount && r.status == 201) return PushOutcome::kMounted;
      std::string location = upload_location(r, start, base, scopes);
      try {
        auto src = open();
        upload(base, repo, scopes, location, d, *src);
        return PushOutcome::kUploaded;
      } catch (Error& e) {
        if (e.kind() != ErrorKind::kNetwork || attempt >= options_.max_attempts) throw;
        common::log::warn(e.message() + "; restarting the upload (attempt " +
                          std::to_string(attempt + 1) + ")");
        backoff(attempt, std::nullopt);
      }
    }
  } catch (Error& e) {
    e.add_context("pushing blob " + d.digest.str() + " to " + repo.name());
    throw;
  }
}

// One upload session: a monolithic PUT, or PATCH chunks then a closing PUT. Each request is
// sent once (its body is a stream): a transient failure restarts the session in push_blob.
HttpResponse Client::send_bodiless(const std::string& base, const Scopes& scopes,
                                   const std::string& method, const std::string& url) {
  return send(
      base, scopes,
      [&] {
        HttpRequest req;
        req.method = method;
        req.url = url;
        return req;
      },
      options_.max_attempts);
}

std::string Client::upload_location(const HttpResponse& r, const std::string& start,
                                    const std::string& base, const Scopes& scopes) {
  if (r.status != 202) raise(r, "POST " + start, base, scopes);
  std::string location = r.header("location");
  if (location.empty()) {
    throw Error(ErrorKind::kNetwork, "POST " + start + ": 202 without a Location header");
  }
  return internal::resolve_location(r.effective_url, location);
}

HttpResponse Client::upload_request(const std::string& base, const Scopes& scopes, HttpRequest req,
                                    long want) {
  HttpResponse r = send(
      base, scopes, [&] { return req; }, 1);
  if (r.status == 401) raise(r, req.method + " " + req.url, base, scopes);
  if (r.status != want) {
    try {
      raise(r, req.method + " upload", base, scopes);
    } catch (Error& raised) {
      // A 5xx or 429 mid-upload is worth a fresh session; anything else is final.
      if (r.status >= 500 || r.status == 429) throw Error(ErrorKind::kNetwork, raised.message());
      throw;
    }
  }
  return r;
}

void Client::upload(const std::string& base, const Reference&, const Scopes& scopes,
                    std::string location, const common::Descriptor& d, common::Reader& src) {
  if (d.size <= options_.monolithic_max) {
    ExactReader body(src, d.size);
    HttpRequest req;
    req.method = "PUT";
    req.url = internal::with_query(location, "digest", d.digest.str());
    req.headers = {"Content-Type: application/octet-stream"};
    req.body_reader = &body;
    req.body_size = d.size;
    upload_request(base, scopes, std::move(req), 201);
    return;
  }
  for (int64_t offset = 0; offset < d.size;) {
    int64_t n = std::min(options_.chunk_size, d.size - offset);
    ExactReader chunk(src, n);
    HttpRequest req;
    req.method = "PATCH";
    req.url = location;
    req.headers = {
        "Content-Type: application/octet-stream",
        "Content-Range: " + std::to_string(offset) + "-" + std::to_string(offset + n - 1)};
    req.body_reader = &chunk;
    req.body_size = n;
    HttpResponse r = upload_request(base, scopes, std::move(req), 202);
    std::string next = r.header("location");
    if (next.empty()) throw Error(ErrorKind::kNetwork, "PATCH upload: 202 without a Location");
    location = internal::resolve_location(r.effective_url, next);
    offset += n;
  }
  HttpRequest put;
  put.method = "PUT";
  put.url = internal::with_query(location, "digest", d.digest.str());
  upload_request(base, scopes, std::move(put), 201);
}

common::Descriptor Client::push_blob_stream(const Reference& repo, common::Reader& src,
                                            const std::function<common::Digest()>& digest_of_sent) {
  std::string base = origin_base(repo.domain);
  try {
    ping(base);
    Scopes scopes = {push_scope(repo.path)};
    std::string start = base + "/v2/" + repo.path + "/blobs/uploads/";
    std::string location =
        upload_location(send_bodiless(base, scopes, "POST", start), start, base, scopes);
    SentBytes body(src, !digest_of_sent);
    HttpRequest patch;
    patch.method = "PATCH";
    patch.url = location;
    patch.headers = {"Content-Type: application/octet-stream"};
    patch.body_reader = &body;
    patch.body_size = -1;  // unknown: libcurl sends it chunked
    HttpResponse sent = upload_request(base, scopes, std::move(patch), 202);
    std::string next = sent.header("location");
    if (next.empty()) throw Error(ErrorKind::kNetwork, "PATCH upload: 202 without a Location");
    common::Descriptor d;
    d.size = body.bytes();
    d.digest = digest_of_sent ? digest_of_sent() : body.finish();
    HttpRequest put;
    put.method = "PUT";
    put.url = internal::with_query(internal::resolve_location(sent.effective_url, next), "digest",
                                   d.digest.str());
    upload_request(base, scopes, std::move(put), 201);
    return d;
  } catch (Error& e) {
    e.add_context("streaming a blob to " + repo.name());
    throw;
  }
}

}  // namespace mybuild::registry
