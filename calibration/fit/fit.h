// The fitter: a probe run in, a device profile out (`stormsim fit`).
#pragma once

#include <string>
#include <vector>

#include "calibration/fit/measurements.h"
#include "models/devices/profile.h"

namespace stormsim::calibration {

struct FitResult {
  models::devices::DeviceProfile profile;
  std::vector<std::string> notes;  // what could not be fitted, and why
};

// Fits every section the run has: NVMe curves from storage, network from
// TCP (and RDMA), memory bandwidth. The profile's `source` is the run's
// facts, `residuals` the fit's residuals and standard errors per curve.
FitResult fit_probe(const ProbeRun& run);

}  // namespace stormsim::calibration
