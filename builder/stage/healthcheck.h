// HEALTHCHECK as a pure function: the image config's Healthcheck the instruction sets, and the
// history text BuildKit writes for it (dockerfile2llb's fmt %v of the HealthConfig struct).
#pragma once

#include <string>

#include "image/config.h"
#include "parser/ast.h"

namespace mybuild::builder {

// HEALTHCHECK NONE -> test ["NONE"]; exec form -> ["CMD", args...]; shell -> ["CMD-SHELL", cmd].
image::Healthcheck healthcheck_of(const parser::Healthcheck& instruction);
// "HEALTHCHECK &{["CMD-SHELL" "true"] "30s" "0s" "0s" "0s" '\x03'}"
std::string healthcheck_history(const image::Healthcheck& h);

}  // namespace mybuild::builder
