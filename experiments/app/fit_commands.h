// `stormsim fit probe.json -o profile.yaml` and `stormsim validate
// probe.json profile.yaml [-o validation.json]`: the calibration loop's
// fitter and validator (calibration/fit, calibration/validate).
#pragma once

#include <CLI/CLI.hpp>
#include <ostream>
#include <string>

namespace stormsim::app {

struct FitOptions {
  std::string probe;
  std::string out = "profile.yaml";
  bool quiet = false;
};

struct ValidateCommandOptions {
  std::string probe;
  std::string profile;
  std::string out;  // empty: no JSON
};

CLI::App* add_fit_command(CLI::App& app, FitOptions& o);
int command_fit(const FitOptions& o, std::ostream& out);

CLI::App* add_validate_command(CLI::App& app, ValidateCommandOptions& o);
int command_validate(const ValidateCommandOptions& o, std::ostream& out);

}  // namespace stormsim::app
