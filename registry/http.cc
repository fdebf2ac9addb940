#include "registry/http.h"

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <vector>

#include "common/ascii.h"
#include "common/error.h"
#include "common/log.h"
#include "registry/curl_api.h"

namespace mybuild::registry {
namespace {

using common::Error;
using common::ErrorKind;

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// What one perform() call's callbacks share. Callbacks never let an exception cross into
// libcurl (STYLE.md §3): they stash it and return libcurl's error code.
struct Exchange {
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  CURL* handle = nullptr;
  std::string_view body_left;
  std::exception_ptr error;
  bool body_started = false;
  bool got_response = false;  // a status line arrived
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  try {
    std::string_view line(data, size * n);
    if (line.rfind("HTTP/", 0) == 0) {
      ex->got_response = true;
      ex->response->headers.clear();  // a new response (redirect, 100 Continue) starts
      return size * n;
    }
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      ex->response->headers.emplace(common::ascii_lower(std::string(line.substr(0, colon))),
                                    trim(line.substr(colon + 1)));
    }
    return size * n;
  } catch (...) {
    ex->error = std::current_exception();
    return 0;
  }
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  size_t len = size * n;
  try {
    long status = 0;
    curl_api().easy_getinfo(ex->handle, CURLINFO_RESPONSE_CODE, &status);
    if (ex->request->sink && status >= 200 && status < 300) {
      if (!ex->body_started) {
        ex->body_started = true;
        if (ex->request->before_body) ex->request->before_body(status, *ex->response);
      }
      ex->request->sink->write({data, len});
      ex->response->streamed += len;
    } else if (ex->response->body.size() + len <= ex->request->max_body) {
      ex->response->body.append(data, len);
    } else {
      throw Error(ErrorKind::kIntegrity, "response body is larger than " +
                                             std::to_string(ex->request->max_body) + " bytes");
    }
    return len;
  } catch (...) {
    ex->error = std::current_exception();
    return CURL_WRITEFUNC_ERROR;
  }
}

size_t on_read(char* buf, size_t size, size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  try {
    size_t want = size * n;
    if (ex->request->body_reader) return ex->request->body_reader->read({buf, want});
    size_t m = std::min(want, ex->body_left.size());
    std::copy_n(ex->body_left.data(), m, buf);
    ex->body_left.remove_prefix(m);
    return m;
  } catch (...) {
    ex->error = std::current_exception();
    return CURL_READFUNC_ABORT;
  }
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* ex = static_cast<Exchange*>(user);
  return ex->request->cancel && ex->request->cancel->cancelled() ? 1 : 0;
}

void check(CURLcode rc, const char* what) {
  if (rc != CURLE_OK) {
    throw Error(ErrorKind::kInternal,
                std::string("curl_easy_setopt(") + what + "): " + curl_api().easy_strerror(rc));
  }
}

}  // namespace

struct Transport::TlsFiles {
  std::vector<std::filesystem::path> ca_files;
  std::filesystem::path client_cert, client_key;
};

namespace {

// What OpenSSL said about the TLS handshake of this thread's current perform(). Thread-local
// because libcurl's easy interface runs a transfer's TLS on the calling thread, and the info
// callback has no safe pointer back to the exchange (its SSL_CTX belongs to a connection that
// may outlive the exchange in the shared connection cache).
struct TlsTrace {
  bool handshake_done = false;
  int fatal_alert = -1;  // the alert the server sent, if any (RFC 8446 §6)
};
thread_local TlsTrace t_tls;

void on_tls_info(const SSL*, int where, int ret) {
  if (where & SSL_CB_HANDSHAKE_DONE) t_tls.handshake_done = true;
  if ((where & SSL_CB_READ_ALERT) == SSL_CB_READ_ALERT && (ret >> 8) == SSL3_AL_FATAL) {
    t_tls.fatal_alert = ret & 0xff;
  }
}

// Throws TlsVerifyError or TlsClosedError when the handshake shows that the server refused us;
// returns when the failure was something else.
void throw_if_tls_refused(const std::string& msg, const std::string& url,
                          const std::filesystem::path& client_cert,
                          const std::vector<std::filesystem::path>& certs_dirs,
                          const TlsTrace& seen) {
  if (seen.fatal_alert < 0 && !seen.handshake_done) return;
  std::string hint;
  if (!client_cert.empty()) {
    hint = "it may not accept the client certificate " + client_cert.string();
  } else {
    hint = "if it requires a client certificate, put client.cert and client.key in " +
           (certs_dirs.empty() ? std::string("a certs.d directory")
                               : (certs_dirs.back() / url_host_port(url)).string());
  }
  // A fatal alert during the handshake (TLS 1.2 refuses a missing client certificate so): it
  // speaks TLS and said no.
  if (seen.fatal_alert >= 0) {
    throw TlsVerifyError(msg + "; the registry refused the TLS handshake (" +
                         SSL_alert_desc_string_long(seen.fatal_alert) + "): " + hint);
  }
  // TLS 1.3 checks the client's certificate after the client's side of the handshake is done:
  // the refusal is an alert nobody reads, as the connection is gone when the request is sent.
  throw TlsClosedError(msg +
                       "; the registry closed the connection after the TLS handshake: " + hint);
}

// Watches the handshake (on_tls_info) and adds the per-registry CAs to the context libcurl built
// from the system bundle, so both are trusted (CURLOPT_CAINFO would replace the system bundle).
CURLcode on_ssl_ctx(CURL*, void* ssl_ctx, void* user) {
  SSL_CTX_set_info_callback(static_cast<SSL_CTX*>(ssl_ctx), &on_tls_info);
  const auto* files = static_cast<const std::vector<std::filesystem::path>*>(user);
  X509_STORE* store = SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(ssl_ctx));
  for (const auto& f : *files) {
    BIO* bio = BIO_new_file(f.c_str(), "r");
    if (!bio) continue;
    while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      X509_STORE_add_cert(store, cert);  // duplicates are harmless
      X509_free(cert);
    }
    ERR_clear_error();  // end of file shows as an error
    BIO_free(bio);
  }
  return CURLE_OK;
}

}  // namespace

// The connection cache, DNS cache and TLS sessions shared by every handle, and a pool of idle
// easy handles (each keeps its own connections too).
struct Transport::Shared {
  CURLSH* share = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> locks;
  std::mutex pool_mu;
  std::vector<CURL*> idle;

  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Shared*>(user)->locks[data].lock();
  }
  static void unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<Shared*>(user)->locks[data].unlock();
  }
  Shared() {
    share = curl_api().share_init();
    curl_api().share_setopt(share, CURLSHOPT_LOCKFUNC, &Shared::lock);
    curl_api().share_setopt(share, CURLSHOPT_UNLOCKFUNC, &Shared::unlock);
    curl_api().share_setopt(share, CURLSHOPT_USERDATA, this);
    curl_api().share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_api().share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_api().share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
  }
  ~Shared() {
    for (CURL* h : idle) curl_api().easy_cleanup(h);
    curl_api().share_cleanup(share);
  }
  CURL* take() {
    {
      std::lock_guard lk(pool_mu);
      if (!idle.empty()) {
        CURL* h = idle.back();
        idle.pop_back();
        curl_api().easy_reset(h);  // keeps connections and caches, forgets options
        return h;
      }
    }
    CURL* h = curl_api().easy_init();
    if (!h) throw Error(ErrorKind::kResource, "curl_easy_init failed");
    return h;
  }
  void give_back(CURL* h) {
    std::lock_guard lk(pool_mu);
    idle.push_back(h);
  }
};

std::string HttpResponse::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

std::vector<std::filesystem::path> default_certs_dirs() {
  std::vector<std::filesystem::path> dirs = {"/etc/docker/certs.d"};
  if (const char* c = std::getenv("MYBUILD_CONFIG"); c && *c) {
    dirs.emplace_back(std::filesystem::path(c) / "certs.d");
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    dirs.emplace_back(std::filesystem::path(home) / ".config" / "mybuild" / "certs.d");
  }
  return dirs;
}

std::string url_host_port(std::string_view url) {
  if (auto p = url.find("://"); p != std::string_view::npos) url.remove_prefix(p + 3);
  return std::string(url.substr(0, url.find('/')));
}

Transport::Transport(TransportOptions options) : options_(std::move(options)), shared_(nullptr) {
  shared_ = std::make_unique<Shared>();
}

Transport::~Transport() = default;

const Transport::TlsFiles& Transport::tls_for(const std::string& host_port) {
  std::lock_guard lk(tls_mu_);
  auto& slot = tls_[host_port];
  if (slot) return *slot;
  slot = std::make_unique<TlsFiles>();
  for (const auto& dir : options_.certs_dirs) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir / host_port, ec)) {
      auto ext = e.path().extension();
      if (ext == ".crt") slot->ca_files.push_back(e.path());
      if (ext == ".cert") {
        auto key = e.path();
        key.replace_extension(".key");
        if (std::filesystem::exists(key)) {
          slot->client_cert = e.path();
          slot->client_key = key;
        } else {
          common::log::warn("client certificate " + e.path().string() + " has no " +
                            key.filename().string() + "; ignored");
        }
      }
    }
  }
  std::sort(slot->ca_files.begin(), slot->ca_files.end());
  return *slot;
}

HttpResponse Transport::perform(const HttpRequest& req) {
  HttpResponse resp;
  Exchange ex;
  ex.request = &req;
  ex.response = &resp;
  ex.body_left = req.body;
  CURL* h = shared_->take();
  ex.handle = h;
  struct GiveBack {
    Shared* s;
    CURL* h;
    ~GiveBack() { s->give_back(h); }
  } give_back{shared_.get(), h};

  curl_slist* headers = nullptr;
  struct FreeList {
    curl_slist*& l;
    ~FreeList() { curl_api().slist_free_all(l); }
  } free_list{headers};
  for (const auto& hd : req.headers) headers = curl_api().slist_append(headers, hd.c_str());
  // No "Expect: 100-continue" round trip before uploads.
  headers = curl_api().slist_append(headers, "Expect:");

  const TlsFiles& tls = tls_for(url_host_port(req.url));
  char errbuf[CURL_ERROR_SIZE] = {};
  check(curl_api().easy_setopt(h, CURLOPT_SHARE, shared_->share), "SHARE");
  check(curl_api().easy_setopt(h, CURLOPT_URL, req.url.c_str()), "URL");
  check(curl_api().easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf), "ERRORBUFFER");
  check(curl_api().easy_setopt(h, CURLOPT_HTTPHEADER, headers), "HTTPHEADER");
  check(curl_api().easy_setopt(h, CURLOPT_USERAGENT, "mybuild"), "USERAGENT");
  check(curl_api().easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS), "HTTP_VERSION");
  check(curl_api().easy_setopt(h, CURLOPT_NOSIGNAL, 1L), "NOSIGNAL");
  check(curl_api().easy_setopt(h, CURLOPT_CONNECTTIMEOUT, long(options_.connect_timeout.count())),
        "CONNECTTIMEOUT");
  check(curl_api().easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT,
                               long(std::max<int64_t>(1, options_.low_speed_limit))),
        "LOW_SPEED_LIMIT");
  check(curl_api().easy_setopt(h, CURLOPT_LOW_SPEED_TIME, long(options_.low_speed_time.count())),
        "LOW_SPEED_TIME");
  check(curl_api().easy_setopt(h, CURLOPT_FOLLOWLOCATION, req.follow_redirects ? 1L : 0L),
        "FOLLOW");
  check(curl_api().easy_setopt(h, CURLOPT_MAXREDIRS, 10L), "MAXREDIRS");
  // Only http(s), also after a redirect: a registry must not send us to file:// or gopher://.
  check(curl_api().easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https"), "PROTOCOLS_STR");
  check(curl_api().easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"),
        "REDIR_PROTOCOLS_STR");
  check(curl_api().easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header), "HEADERFUNCTION");
  check(curl_api().easy_setopt(h, CURLOPT_HEADERDATA, &ex), "HEADERDATA");
  check(curl_api().easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body), "WRITEFUNCTION");
  check(curl_api().easy_setopt(h, CURLOPT_WRITEDATA, &ex), "WRITEDATA");
  check(curl_api().easy_setopt(h, CURLOPT_NOPROGRESS, 0L), "NOPROGRESS");
  check(curl_api().easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &on_progress), "XFERINFOFUNCTION");
  check(curl_api().easy_setopt(h, CURLOPT_XFERINFODATA, &ex), "XFERINFODATA");
  check(curl_api().easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, &on_ssl_ctx), "SSL_CTX_FUNCTION");
  check(curl_api().easy_setopt(h, CURLOPT_SSL_CTX_DATA, &tls.ca_files), "SSL_CTX_DATA");
  if (!tls.client_cert.empty()) {
    check(curl_api().easy_setopt(h, CURLOPT_SSLCERT, tls.client_cert.c_str()), "SSLCERT");
    check(curl_api().easy_setopt(h, CURLOPT_SSLKEY, tls.client_key.c_str()), "SSLKEY");
  }

  bool has_body = req.body_reader || !req.body.empty();
  if (req.method == "HEAD") {
    check(curl_api().easy_setopt(h, CURLOPT_NOBODY, 1L), "NOBODY");
  } else if (has_body || req.method == "PUT" || req.method == "PATCH") {
    curl_off_t size = req.body_reader ? req.body_size : curl_off_t(req.body.size());
    check(curl_api().easy_setopt(h, CURLOPT_UPLOAD, 1L), "UPLOAD");
    check(curl_api().easy_setopt(h, CURLOPT_INFILESIZE_LARGE, size), "INFILESIZE_LARGE");
    check(curl_api().easy_setopt(h, CURLOPT_READFUNCTION, &on_read), "READFUNCTION");
    check(curl_api().easy_setopt(h, CURLOPT_READDATA, &ex), "READDATA");
    check(curl_api().easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str()), "CUSTOMREQUEST");
  } else if (req.method == "POST") {
    check(curl_api().easy_setopt(h, CURLOPT_POST, 1L), "POST");
    check(curl_api().easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L), "POSTFIELDSIZE");
  } else if (req.method != "GET") {
    check(curl_api().easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str()), "CUSTOMREQUEST");
  }

  t_tls = {};
  CURLcode rc = curl_api().easy_perform(h);
  TlsTrace tls_seen = t_tls;
  if (ex.error) std::rethrow_exception(ex.error);
  if (rc == CURLE_ABORTED_BY_CALLBACK && req.cancel && req.cancel->cancelled()) {
    throw Error(ErrorKind::kCancelled, req.method + " " + req.url + " cancelled");
  }
  if (rc != CURLE_OK) {
    std::string why = curl_api().easy_strerror(rc);
    if (errbuf[0] && why != errbuf) why += " (" + std::string(errbuf) + ")";
    std::string msg = req.method + " " + req.url + ": " + why;
    if (!ex.got_response) {
      throw_if_tls_refused(msg, req.url, tls.client_cert, options_.certs_dirs, tls_seen);
    }
    if (rc == CURLE_PEER_FAILED_VERIFICATION) {
      throw TlsVerifyError(
          msg + "; if the registry uses a private CA, put it in " +
          (options_.certs_dirs.empty()
               ? std::string("a certs.d directory")
               : (options_.certs_dirs.front() / url_host_port(req.url)).string() + "/ca.crt"));
    }
    throw Error(ErrorKind::kNetwork, msg);
  }
  curl_api().easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp.status);
  char* eff = nullptr;
  curl_api().easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff);
  resp.effective_url = eff ? eff : req.url;
  return resp;
}

}  // namespace mybuild::registry
