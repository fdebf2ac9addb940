#include "builder/run/bind_source.h"

#include <span>
#include <system_error>
#include <vector>

#include "builder/copy/into.h"
#include "builder/copy/sources.h"
#include "common/error.h"

namespace mybuild::builder {

namespace fs = std::filesystem;

bool hides_below(const BuildContext& context, const std::string& rel) {
  const fs::path top = context.host_path(rel);
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(top, ec))) return false;  // a file: resolve checked it
  fs::recursive_directory_iterator it(top, ec), end;
  if (ec) common::throw_errno("opendir", top.string(), ec.value());
  for (; it != end; it.increment(ec)) {
    if (ec) {
      throw common::Error(common::ErrorKind::kResource,
                          "walking bind source " + top.string() + ": " + ec.message());
    }
    const bool is_dir = it->is_directory(ec) && !it->is_symlink(ec);
    const fs::path below = fs::path(rel) / it->path().lexically_relative(top);
    std::string child = below.lexically_normal().generic_string();
    if (child.starts_with("./")) child.erase(0, 2);
    if (!context.visible(child, is_dir)) return true;
  }
  return false;
}

fs::path copy_visible(const BuildContext& context, const std::string& rel,
                      const fs::path& scratch) {
  // Built directly, not through resolve_copy_sources: `rel` is already resolved, and a name
  // with '*' or '[' in it must not be taken as a wildcard.
  CopySource source;
  source.as_written = rel.empty() ? "." : rel;
  source.rel = rel;
  source.name = fs::path(rel).filename().string();
  source.is_dir = fs::is_directory(context.host_path(rel));
  const bool is_dir = source.is_dir;
  // A directory copies its contents into "/tree/"; a file lands at "/file" itself.
  const std::string dest = is_dir ? "/tree/" : "/file";
  const fs::path bound = scratch / (is_dir ? "tree" : "file");
  CopyOptions options;
  options.keep_owner = true;  // as the real bind shows them
  copy_into(scratch, dest, context, std::span<const CopySource>(&source, 1), 1, options);
  return bound;
}

}  // namespace mybuild::builder
