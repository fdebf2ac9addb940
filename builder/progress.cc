// progress.h is an interface; this translation unit keeps mybuild_builder a real library while
// the build itself is written (issue 7).
#include "builder/progress.h"
