#include "builder/doctor.h"

namespace mybuild::builder {

std::vector<DoctorCheck> run_doctor() { return sandbox::run_doctor(); }

}  // namespace mybuild::builder
