// The percentile definition shared by every histogram, and the percentiles
// their JSON reports.
#pragma once

#include <array>
#include <cassert>
#include <cstdint>
#include <limits>
#include <utility>

namespace stormsim::sim::stats {

// What a statistic of no samples (a mean, a percentile) is.
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Percentiles written by every histogram's to_json(), with their keys. Keys
// avoid dots so that jq paths like `.p999` work.
inline constexpr std::array<std::pair<double, const char*>, 5> kReportedPercentiles{{
    {50.0, "p50"},
    {90.0, "p90"},
    {99.0, "p99"},
    {99.9, "p999"},
    {99.99, "p9999"},
}};

// The p-th percentile (p in [0, 100]) of n > 0 samples by linear
// interpolation between the closest ranks: numpy's default 'linear' method,
// Hyndman & Fan type 7. With x the sorted samples, h = (n - 1) p / 100 and
// the result is x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]), so
// p = 0 is the minimum, p = 100 the maximum and p = 50 the usual median.
// value_at(r) returns x[r], the r-th smallest sample counting from 0.
template <typename ValueAt>
double interpolate_percentile(std::uint64_t n, double p, ValueAt&& value_at) {
  assert(n > 0);
  assert(p >= 0.0 && p <= 100.0);
  const double h = static_cast<double>(n - 1) * (p / 100.0);
  const auto lo = static_cast<std::uint64_t>(h);
  const double frac = h - static_cast<double>(lo);
  const double x_lo = value_at(lo);
  if (frac == 0.0 || lo + 1 >= n) {
    return x_lo;
  }
  return x_lo + frac * (value_at(lo + 1) - x_lo);
}

}  // namespace stormsim::sim::stats
