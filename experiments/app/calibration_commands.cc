#include "experiments/app/calibration_commands.h"

#include <nlohmann/json.hpp>
#include <vector>

#include "calibration/probe/fio_import.h"
#include "calibration/probe/probe.h"
#include "sim/atomic_file.h"

namespace stormsim::app {

CLI::App* add_probe_command(CLI::App& app) {
  CLI::App* probe = app.add_subcommand(
      "probe",
      "measure this machine: storage, memory, TCP, RDMA, GPU (see `stormsim probe --help`)");
  // Everything after `probe`, --help included, belongs to the probe.
  probe->prefix_command();
  probe->set_help_flag();
  return probe;
}

int command_probe(const CLI::App& probe, std::ostream& out, std::ostream& err) {
  const std::vector<std::string> args = probe.remaining();
  std::vector<const char*> argv{"stormsim probe"};
  for (const std::string& a : args)
    argv.push_back(a.c_str());
  return probe::probe_main(static_cast<int>(argv.size()), argv.data(), out, err);
}

CLI::App* add_calibrate_command(CLI::App& app, CalibrateOptions& o) {
  CLI::App* cmd = app.add_subcommand("calibrate",
                                     "import measurements from other tools as a probe.v1 document");
  cmd->add_option("--fio", o.fio, "fio's --output-format=json output")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", o.out, "the probe.v1 JSON to write (default probe.json)");
  return cmd;
}

int command_calibrate(const CalibrateOptions& o, std::ostream& out) {
  const nlohmann::json doc = probe::import_fio_file(o.fio);
  sim::write_file_atomically(o.out, doc.dump(2) + "\n");
  out << "calibrate: imported " << o.fio << " into " << o.out << "\n";
  return 0;
}

}  // namespace stormsim::app
