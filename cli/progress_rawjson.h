// `--progress rawjson`: BuildKit's client.SolveStatus as JSON, one object a line, the stream
// `docker buildx build --progress rawjson` prints, so that tools written for buildx read
// mybuild's unchanged. The field names and omitempty rules are BuildKit's Go json tags
// (client/graph.go):
//   {"vertexes":[{"digest":"sha256:…","inputs":["sha256:…"],"name":"[2/3] RUN make",
//                 "started":"2025-01-02T03:04:05.123456789Z","completed":"…","cached":true,
//                 "error":"…"}],
//    "statuses":[{"id":…,"vertex":…,"name":…,"total":…,"current":…,"timestamp":…,
//                 "started":…,"completed":…}],
//    "logs":[{"vertex":"sha256:…","stream":1,"data":"<base64>","timestamp":"…"}],
//    "warnings":[{"vertex":…,"level":1,"short":"<base64>"}]}
// How mybuild's events map onto it:
// - A step is a vertex. Its digest is the sha256 of its name ("[build 2/5] RUN make" names
//   the stage and position, so it is stable from one build to the next), with the step number
//   added only when two steps of a build share a name. Its inputs are the previous step of the
//   same stage (the builder reports no other edges, so COPY --from is not one).
// - A state change re-sends the vertex, as BuildKit does: started, then completed (and cached,
//   or error: "failed", or BuildKit's "context canceled" when cancelled).
// - RUN output is logs on stream 1 (mybuild does not tell stdout from stderr); a cache-miss
//   reason is a log line "cache miss: …" of its step.
// - "WARN: …" messages are warnings (level 1, no vertex); other messages become a completed
//   vertex named by the message, as BuildKit shows its "[internal] …" lines.
// - statuses are byte counts of blob transfers: each layer a FROM step pulls (vertex: that
//   step; id: the layer digest; no name, as BuildKit's downloads have none) and each blob a
//   `pushing NAME` step uploads (name "pushing"; a blob the registry had or mounted completes at
//   its size at once). One status at most every 100 ms per blob while bytes flow, then a last
//   one with current == total and completed set. The context transfer sends none (the context
//   is read in place, never copied).
#pragma once

#include <memory>
#include <ostream>

#include "builder/progress.h"

namespace mybuild::cli {

std::unique_ptr<builder::ProgressSink> make_rawjson_progress(std::ostream& out);

}  // namespace mybuild::cli
