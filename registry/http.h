// One HTTP exchange over libcurl, for the registry client: connection reuse (a pool of easy
// handles plus a share handle for connections, DNS and TLS sessions), HTTP/2 where the server
// offers it over TLS, proxies from the standard environment variables (libcurl reads
// http_proxy/https_proxy/no_proxy itself), connect and low-speed timeouts so a silent server is
// an error rather than a hang, and TLS with the system CAs plus Docker's per-registry certs.d
// directories. No retries and no auth here: the client decides what a status means.
// Thread-safe: perform() may run on many threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/cancel.h"
#include "common/error.h"
#include "common/io.h"

namespace mybuild::registry {

// The server speaks TLS but trust failed: its certificate did not verify, or it refused the
// handshake with an alert (typically: it wants a client certificate we did not send). A
// subclass so callers can tell it from a server that does not speak TLS at all (only that may
// fall back to plain HTTP), and so that it is not retried: it is not transient.
class TlsVerifyError : public common::Error {
 public:
  explicit TlsVerifyError(std::string message)
      : common::Error(common::ErrorKind::kNetwork, std::move(message)) {}
};

// The TLS handshake completed, then the connection died before any response: a server that
// speaks TLS (so no plain-HTTP fallback) and, most often, one that wants a client certificate
// (TLS 1.3 refuses it after the handshake). Still a network error: it may be transient.
class TlsClosedError : public common::Error {
 public:
  explicit TlsClosedError(std::string message)
      : common::Error(common::ErrorKind::kNetwork, std::move(message)) {}
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  // Request body: `body`, or `body_reader` with `body_size` bytes (streamed, never buffered;
  // -1 when unknown: sent with chunked transfer encoding).
  std::string body;
  common::Reader* body_reader = nullptr;
  int64_t body_size = 0;
  // A 2xx response body streams into `sink` when set; otherwise (and for every non-2xx
  // answer) it is collected into HttpResponse::body up to `max_body` bytes.
  common::Writer* sink = nullptr;
  size_t max_body = 4 << 20;
  // Called once, before the first byte of a 2xx body reaches `sink`, with the status and
  // headers (a resumed download learns here whether the server honoured its Range).
  std::function<void(long status, const struct HttpResponse&)> before_body;
  bool follow_redirects = true;
  const common::CancelToken* cancel = nullptr;
};

struct HttpResponse {
  long status = 0;
  std::multimap<std::string, std::string> headers;  // names lowercased; last response only
  std::string body;
  std::string effective_url;  // after redirects
  uint64_t streamed = 0;      // bytes passed to the sink

  // The first value of a header, or "".
  std::string header(const std::string& lower_name) const;
};

struct TransportOptions {
  std::chrono::seconds connect_timeout{30};
  // A transfer slower than low_speed_limit bytes/s for low_speed_time is aborted: a server that
  // stops answering, or one that drips a byte at a time (a slow-loris) to hold us forever.
  std::chrono::seconds low_speed_time{60};
  int64_t low_speed_limit = 1024;
  // Per-registry TLS material, <dir>/<host[:port]>/{*.crt CA, *.cert + *.key client pair}, as
  // Docker reads /etc/docker/certs.d.
  std::vector<std::filesystem::path> certs_dirs;
};

// /etc/docker/certs.d and mybuild's own ($MYBUILD_CONFIG or ~/.config/mybuild)/certs.d.
std::vector<std::filesystem::path> default_certs_dirs();

class Transport {
 public:
  explicit Transport(TransportOptions options = {});
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Performs the exchange. A status of any kind is a response; throws Error(kNetwork) when no
  // response arrived (DNS, connect, TLS, reset, timeout, too many redirects), naming the URL
  // and libcurl's reason; rethrows whatever the sink threw; kCancelled when cancelled.
  HttpResponse perform(const HttpRequest& request);

  const TransportOptions& options() const { return options_; }

 private:
  struct Shared;
  struct TlsFiles;
  const TlsFiles& tls_for(const std::string& host_port);

  TransportOptions options_;
  std::unique_ptr<Shared> shared_;
  std::mutex tls_mu_;
  std::map<std::string, std::unique_ptr<TlsFiles>> tls_;
};

// "https://host:port/path" -> "host:port" (IPv6 literals keep their brackets).
std::string url_host_port(std::string_view url);

}  // namespace mybuild::registry
