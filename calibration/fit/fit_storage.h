// Fits an NvmeProfile to the storage points of a probe run.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "calibration/fit/least_squares.h"
#include "calibration/fit/measurements.h"
#include "models/devices/profile.h"

namespace stormsim::calibration {

struct StorageFit {
  models::devices::NvmeProfile nvme;
  nlohmann::json residuals;  // per operation, the knee, the cliff
  std::vector<std::string> notes;
};

// The unloaded completion latency a + s / B of one operation, fitted to
// the median (p50) completion latency of its lowest-queue-depth points
// (queue depth 1 in the probe's matrix). The median, not the mean: a
// virtio disk's rare multi-millisecond completions move the mean of a
// one-second run by 10-50% between runs, and the median is what users
// quote and what the validator checks; the tail is fitted separately.
struct LatencyLine {
  double a = 0;         // s
  double per_byte = 0;  // s/byte (1 / B)
  LinearFit fit;        // over (1, s); empty when fewer than 2 sizes
  bool from_line = false;
};
LatencyLine fit_latency_line(const std::vector<double>& bytes, const std::vector<double>& p50);

// The saturated rate of one operation at knee k (> 0): least squares of
// X^-k = u + v s^k over the saturated points, weighted for relative error,
// max_iops = u^(-1/k), max_bandwidth = v^(-1/k). Negative u or v (noise on
// a bound the data never reach) refits without that term, leaving the bound
// at kUnbounded.
struct SaturationFit {
  double max_iops = 0;
  double max_bandwidth = 0;  // bytes/s
  double max_iops_se = 0;    // standard errors (delta method, given k)
  double max_bandwidth_se = 0;
  int dof = 0;
  double sse = 0;  // sum of squared relative residuals of X
  std::vector<double> relative_residuals;
  LinearFit fit;
};
inline constexpr double kUnbounded = 1e15;
SaturationFit fit_saturation(const std::vector<double>& bytes, const std::vector<double>& iops,
                             double knee);

// Fits every operation; nullopt when there are no storage points.
std::optional<StorageFit> fit_storage(const std::vector<StoragePoint>& points);

// The write cliff of one per-interval bandwidth series: the split into a
// before and an after level with the least squared error, kept when the
// after level is below 70% of the before level and the split explains at
// least 80% of the series' variance. `cache` counts the bytes written
// before the drop (by this point alone: a lower bound when earlier points
// wrote without letting the cache drain).
std::optional<models::devices::WriteCliff> find_write_cliff(const std::vector<double>& series,
                                                            double interval);

}  // namespace stormsim::calibration
