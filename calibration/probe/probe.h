// stormsim-probe: measures the machine it runs on (storage through io_uring,
// TCP, RDMA, memory and GPU copies) and writes one probe.v1 JSON document
// for the calibration fitter.
#pragma once

#include <ostream>

namespace stormsim::probe {

// Runs the probe with the given arguments (argv[0] is the program name),
// writing progress lines to `out` (to `err` when the JSON goes to stdout)
// and diagnostics to `err`. Exit codes: report.h's ExitCode, 128 + signal
// when interrupted. `stormsim probe` forwards here.
int probe_main(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace stormsim::probe
