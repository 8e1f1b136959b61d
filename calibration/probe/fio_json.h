// fio's JSON vocabulary for storage results, so that probe.v1 storage points
// read like fio's own "read" and "write" objects.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "sim/stats/hdr_histogram.h"

namespace stormsim::probe {

// fio's default completion-latency percentiles (its `percentile_list`).
inline constexpr std::array<double, 17> kFioPercentiles{1.0,  5.0,  10.0, 20.0,  30.0, 40.0,
                                                        50.0, 60.0, 70.0, 80.0,  90.0, 95.0,
                                                        99.0, 99.5, 99.9, 99.95, 99.99};

// fio's percentile key: 99.9 -> "99.900000".
std::string fio_percentile_key(double p);

// {"min", "max", "mean", "N", "percentile": {"50.000000": ns, ...}} in ns;
// fio's zeros and no "percentile" when empty.
nlohmann::json fio_latency_json(const sim::stats::HdrHistogram& h, bool with_percentiles);

// The totals of one direction of one job.
struct DirectionStats {
  std::uint64_t ios = 0;
  std::uint64_t bytes = 0;
  std::uint64_t short_ios = 0;
  std::int64_t runtime_ns = 0;
  const sim::stats::HdrHistogram* clat = nullptr;  // from submission done to completion
  const sim::stats::HdrHistogram* lat = nullptr;   // from before submission to completion
};

// fio's per-direction object: io_bytes, io_kbytes, bw_bytes, bw (KiB/s),
// iops, runtime (ms), total_ios, short_ios, drop_ios, clat_ns, lat_ns.
nlohmann::json fio_direction_json(const DirectionStats& s);

}  // namespace stormsim::probe
