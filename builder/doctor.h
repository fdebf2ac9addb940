// The CLI's door to the sandbox's host probes (`mybuild doctor`): cli/ may include only builder/
// and common/ (STYLE.md §1), so the builder passes sandbox::run_doctor through unchanged.
#pragma once

#include <vector>

#include "sandbox/doctor.h"

namespace mybuild::builder {

using DoctorCheck = sandbox::DoctorCheck;

std::vector<DoctorCheck> run_doctor();

}  // namespace mybuild::builder
