// `mybuild doctor`: prints what this host allows the sandbox (builder/doctor.h) and, for each
// thing missing, the command that fixes it. Exits 1 when something required is missing.
#include <ostream>

#include "builder/doctor.h"
#include "cli/commands.h"
#include "common/error.h"

namespace mybuild::cli {

void add_doctor_command(CLI::App& app, std::ostream& out) {
  auto* doctor = app.add_subcommand("doctor", "Check what this host allows (rootless setup too)");
  doctor->callback([&out] {
    int missing = 0;
    for (const auto& c : builder::run_doctor()) {
      const char* mark = "ok     ";
      if (c.state == builder::DoctorCheck::State::kWarning) mark = "warning";
      if (c.state == builder::DoctorCheck::State::kMissing) {
        mark = "MISSING";
        ++missing;
      }
      out << mark << "  " << c.name << ": " << c.detail << "\n";
      if (!c.fix.empty()) out << "         fix: " << c.fix << "\n";
    }
    out.flush();
    if (missing > 0) {
      throw common::Error(common::ErrorKind::kSandbox,
                          std::to_string(missing) + " sandbox requirement(s) missing (see above)");
    }
  });
}

}  // namespace mybuild::cli
