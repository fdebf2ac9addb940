// The tree a COPY or ADD reads from (tree.h).
#include "builder/copy/tree.h"

#include <sys/stat.h>

#include <chrono>
#include <fstream>

#include "builder/context/git_fetch.h"
#include "builder/context/git_source.h"
#include "builder/copy/add_url.h"
#include "common/error.h"
#include "common/process_owner.h"

namespace mybuild::builder {

using common::Error;
using common::ErrorKind;

namespace {

// Downloads every URL of `urls` into `dir`, replacing each by the file name it got.
void fetch_urls(BuildSession& s, std::vector<std::string>& urls, const std::filesystem::path& dir,
                const std::optional<std::string>& checksum, const common::SourceRange& where) {
  for (auto& url : urls) {
    StepId fetch{s.next_step(), "[internal] fetch " + url};
    auto t0 = std::chrono::steady_clock::now();
    s.progress.step_state(fetch, StepState::kStarted, {});
    try {
      url = download_url(url, dir, checksum, s.cancel).name;
    } catch (Error& e) {
      s.progress.step_state(fetch, StepState::kFailed, std::chrono::steady_clock::now() - t0);
      e.set_where(where);
      throw;
    }
    s.progress.step_state(fetch, StepState::kDone, std::chrono::steady_clock::now() - t0);
  }
}

// ADD <git URL>: the checkout in the state root (context/git_fetch.h), as an "[internal] fetch"
// step; --checksum is the commit it must be, as BuildKit takes it for git sources.
std::filesystem::path fetch_git_tree(BuildSession& s, const CopyPlan& plan,
                                     const common::SourceRange& where) {
  const std::string& url = plan.sources.at(0);
  StepId fetch{s.next_step(), "[internal] fetch " + url};
  auto t0 = std::chrono::steady_clock::now();
  s.progress.step_state(fetch, StepState::kStarted, {});
  try {
    std::optional<GitSource> src = parse_git_source(url);
    if (!src) throw Error(ErrorKind::kDockerfile, "ADD " + url + ": not a git URL mybuild reads");
    if (plan.checksum) src->checksum = *plan.checksum;
    if (plan.keep_git_dir) src->keep_git_dir = true;
    GitCheckout checkout =
        fetch_git_source(*src, s.store.root(), s.cancel, s.request.secrets, s.request.ssh);
    s.progress.step_state(fetch, StepState::kDone, std::chrono::steady_clock::now() - t0);
    return checkout.root;
  } catch (Error& e) {
    s.progress.step_state(fetch, StepState::kFailed, std::chrono::steady_clock::now() - t0);
    e.set_where(where);
    throw;
  }
}

void write_heredocs(const std::vector<HeredocFile>& files, const std::filesystem::path& dir) {
  for (const auto& file : files) {
    const std::filesystem::path path = dir / file.name;
    std::ofstream f(path, std::ios::binary);
    f << file.content;
    f.close();
    if (!f) throw Error(ErrorKind::kResource, "write " + path.string() + ": failed");
    if (::chmod(path.c_str(), 0644) != 0) common::throw_errno("chmod", path.string());
  }
}

}  // namespace

const BuildContext& CopyTree::context() const {
  if (from_) return *from_->context;
  if (local_) return *local_;
  return *build_context_;
}

CopyTree open_copy_tree(BuildSession& session, const StagePlan& stage, const CopyPlan& plan,
                        const common::Platform& platform, const common::SourceRange& where) {
  CopyTree tree;
  tree.build_context_ = &session.context;
  tree.sources_ = plan.sources;
  if (!plan.from.empty()) {
    tree.from_ = open_source(session, stage, plan.from, platform);
    tree.from_chain_ = tree.from_->chain.empty() ? tree.from_->description : tree.from_->chain;
    return tree;
  }
  if (plan.git_source) {
    tree.local_ = std::make_unique<BuildContext>(
        BuildContext::open_directory(fetch_git_tree(session, plan, where), include_everything()));
    tree.sources_ = {"."};  // the repository's files, as ADD of a directory copies its contents
    return tree;
  }
  if (plan.url_count > 0) {
    tree.temp_ = std::make_unique<common::TempDir>(common::owned_prefix("mybuild-add-url-"),
                                                   session.store.root() / "tmp");
    fetch_urls(session, tree.sources_, tree.temp_->path(), plan.checksum, where);
  } else if (plan.heredoc_sources) {
    // Under the root, named by its owner: a killed build's copy is reclaimed (builder/reclaim.h).
    tree.temp_ = std::make_unique<common::TempDir>(common::owned_prefix("mybuild-heredoc-"),
                                                   session.store.root() / "tmp");
    write_heredocs(plan.heredoc_files, tree.temp_->path());
    tree.sources_.clear();
    for (const auto& file : plan.heredoc_files) tree.sources_.push_back(file.name);
  } else {
    return tree;
  }
  tree.local_ = std::make_unique<BuildContext>(
      BuildContext::open_directory(tree.temp_->path(), include_everything()));
  return tree;
}

}  // namespace mybuild::builder
