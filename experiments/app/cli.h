// The stormsim command line, as a function so tests can drive it in-process.
#pragma once

#include <ostream>

namespace stormsim::app {

// Exit codes: 0 ok, 1 simulation error, 2 usage or input error.
enum ExitCode : int { kOk = 0, kSimulationError = 1, kInputError = 2 };

// Runs `stormsim` with the given arguments (argv[0] is the program name),
// writing normal output to `out` and diagnostics to `err`.
int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

const char* version();
// The commit the binary was built from ("unknown" outside a git checkout).
const char* git_commit();
// experiments/default.yaml, embedded at build time.
const char* default_scenario_text();

}  // namespace stormsim::app
