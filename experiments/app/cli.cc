#include "experiments/app/cli.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "experiments/app/calibration_commands.h"
#include "experiments/app/catalogue.h"
#include "experiments/app/fit_commands.h"
#include "experiments/app/progress.h"
#include "experiments/app/report_command.h"
#include "experiments/app/run_scenario.h"
#include "experiments/app/sweep_command.h"
#include "experiments/app/tco_command.h"
#include "experiments/app/topo_command.h"
#include "models/cost/tco_metrics.h"
#include "models/simulation.h"
#include "sim/atomic_file.h"
#include "sim/chrome_trace.h"
#include "sim/config/error.h"
#include "sim/units.h"

#ifndef STORMSIM_VERSION
#define STORMSIM_VERSION "0.0.0"
#endif

namespace stormsim::app {

const char* version() {
  return STORMSIM_VERSION;
}

namespace {

struct Options {
  ScenarioSource source;
  std::string out_dir;
  std::string type;
  bool quiet = false;
  std::string trace;                 // --trace: Chrome trace path
  std::string trace_cap = "256MiB";  // --trace-cap
  std::int64_t trace_ranks = 64;     // --trace-ranks
};

// The --trace writer, attached to the run's engine until the run ends.
void start_trace(const Options& o, sim::Engine& engine, std::optional<sim::ChromeTraceWriter>& w) {
  if (o.trace.empty())
    return;
  sim::ChromeTraceOptions t;
  const bool digits = o.trace_cap.find_first_not_of("0123456789") == std::string::npos;
  const double cap = digits && !o.trace_cap.empty() ? std::stod(o.trace_cap)
                                                    : sim::units::parse_size(o.trace_cap).value();
  if (!(cap >= 4096))
    throw sim::units::UnitError(
        fmt::format("--trace-cap {}: give at least 4096 bytes (e.g. 256MiB)", o.trace_cap));
  t.max_bytes = static_cast<std::uint64_t>(cap);
  t.max_lanes = o.trace_ranks;
  w.emplace(o.trace, t);
  engine.add_observer(&*w);
}

void add_scenario_options(CLI::App& cmd, Options& o) {
  cmd.add_option("--set", o.source.sets,
                 "override a value: path.to.key=value (components are addressed by name)")
      ->type_name("KEY=VALUE")
      ->take_all()
      ->allow_extra_args(false);
  cmd.add_option("--seed", o.source.seed, "override the scenario's master seed");
}

int command_run(const Options& o, std::ostream& out) {
  models::Simulation sim(load_scenario(o.source));
  std::optional<ProgressObserver> progress;
  if (!o.quiet && ProgressObserver::wanted(stderr)) {
    progress.emplace(stderr, sim.duration());
    sim.engine().add_observer(&*progress);
  }
  std::optional<sim::ChromeTraceWriter> trace;
  start_trace(o, sim.engine(), trace);
  sim.run();
  if (progress)
    sim.engine().remove_observer(&*progress);
  if (trace) {
    sim.engine().remove_observer(&*trace);
    trace->close(sim.end_time());
  }
  const std::filesystem::path dir = o.out_dir.empty()
                                        ? std::filesystem::path("stormsim-out") / sim.name()
                                        : std::filesystem::path(o.out_dir);
  const std::filesystem::path result = dir / "result.json";
  const nlohmann::json doc = result_document(sim, o.source);
  sim::write_file_atomically(result, doc.dump(2) + "\n");
  if (!o.quiet) {
    out << fmt::format("scenario {}: simulated {} in {} events (seed {})\n", sim.name(),
                       sim.end_time(), sim.events_processed(), sim.seed());
    for (const std::string& line : sim.summary())
      out << "  " << line << "\n";
    if (sim.cluster() != nullptr) {
      const auto cost =
          models::cost::run_cost(sim, models::cost::default_price_book(), doc["metrics"]);
      if (cost) {
        for (const std::string& line : cost->tco.summary())
          out << "  cost: " << line << "\n";
      }
    }
  }
  out << fmt::format("result: {}\n", result.string());
  if (trace)
    out << fmt::format("trace: {}{}\n", trace->path().string(),
                       trace->truncated() ? " (truncated at --trace-cap)" : "");
  return kOk;
}

int command_check(const Options& o, std::ostream& out) {
  models::Simulation sim(load_scenario(o.source));
  out << fmt::format("{}: ok, scenario `{}` with {} components\n",
                     o.source.path.empty() ? "<default scenario>" : o.source.path, sim.name(),
                     sim.components().size());
  return kOk;
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"stormsim: a discrete-event simulator of AI storage clusters", "stormsim"};
  app.set_version_flag("--version", fmt::format("stormsim {} ({})", version(), git_commit()));
  app.require_subcommand(1);
  app.failure_message(CLI::FailureMessage::help);

  Options o;
  CLI::App* run = app.add_subcommand("run", "run a scenario and write its result JSON");
  run->add_option("scenario", o.source.path, "scenario YAML (default: the embedded default)")
      ->check(CLI::ExistingFile);
  run->add_option("-o,--out", o.out_dir, "directory for result.json (default: stormsim-out/NAME)");
  run->add_flag("-q,--quiet", o.quiet, "print only the result path");
  run->add_option("--dlio", o.source.dlio,
                  "run an MLCommons DLIO checkpoint workload config (experiments/dlio/) on the "
                  "default cluster instead of a scenario")
      ->check(CLI::ExistingFile)
      ->excludes("scenario");
  run->add_option("--ranks", o.source.ranks,
                  "with --dlio: the number of ranks (default: one per GPU of the cluster)")
      ->needs("--dlio");
  run->add_option("--trace", o.trace,
                  "also write a Chrome trace / Perfetto JSON of the run (per-rank phases, "
                  "bandwidth counters, faults)");
  run->add_option("--trace-cap", o.trace_cap, "size cap of the trace (default 256MiB)")
      ->needs("--trace");
  run->add_option("--trace-ranks", o.trace_ranks,
                  "rank tracks kept per component, evenly spaced (default 64)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 40))
      ->needs("--trace");
  add_scenario_options(*run, o);

  CLI::App* check = app.add_subcommand("check", "validate a scenario without running it");
  check->add_option("scenario", o.source.path, "scenario YAML")
      ->required()
      ->check(CLI::ExistingFile);
  add_scenario_options(*check, o);

  CLI::App* models_cmd = app.add_subcommand("models", "list models, or one model's parameters");
  models_cmd->add_option("type", o.type, "a model's type name");

  TopoOptions topo_options;
  CLI::App* topo_cmd = add_topo_command(app, topo_options);
  TcoOptions tco_options;
  CLI::App* tco_cmd = add_tco_command(app, tco_options);
  SweepOptions sweep_options;
  CLI::App* sweep_cmd = add_sweep_command(app, sweep_options);
  MergeOptions merge_options;
  CLI::App* merge_cmd = add_merge_command(app, merge_options);

  CLI::App* probe_cmd = add_probe_command(app);
  CalibrateOptions calibrate_options;
  CLI::App* calibrate_cmd = add_calibrate_command(app, calibrate_options);
  FitOptions fit_options;
  CLI::App* fit_cmd = add_fit_command(app, fit_options);
  ValidateCommandOptions validate_options;
  CLI::App* validate_cmd = add_validate_command(app, validate_options);
  ReportOptions report_options;
  CLI::App* report_cmd = add_report_command(app, report_options);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::ostringstream cli_out, cli_err;
    const int code = app.exit(e, cli_out, cli_err);
    out << cli_out.str();
    err << cli_err.str();
    return code == 0 ? kOk : kInputError;
  }

  try {
    if (*run)
      return command_run(o, out);
    if (*check)
      return command_check(o, out);
    if (*models_cmd)
      return print_catalogue(o.type, out);
    if (*topo_cmd)
      return command_topo(topo_options, out);
    if (*tco_cmd)
      return command_tco(tco_options, out);
    if (*sweep_cmd)
      return command_sweep(sweep_options, out);
    if (*merge_cmd)
      return command_merge(merge_options, out);
    if (*probe_cmd)
      return command_probe(*probe_cmd, out, err);
    if (*calibrate_cmd)
      return command_calibrate(calibrate_options, out);
    if (*fit_cmd)
      return command_fit(fit_options, out);
    if (*validate_cmd)
      return command_validate(validate_options, out);
    if (*report_cmd)
      return command_report(report_options, out, err);
  } catch (const sim::config::ConfigError& e) {
    err << "stormsim: error: " << e.what() << "\n";
    return kInputError;
  } catch (const sim::units::UnitError& e) {
    err << "stormsim: error: " << e.what() << "\n";
    return kInputError;
  } catch (const sim::OutputError& e) {
    err << "stormsim: error: " << e.what() << "\n";
    return kInputError;
  } catch (const sim::SimulationError& e) {
    err << "stormsim: simulation error: " << e.what() << "\n";
    return kSimulationError;
  } catch (const std::exception& e) {
    err << "stormsim: error: " << e.what() << "\n";
    return kSimulationError;
  }
  return kOk;
}

}  // namespace stormsim::app
