// The real .dockerignore matcher behind the ContextFilter seam: parser/dockerignore_*.h, Docker's
// pattern language with moby/patternmatcher semantics. BuildContext uses it unless a caller
// (a test) supplies another factory.
#pragma once

#include "builder/context/filter.h"

namespace mybuild::builder {

// Reads the file text as ignorefile.ReadAll does and builds the matcher. A malformed pattern
// is Error(kDockerfile) with the file named in its context.
ContextFilterFactory dockerignore_filter_factory();

}  // namespace mybuild::builder
