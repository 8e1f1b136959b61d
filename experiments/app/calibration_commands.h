// `stormsim probe` (forwards to stormsim-probe) and `stormsim calibrate
// --fio FILE` (imports fio's JSON output as a probe.v1 document).
#pragma once

#include <CLI/CLI.hpp>
#include <ostream>
#include <string>

namespace stormsim::app {

struct CalibrateOptions {
  std::string fio;
  std::string out = "probe.json";
};

// Registers `probe`, which hands every argument after it to the probe.
CLI::App* add_probe_command(CLI::App& app);
int command_probe(const CLI::App& probe, std::ostream& out, std::ostream& err);

CLI::App* add_calibrate_command(CLI::App& app, CalibrateOptions& o);
int command_calibrate(const CalibrateOptions& o, std::ostream& out);

}  // namespace stormsim::app
