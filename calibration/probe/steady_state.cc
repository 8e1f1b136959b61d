#include "calibration/probe/steady_state.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace stormsim::probe {
namespace {

[[noreturn]] void invalid(std::string_view text, std::string_view why) {
  throw std::invalid_argument("invalid steady-state criterion \"" + std::string(text) +
                              "\": " + std::string(why) +
                              "; valid: iops|bw|iops_slope|bw_slope:LIMIT[%], e.g. "
                              "iops_slope:0.3%");
}

}  // namespace

SteadyStateSpec parse_steady_state(std::string_view text) {
  SteadyStateSpec spec;
  spec.text = std::string(text);
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    invalid(text, "missing ':LIMIT'");
  }
  const std::string_view name = text.substr(0, colon);
  std::string_view limit = text.substr(colon + 1);
  if (name == "iops" || name == "iops_slope") {
    spec.metric = SteadyStateSpec::Metric::kIops;
  } else if (name == "bw" || name == "bw_slope") {
    spec.metric = SteadyStateSpec::Metric::kBandwidth;
  } else {
    invalid(text, "unknown metric '" + std::string(name) + "'");
  }
  spec.kind =
      name.ends_with("_slope") ? SteadyStateSpec::Kind::kSlope : SteadyStateSpec::Kind::kDeviation;
  if (limit.ends_with('%')) {
    spec.percent = true;
    limit.remove_suffix(1);
  }
  const auto [end, ec] = std::from_chars(limit.data(), limit.data() + limit.size(), spec.limit);
  if (ec != std::errc() || end != limit.data() + limit.size() || limit.empty() ||
      !(spec.limit >= 0.0)) {
    invalid(text, "the limit must be a non-negative number");
  }
  return spec;
}

SteadyStateCheck evaluate_steady_state(const SteadyStateSpec& spec, std::span<const double> window,
                                       double sample_seconds) {
  SteadyStateCheck c;
  const std::size_t n = window.size();
  if (n < 2) {
    return c;
  }
  double sum_x = 0, sum_y = 0, sum_xy = 0, sum_xx = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = static_cast<double>(i) * sample_seconds;
    sum_x += x;
    sum_y += window[i];
    sum_xy += x * window[i];
    sum_xx += x * x;
  }
  const double dn = static_cast<double>(n);
  c.mean = sum_y / dn;
  c.slope = (sum_xy - sum_x * sum_y / dn) / (sum_xx - sum_x * sum_x / dn);
  for (double y : window) {
    c.max_deviation = std::max(c.max_deviation, std::abs(y - c.mean));
  }
  const double raw = spec.kind == SteadyStateSpec::Kind::kSlope ? c.slope : c.max_deviation;
  if (spec.percent) {
    if (c.mean == 0.0) {
      return c;
    }
    c.criterion = 100.0 * raw / c.mean;
  } else {
    c.criterion = raw;
  }
  c.attained = std::abs(c.criterion) <= spec.limit;
  return c;
}

}  // namespace stormsim::probe
