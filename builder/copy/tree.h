// Where a COPY or ADD reads from (the effects half of plan.h): the build context, a --from
// stage, image or named context (open_source, builder/stage/source.h), the files an ADD
// fetched from URLs, or the files of COPY heredocs, written to a temp dir.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "builder/context/root.h"
#include "builder/copy/plan.h"
#include "builder/stage/build_session.h"
#include "builder/stage/source.h"
#include "common/temp_dir.h"

namespace mybuild::builder {

// Owns what it opened (the mounted view, the temp dir); movable, context() stays valid.
class CopyTree {
 public:
  const BuildContext& context() const;
  // The main build context: its file hashes may use the session's memo.
  bool is_build_context() const { return !from_ && !local_; }
  // The snapshot chain (or description) of --from, for the cache inputs; "" without --from.
  const std::string& from_chain() const { return from_chain_; }
  // The sources as this tree names them: a fetched URL by its file name, a heredoc by its name.
  const std::vector<std::string>& sources() const { return sources_; }

 private:
  friend CopyTree open_copy_tree(BuildSession&, const StagePlan&, const CopyPlan&,
                                 const common::Platform&, const common::SourceRange&);
  const BuildContext* build_context_ = nullptr;  // the session's; outlives the tree
  std::unique_ptr<OpenSource> from_;
  std::unique_ptr<common::TempDir> temp_;
  std::unique_ptr<BuildContext> local_;  // over temp_
  std::string from_chain_;
  std::vector<std::string> sources_;
};

// Opens the tree `plan` reads. URLs are fetched here, each as an "[internal] fetch URL" step
// (their content is part of the cache key); a failed fetch is located at `where`.
CopyTree open_copy_tree(BuildSession& session, const StagePlan& stage, const CopyPlan& plan,
                        const common::Platform& platform, const common::SourceRange& where);

}  // namespace mybuild::builder
