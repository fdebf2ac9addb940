// A build request whose contexts are git URLs, made into one on local directories: each git
// context (the main one, --build-context NAME=<git URL>) is fetched (builder/context/git_fetch.h)
// and replaced by the directory of its checkout, said on the progress stream.
#pragma once

#include "builder/build_request.h"
#include "builder/progress.h"
#include "common/cancel.h"

namespace mybuild::builder {

bool has_git_sources(const BuildRequest& r);

// -f, when relative, names a file in the main context's checkout, as buildx reads it from there.
BuildRequest with_git_checkouts(const BuildRequest& given, ProgressSink& progress,
                                const common::CancelToken& cancel);

}  // namespace mybuild::builder
