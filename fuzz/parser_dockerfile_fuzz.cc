// libFuzzer target: any bytes through the raw parser, the dump and the typed conversion. A
// common::Error is the expected outcome for bad input; anything else (a crash, an abort, an
// exception of another type) is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/error.h"
#include "fuzz/antlr_reset.h"
#include "parser/dump.h"
#include "parser/internal/antlr_caches.h"
#include "parser/parse.h"
#include "parser/stages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    mybuild::parser::RawDockerfile raw = mybuild::parser::parse_dockerfile(text, "Dockerfile");
    (void)mybuild::parser::dump(raw.nodes);
    (void)mybuild::parser::parse_stages(raw);
  } catch (const mybuild::common::Error&) {
  }
  if (mybuild::fuzz::antlr_clear_due()) {  // fuzz/antlr_reset.h (no word expansion runs here)
    mybuild::parser::internal::clear_dockerfile_antlr_caches();
  }
  return 0;
}
