#include "experiments/app/fit_commands.h"

#include <fmt/format.h>

#include "calibration/fit/fit.h"
#include "calibration/fit/measurements.h"
#include "calibration/validate/validate.h"
#include "models/devices/profile.h"
#include "sim/atomic_file.h"
#include "sim/units.h"

namespace stormsim::app {

using models::devices::IoOp;

CLI::App* add_fit_command(CLI::App& app, FitOptions& o) {
  CLI::App* cmd =
      app.add_subcommand("fit", "fit a device profile (YAML) to a probe run (probe.v1 JSON)");
  cmd->add_option("probe", o.probe, "probe.json from `stormsim probe` or `stormsim calibrate`")
      ->required();
  cmd->add_option("-o,--output", o.out, "the profile YAML to write (default profile.yaml)");
  cmd->add_flag("-q,--quiet", o.quiet, "print only the profile's path");
  return cmd;
}

namespace {

std::string curve_line(IoOp op, const models::devices::IoCurve& c) {
  using sim::units::Dimension;
  using sim::units::format;
  return fmt::format(
      "  {:<9} a {} B {} max {} {}{}", models::devices::name(op),
      format(c.base_latency.seconds(), Dimension::kTime),
      format(c.transfer_rate.value(), Dimension::kDataRate), format(c.max_iops, Dimension::kOpRate),
      format(c.max_bandwidth.value(), Dimension::kDataRate),
      c.tail_fraction > 0
          ? fmt::format(", tail {:.1f}% x{:.2f}", 100 * c.tail_fraction, 1 + c.tail_scale)
          : std::string());
}

}  // namespace

int command_fit(const FitOptions& o, std::ostream& out) {
  const calibration::ProbeRun run = calibration::read_probe_file(o.probe);
  const calibration::FitResult fit = calibration::fit_probe(run);
  models::devices::write_device_profile(fit.profile, o.out);
  if (!o.quiet) {
    for (const std::string& note : fit.notes)
      out << "fit: note: " << note << "\n";
    if (fit.profile.nvme) {
      out << fmt::format("fit: nvme from {} points, submit overhead {}\n", run.storage.size(),
                         fit.profile.nvme->submit_overhead);
      for (IoOp op : models::devices::kAllIoOps)
        out << curve_line(op, fit.profile.nvme->curve(op)) << "\n";
    }
    if (fit.profile.network) {
      out << fmt::format(
          "fit: tcp round trip {}, {} one stream, {} with {}\n",
          fit.profile.network->tcp.round_trip, fit.profile.network->tcp.stream_bandwidth,
          fit.profile.network->tcp.aggregate_bandwidth, fit.profile.network->tcp.streams);
    }
    if (fit.profile.memory) {
      out << fmt::format("fit: memory copy {} one thread, {} with {}\n",
                         fit.profile.memory->copy_bandwidth_one_thread,
                         fit.profile.memory->copy_bandwidth_all, fit.profile.memory->threads);
    }
  }
  out << "profile: " << o.out << "\n";
  return 0;
}

CLI::App* add_validate_command(CLI::App& app, ValidateCommandOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "validate", "simulate a probe run's matrix with a fitted profile and show the error");
  cmd->add_option("probe", o.probe, "the probe.json the profile was fitted to (or another run)")
      ->required();
  cmd->add_option("profile", o.profile, "profile YAML from `stormsim fit`")->required();
  cmd->add_option("-o,--output", o.out, "also write the table as JSON (validation.v1)");
  return cmd;
}

int command_validate(const ValidateCommandOptions& o, std::ostream& out) {
  const calibration::ProbeRun run = calibration::read_probe_file(o.probe);
  const models::devices::DeviceProfile profile = models::devices::load_device_profile(o.profile);
  const calibration::Validation v = calibration::validate(run, profile);
  out << calibration::validation_table(v);
  if (!o.out.empty()) {
    sim::write_file_atomically(o.out,
                               calibration::validation_json(v, o.probe, o.profile).dump(2) + "\n");
    out << "validation: " << o.out << "\n";
  }
  return 0;
}

}  // namespace stormsim::app
