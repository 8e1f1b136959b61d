// `stormsim report RESULT_OR_SWEEP [-o DIR]`: figures (PDF, SVG, PNG) and a
// self-contained DIR/index.html, drawn by viz/report.py with Debian's
// python3-matplotlib.
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace stormsim::app {

struct ReportOptions {
  std::string input;  // result.json, a sweep folder or its sweep.json, a validation report
  std::string out;    // empty: a `report` folder beside the input
};

// Declares the `report` subcommand on `app`, filling `o`.
CLI::App* add_report_command(CLI::App& app, ReportOptions& o);

// Finds the viz folder and a Python with matplotlib, runs viz/report.py on
// the input and returns its exit status (0 ok, 2 bad input). Its output is
// passed on to `out` and `err`. A missing viz folder, Python or matplotlib
// is exit status 2 with a message naming what is missing and how to get it.
int command_report(const ReportOptions& o, std::ostream& out, std::ostream& err);

// Where the figures go by default: INPUT/report for a sweep folder, else a
// `report` folder in the input file's folder.
std::filesystem::path default_report_dir(const std::filesystem::path& input);

// The folder holding report.py: $STORMSIM_VIZ_DIR when set, else the source
// tree's viz/ this binary was built from. nullopt when neither has it.
std::optional<std::filesystem::path> find_viz_dir();

// The Python to run: $STORMSIM_PYTHON when set, else /usr/bin/python3 (on
// Debian the one python3-matplotlib installs into, where a pyenv or virtual
// environment on PATH may lack it), else python3 on PATH.
std::optional<std::filesystem::path> find_python();

// Runs argv[0] with the arguments (no shell), collecting its stdout and
// stderr; returns its exit status, or 128 + the signal that ended it.
int run_program(const std::vector<std::string>& argv, std::string& stdout_text,
                std::string& stderr_text);

}  // namespace stormsim::app
