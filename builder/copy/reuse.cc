// CopyManifest records, their file store, and the checks that allow a COPY to start from its
// previous result (reuse.h).
#include "builder/copy/reuse.h"

#include <sys/xattr.h>

#include <charconv>
#include <fstream>

#include "builder/context/checksum_memo.h"
#include "common/digest.h"
#include "common/error.h"
#include "common/io.h"
#include "common/log.h"

namespace mybuild::builder {

namespace {

constexpr std::string_view kManifestMagic = "mybuild-copy-manifest 1";

int64_t ns_of(const struct timespec& t) { return int64_t{t.tv_sec} * 1000000000 + t.tv_nsec; }

// Splits off the text up to `sep` (or the end) from `rest`.
std::string_view take_field(std::string_view& rest, char sep) {
  const size_t at = rest.find(sep);
  std::string_view field = rest.substr(0, at);
  rest = at == std::string_view::npos ? std::string_view() : rest.substr(at + 1);
  return field;
}

template <typename T>
bool parse_number(std::string_view& rest, T& out) {
  std::string_view field = take_field(rest, ' ');
  auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), out);
  return ec == std::errc() && end == field.data() + field.size();
}

// "<dev> <ino> <size> <mtime> <ctime> <mode> <uid> <gid>\t<src>\t<dst>"
bool parse_file_line(std::string_view rest, CopyManifest& m) {
  std::string_view numbers = take_field(rest, '\t');
  CopiedFile f;
  if (!parse_number(numbers, f.dev) || !parse_number(numbers, f.ino) ||
      !parse_number(numbers, f.size) || !parse_number(numbers, f.mtime_ns) ||
      !parse_number(numbers, f.ctime_ns) || !parse_number(numbers, f.mode) ||
      !parse_number(numbers, f.uid) || !parse_number(numbers, f.gid) || !numbers.empty()) {
    return false;
  }
  f.src = std::string(take_field(rest, '\t'));
  if (rest.empty()) return false;
  m.files.emplace(std::string(rest), std::move(f));
  return true;
}

bool plain_path(const std::string& p) { return p.find_first_of("\t\n") == std::string::npos; }

}  // namespace

std::string format_copy_manifest(const CopyManifest& m) {
  std::string out(kManifestMagic);
  out += "\nsnapshot " + m.snapshot + "\n";
  if (!m.layer.empty()) out += "layer " + m.layer + "\n";
  if (m.source_date_epoch) out += "epoch " + std::to_string(*m.source_date_epoch) + "\n";
  for (const std::string& top : m.tops) out += "top " + top + "\n";
  out.reserve(out.size() + m.files.size() * 120);
  for (const auto& [dst, f] : m.files) {
    out += "file ";
    for (int64_t n : {int64_t(f.dev), int64_t(f.ino), f.size, f.mtime_ns, f.ctime_ns,
                      int64_t{f.mode}, int64_t{f.uid}, int64_t{f.gid}}) {
      out += std::to_string(n);
      out += ' ';
    }
    out.back() = '\t';
    out += f.src + "\t" + dst + "\n";
  }
  return out;
}

std::optional<CopyManifest> parse_copy_manifest(std::string_view text) {
  if (take_field(text, '\n') != kManifestMagic) return std::nullopt;
  CopyManifest m;
  while (!text.empty()) {
    std::string_view line = take_field(text, '\n');
    std::string_view kind = take_field(line, ' ');
    if (kind == "snapshot") {
      m.snapshot = std::string(line);
    } else if (kind == "layer") {
      m.layer = std::string(line);
    } else if (kind == "epoch") {
      int64_t epoch = 0;
      if (!parse_number(line, epoch)) return std::nullopt;
      m.source_date_epoch = epoch;
    } else if (kind == "top") {
      m.tops.emplace(line);
    } else if (kind != "file" || !parse_file_line(line, m)) {
      return std::nullopt;
    }
  }
  if (m.snapshot.empty()) return std::nullopt;
  return m;
}

std::string copy_reuse_scope(const nlohmann::json& inputs) {
  nlohmann::json scope = nlohmann::json::object();
  for (const auto& [name, value] : inputs.items()) {
    if (!std::string_view(name).starts_with(copy_key::kFilesOf)) scope[name] = value;
  }
  return std::string(common::Digest::sha256_of(scope.dump()).hex());
}

bool copy_reusable(const CopyPlan& plan, bool from_build_context,
                   std::span<const CopySource> sources) {
  if (plan.op != "COPY" || !plan.from.empty() || !from_build_context || plan.link_layer ||
      plan.heredoc_sources || plan.url_count > 0 || plan.git_source) {
    return false;
  }
  if (plan.chown.find_first_not_of("0123456789:") != std::string::npos) return false;
  for (const CopySource& s : sources) {
    if (s.view != nullptr) return false;  // --exclude or --parents
  }
  return true;
}

bool same_context_file(const CopiedFile& then, const std::string& src, const struct stat& now) {
  return then.src == src && then.dev == now.st_dev && then.ino == now.st_ino &&
         then.size == now.st_size && then.mtime_ns == ns_of(now.st_mtim) &&
         then.ctime_ns == ns_of(now.st_ctim) && then.mode == now.st_mode &&
         then.uid == now.st_uid && then.gid == now.st_gid;
}

CopyRecorder::CopyRecorder() : started_ns_(realtime_now_ns()) {}

CopyRecorder::CopyRecorder(CopyManifest earlier, std::filesystem::path earlier_upper)
    : earlier_(std::move(earlier)),
      earlier_upper_(std::move(earlier_upper)),
      started_ns_(realtime_now_ns()) {}

std::optional<std::filesystem::path> CopyRecorder::earlier(const std::string& src,
                                                           const std::string& dst,
                                                           const struct stat& st) const {
  if (!earlier_) return std::nullopt;
  auto it = earlier_->files.find(dst);
  if (it == earlier_->files.end() || !same_context_file(it->second, src, st)) return std::nullopt;
  return earlier_upper_ / dst;
}

void CopyRecorder::copied(const std::string& src, const std::string& dst, const struct stat& st) {
  if (!plain_path(src) || !plain_path(dst)) {
    now_.complete = false;
    return;
  }
  if (!safe_to_remember(file_identity(st), started_ns_)) {
    now_.files.erase(dst);  // copied again next time
    return;
  }
  CopiedFile f{src,
               static_cast<uint64_t>(st.st_dev),
               static_cast<uint64_t>(st.st_ino),
               st.st_size,
               ns_of(st.st_mtim),
               ns_of(st.st_ctim),
               st.st_mode,
               st.st_uid,
               st.st_gid};
  now_.files.insert_or_assign(dst, std::move(f));
}

void CopyRecorder::created(const std::string& dst) {
  if (dst.find('/') != std::string::npos) return;
  if (!plain_path(dst)) now_.complete = false;
  now_.tops.insert(dst);
}

std::optional<CopyManifest> load_copy_manifest(const std::filesystem::path& root,
                                               const std::string& scope) {
  const auto path = root / "copy-reuse" / scope;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  try {
    return parse_copy_manifest(common::read_file(path, size_t{1} << 30));
  } catch (const common::Error& e) {
    common::log::debug("COPY reuse: " + std::string(e.what()) + ": copying everything");
    return std::nullopt;
  }
}

void store_copy_manifest(const std::filesystem::path& root, const std::string& scope,
                         const CopyManifest& manifest) {
  const auto dir = root / "copy-reuse";
  // The step is done: a manifest that cannot be written costs the next build its head start,
  // never this build its result.
  try {
    std::filesystem::create_directories(dir);
    if (manifest.complete) {
      common::write_file_atomic(dir / scope, format_copy_manifest(manifest));
    } else {
      forget_copy_manifest(root, scope);  // an older one stays valid, but would seed from older
    }
  } catch (const std::exception& e) {
    common::log::warn("COPY: recording what it copied in " + dir.string() + ": " + e.what());
  }
}

void forget_copy_manifest(const std::filesystem::path& root, const std::string& scope) {
  std::error_code ec;
  std::filesystem::remove(root / "copy-reuse" / scope, ec);
  if (ec) common::log::debug("COPY reuse: removing manifest " + scope + ": " + ec.message());
}

size_t forget_orphan_copy_manifests(const std::filesystem::path& root,
                                    const std::function<bool(const std::string&)>& committed) {
  size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root / "copy-reuse", ec)) {
    // The snapshot is named on the line after the magic; the files below need not be read.
    std::ifstream in(entry.path());
    std::string magic, line;
    std::getline(in, magic);
    std::getline(in, line);
    std::string_view rest = line;
    const bool names_one = magic == kManifestMagic && take_field(rest, ' ') == "snapshot";
    if (names_one && !rest.empty() && committed(std::string(rest))) continue;
    std::error_code rm;
    if (std::filesystem::remove(entry.path(), rm)) ++removed;
  }
  return removed;
}

bool opaque_directory(const std::filesystem::path& dir) {
  char v[2] = {};
  for (const char* key : {"trusted.overlay.opaque", "user.overlay.opaque"}) {
    if (::lgetxattr(dir.c_str(), key, v, sizeof v) == 1 && v[0] == 'y') return true;
  }
  return false;
}

bool earlier_upper_usable(const std::filesystem::path& upper, const CopyManifest& manifest,
                          const std::filesystem::path& parent) {
  std::error_code ec;
  bool any = false;
  for (const auto& entry : std::filesystem::directory_iterator(upper, ec)) {
    any = true;
    const bool dir = entry.is_directory(ec) && !entry.is_symlink(ec);
    if (dir && opaque_directory(entry.path())) return false;
    const std::string name = entry.path().filename().string();
    if (manifest.tops.contains(name) || manifest.files.contains(name)) continue;
    struct stat st {};
    const auto below = parent / name;
    if (!dir || parent.empty() || ::lstat(below.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return false;  // not what this copy leaves there
    }
  }
  return !ec && any;
}

}  // namespace mybuild::builder
