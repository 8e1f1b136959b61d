// Fits the network and memory parts of a device profile.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "calibration/fit/measurements.h"
#include "models/devices/profile.h"

namespace stormsim::calibration {

// Straight lines t(m) = latency + m / bandwidth through (message size,
// one-way time) points, split into segments where one line does not fit:
// while a segment's worst relative residual exceeds `tolerance` and it has
// at least 4 points, it is split at the point that minimises the total
// squared relative error (each part keeps 2 points or more). Latency is the
// intercept, clamped at 0.
std::vector<models::devices::TransferSegment> fit_segments(const std::vector<double>& bytes,
                                                           const std::vector<double>& seconds,
                                                           double tolerance,
                                                           nlohmann::json& residuals);

// TCP: the median 1-byte round trip (the median, since a loopback round
// trip's mean is pulled up by scheduler wake-ups the tail of which is not
// the network's), one stream's and all streams' bandwidth. RDMA (when
// measured): latency segments over the message sweep from one-at-a-time
// WRITE latencies (p50) as one-way times, bandwidth the largest measured.
std::optional<models::devices::NetworkProfile> fit_network(const ProbeRun& run,
                                                           nlohmann::json& residuals);

std::optional<models::devices::MemoryProfile> fit_memory(const ProbeRun& run);

}  // namespace stormsim::calibration
