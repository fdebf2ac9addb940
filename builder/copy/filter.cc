#include "builder/copy/filter.h"

#include <sys/stat.h>

#include <utility>

#include "builder/context/filter.h"
#include "builder/context/path.h"
#include "builder/copy/wildcard.h"
#include "common/error.h"

namespace mybuild::builder {
namespace {

// `rel` relative to `source` when strictly below it; nullopt for the source itself and for
// paths elsewhere (the view filters nothing there).
std::optional<std::string_view> below(std::string_view source, std::string_view rel) {
  if (source.empty()) return rel.empty() ? std::nullopt : std::optional(rel);
  if (rel.size() <= source.size() + 1 || rel.compare(0, source.size(), source) != 0 ||
      rel[source.size()] != '/') {
    return std::nullopt;
  }
  return rel.substr(source.size() + 1);
}

class NarrowedFilter final : public ContextFilter {
 public:
  NarrowedFilter(const BuildContext& base, std::string source,
                 std::shared_ptr<const parser::DockerignoreMatcher> excludes,
                 std::shared_ptr<const ParentsInclude> include)
      : base_(base),
        source_(std::move(source)),
        excludes_(std::move(excludes)),
        include_(std::move(include)) {}

  bool excluded(std::string_view rel) const override {
    // BuildContext::visible(rel, false) is exactly "the .dockerignore does not exclude it".
    if (!base_.visible(rel, false)) return true;
    auto in = below(source_, rel);
    if (!in) return false;
    if (excludes_ && excludes_->excluded(*in)) return true;
    return include_ && !include_->keeps(*in);
  }

  bool may_reinclude_under(std::string_view dir) const override {
    if (!base_.visible(dir, true)) return false;  // .dockerignore prunes it for good
    auto in = below(source_, dir);
    if (!in) return true;
    if (excludes_ && excludes_->can_skip_dir(*in)) return false;
    if (include_ && !include_->keeps(*in) && !include_->ancestors.contains(std::string(*in))) {
      return false;
    }
    return true;
  }

 private:
  const BuildContext& base_;
  std::string source_;
  std::shared_ptr<const parser::DockerignoreMatcher> excludes_;
  std::shared_ptr<const ParentsInclude> include_;
};

void add_ancestors(std::string_view rel, std::set<std::string>& out) {
  for (size_t slash = rel.find('/'); slash != std::string_view::npos;
       slash = rel.find('/', slash + 1)) {
    out.emplace(rel.substr(0, slash));
  }
}

void walk(const BuildContext& ctx, const std::string& pivot, const std::string& in,
          ParentsInclude& inc) {
  for (const std::string& name : ctx.list(join_rel(pivot, in))) {
    const std::string rel = join_rel(in, name);
    if (inc.pattern->excluded(rel)) {  // "excluded" is the matcher's word for "matched"
      ++inc.matches;
      add_ancestors(rel, inc.ancestors);
      continue;  // everything below a match is copied with it
    }
    struct stat st {};
    if (::lstat(ctx.host_path(join_rel(pivot, rel)).c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      continue;
    }
    bool may_match = false;
    for (const auto& p : inc.pattern->patterns()) may_match |= p.may_match_below(rel);
    if (may_match) walk(ctx, pivot, rel, inc);
  }
}

}  // namespace

bool ParentsInclude::keeps(std::string_view rel) const {
  return !pattern || pattern->excluded(rel);
}

ParentsSource split_parents_source(std::string_view source) {
  ParentsSource out;
  const size_t pivot = source.find("/./");
  if (pivot == std::string_view::npos) {
    out.pattern = clean_in_root(source);
  } else {
    out.pivot = std::string(source.substr(0, pivot));
    if (out.pivot.empty()) out.pivot.push_back('/');  // "/./x": the root (GCC 12 -Wrestrict)
    out.pattern = clean_in_root(source.substr(pivot + 3));
  }
  return out;
}

ParentsInclude find_parents_matches(const BuildContext& context, const std::string& pivot_rel,
                                    const std::string& pattern) {
  ParentsInclude inc;
  if (pattern.empty()) return inc;  // no pattern: the whole pivot
  inc.pattern =
      std::make_shared<const parser::DockerignoreMatcher>(std::vector<std::string>{pattern});
  walk(context, pivot_rel, "", inc);
  return inc;
}

BuildContext narrowed_view(const BuildContext& base, const std::string& source_rel,
                           std::shared_ptr<const parser::DockerignoreMatcher> excludes,
                           std::shared_ptr<const ParentsInclude> include) {
  return base.view(
      std::make_unique<NarrowedFilter>(base, source_rel, std::move(excludes), std::move(include)));
}

NarrowedSources narrow_sources(const BuildContext& context, std::span<const std::string> written,
                               const std::vector<std::string>& excludes, bool parents) {
  NarrowedSources out;
  std::shared_ptr<const parser::DockerignoreMatcher> matcher;
  if (!excludes.empty()) {
    try {
      matcher = std::make_shared<const parser::DockerignoreMatcher>(excludes);
    } catch (common::Error& e) {
      e.add_context("--exclude patterns");
      throw;
    }
  }
  auto add_view = [&](CopySource& src, std::shared_ptr<const ParentsInclude> include) {
    out.views.push_back(
        std::make_unique<BuildContext>(narrowed_view(context, src.rel, matcher, include)));
    src.view = out.views.back().get();
  };
  for (const std::string& src : written) {
    if (!parents) {
      const std::string one[] = {src};
      for (CopySource& s : resolve_copy_sources(context, one, /*allow_empty_wildcard=*/true)) {
        if (s.is_dir && matcher) add_view(s, nullptr);
        out.sources.push_back(std::move(s));
      }
      continue;
    }
    const ParentsSource split = split_parents_source(src);
    const std::string pivot[] = {split.pivot.empty() ? std::string(".") : split.pivot};
    for (CopySource& p : resolve_copy_sources(context, pivot, /*allow_empty_wildcard=*/true)) {
      p.as_written = src;
      if (!p.is_dir) {  // a file pivot is copied as it is (fsutil filters only below a source)
        out.sources.push_back(std::move(p));
        continue;
      }
      std::optional<BuildContext> excluded_view;
      if (matcher) excluded_view.emplace(narrowed_view(context, p.rel, matcher, nullptr));
      auto include = std::make_shared<ParentsInclude>(
          find_parents_matches(excluded_view ? *excluded_view : context, p.rel, split.pattern));
      if (include->pattern && include->matches == 0 && !has_wildcards(split.pattern)) {
        throw common::Error(common::ErrorKind::kNotFound, "\"" + src + "\": not found");
      }
      add_view(p, std::move(include));
      out.sources.push_back(std::move(p));
    }
  }
  return out;
}

}  // namespace mybuild::builder
