// A build request whose contexts are remote, made into one on local directories: each git
// context (the main one, --build-context NAME=<git URL>) is fetched (builder/context/git_fetch.h)
// and replaced by the directory of its checkout; each tarball URL (`mybuild build
// https://host/ctx.tar.gz`, --build-context NAME=https://…) is downloaded and unpacked as an
// untrusted tar (builder/context/tar.h) into a temporary directory the result owns. Each is
// said on the progress stream.
#pragma once

#include <memory>
#include <vector>

#include "builder/build_request.h"
#include "builder/progress.h"
#include "common/cancel.h"
#include "common/temp_dir.h"

namespace mybuild::builder {

bool has_git_sources(const BuildRequest& r);

struct LocalRequest {
  BuildRequest request;
  std::vector<std::unique_ptr<common::TempDir>> temps;  // the unpacked tarballs
};

// -f, when relative, names a file in the main context's checkout, as buildx reads it from there.
// A URL whose content is not an archive is the Dockerfile, with an empty context (docker's rule).
LocalRequest with_git_checkouts(const BuildRequest& given, ProgressSink& progress,
                                const common::CancelToken& cancel);

}  // namespace mybuild::builder
