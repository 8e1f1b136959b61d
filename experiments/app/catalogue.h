// `stormsim models [TYPE]`: the catalogue, generated from the declarations.
#pragma once

#include <ostream>
#include <string>

namespace stormsim::app {

// Prints every registered model with its summary, or, given a type, its
// parameters with type, default, range and help. Returns the exit code; an
// unknown type is an input error naming the closest one.
int print_catalogue(const std::string& type, std::ostream& out);

}  // namespace stormsim::app
