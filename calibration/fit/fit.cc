#include "calibration/fit/fit.h"

#include "calibration/fit/fit_network.h"
#include "calibration/fit/fit_storage.h"

namespace stormsim::calibration {

FitResult fit_probe(const ProbeRun& run) {
  FitResult out;
  out.notes = run.notes;
  out.profile.source = run.source;
  out.profile.residuals = nlohmann::json::object();
  if (auto storage = fit_storage(run.storage)) {
    out.profile.nvme = storage->nvme;
    out.profile.residuals["nvme"] = storage->residuals;
    out.notes.insert(out.notes.end(), storage->notes.begin(), storage->notes.end());
  } else if (!run.storage.empty()) {
    out.notes.push_back("storage: no operation could be fitted");
  }
  nlohmann::json network_residuals = nlohmann::json::object();
  out.profile.network = fit_network(run, network_residuals);
  if (out.profile.network)
    out.profile.residuals["network"] = network_residuals;
  out.profile.memory = fit_memory(run);
  return out;
}

}  // namespace stormsim::calibration
