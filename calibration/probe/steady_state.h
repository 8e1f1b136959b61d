// fio's steady-state criteria (its `ss=` option), to run a point until a
// device settles: what measuring a write cliff needs.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

namespace stormsim::probe {

// One of fio's four criteria: iops / bw (maximum deviation from the window's
// mean) or iops_slope / bw_slope (least-squares slope of the window, per
// second), each as an absolute limit or, with a trailing %, relative to the
// window's mean.
struct SteadyStateSpec {
  enum class Metric { kIops, kBandwidth };
  enum class Kind { kDeviation, kSlope };
  Metric metric = Metric::kIops;
  Kind kind = Kind::kSlope;
  double limit = 0.0;
  bool percent = false;
  std::string text;  // as written, for the JSON
};

// Parses fio's syntax: "iops_slope:0.3%", "bw:2%", "iops:500". Throws
// std::invalid_argument with what would be valid.
SteadyStateSpec parse_steady_state(std::string_view text);

struct SteadyStateCheck {
  bool attained = false;
  double criterion = 0.0;  // what is compared with the limit
  double mean = 0.0;
  double slope = 0.0;          // per second
  double max_deviation = 0.0;  // from the mean
};

// Evaluates the criterion on a window of samples taken every
// `sample_seconds`, as fio does on its last ss_dur per-second samples:
// slope = (sum xy - sum x sum y / n) / (sum x^2 - (sum x)^2 / n) with x in
// seconds; with a percent limit, criterion = 100 x |slope or deviation| / mean.
// A window of fewer than two samples, or with a zero mean under a percent
// limit, is never steady.
SteadyStateCheck evaluate_steady_state(const SteadyStateSpec& spec, std::span<const double> window,
                                       double sample_seconds);

}  // namespace stormsim::probe
