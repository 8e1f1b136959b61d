// The validator: simulates a probe run's own matrix with a fitted profile
// and compares, point by point (`stormsim validate`).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "calibration/fit/measurements.h"
#include "models/devices/profile.h"

namespace stormsim::calibration {

// One storage point, measured and simulated. Latencies in seconds.
struct StorageRow {
  std::string jobname;
  models::devices::IoOp op = models::devices::IoOp::kRead;
  double bytes = 0;
  int iodepth = 1;
  double measured_iops = 0, predicted_iops = 0;
  double measured_bw = 0, predicted_bw = 0;
  double measured_p50 = 0, predicted_p50 = 0;
  double measured_mean = 0, predicted_mean = 0;
  std::uint64_t simulated_requests = 0;
};

// A network or memory figure, measured and predicted by the profile.
struct ScalarRow {
  std::string section;  // tcp | rdma | memory
  std::string name;     // "bandwidth, 4 streams", "round trip", ...
  std::string unit;     // "B/s" or "s"
  double measured = 0, predicted = 0;
};

// The median and the worst |relative error| of one metric over the rows.
struct ErrorSummary {
  std::string metric;
  std::size_t points = 0;
  double median_abs = 0;
  double worst_abs = 0;
  std::string worst_point;
};

struct Validation {
  std::vector<StorageRow> storage;
  std::vector<ScalarRow> scalars;
  std::vector<ErrorSummary> summary;  // throughput, bandwidth, p50 latency, mean latency, others
};

struct ValidateOptions {
  // Each storage point is simulated for its own runtime, or until this many
  // requests have completed if that comes first (a steady state with
  // deterministic service needs far fewer than a second of a fast drive);
  // writes run their whole runtime when the profile has a write cliff.
  std::uint64_t max_requests = 50000;
  std::uint64_t seed = 1;
};

Validation validate(const ProbeRun& run, const models::devices::DeviceProfile& profile,
                    const ValidateOptions& options = {});

// predicted / measured - 1.
double relative_error(double measured, double predicted);

// The table `stormsim validate` prints: one line per point, then the
// summary lines.
std::string validation_table(const Validation& v);
// The same as a JSON document (schema validation.v1).
nlohmann::json validation_json(const Validation& v, const std::string& probe_file,
                               const std::string& profile_file);

}  // namespace stormsim::calibration
