// TimeWeighted: the time-weighted average of a piecewise-constant signal.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>

#include "sim/stats/neumaier_sum.h"
#include "sim/stats/time_series.h"
#include "sim/time.h"

namespace stormsim::sim::stats {

// Tracks a signal that changes only at events (queue length, busy servers,
// bandwidth in use) and reports its exact time-weighted mean, extremes and
// integral. The integral is summed in value x nanoseconds with compensated
// summation, so integer-valued signals stay exact for runs far longer than
// 2^53 ns (104 days). Optionally feeds a TimeSeries for plots.
class TimeWeighted {
 public:
  // Starts at the first set() or add(); before it the signal is 0.
  TimeWeighted() = default;
  // Starts at `start` with value `initial`.
  explicit TimeWeighted(Time start, double initial = 0.0);

  // The signal is `value` from `now` on. Times never decrease.
  void set(Time now, double value);
  // The signal changes by `delta` at `now` (+1 on enqueue, -1 on dequeue).
  void add(Time now, double delta) { set(now, current_ + delta); }

  // Starts a new measurement window at `now` (after warm-up, say): the mean,
  // integral and extremes forget the past; the current value and any tracked
  // series carry on.
  void restart(Time now);

  double current() const { return current_; }
  // Extremes over every value the signal took since the start, including
  // values replaced at the same instant (a momentary peak still counts).
  double min() const { return min_; }
  double max() const { return max_; }
  bool started() const { return started_; }
  Time start() const { return start_; }
  // Integral of the signal over [start, now] in value x seconds (a bandwidth
  // in bytes/s integrates to bytes). `now` is not before the last change.
  double integral(Time now) const;
  // Time-weighted mean over [start, now]; the current value when that span is empty.
  double mean(Time now) const;

  // From now on every change is also recorded in `series` (TimeSeries::binned
  // gives exact per-interval averages, which bandwidth-over-time plots need).
  void track(TimeSeries series);
  const std::optional<TimeSeries>& series() const { return series_; }

  // {"current", "duration_s", "integral", "max", "mean", "min"} as of `now`,
  // plus "series" (advanced to `now`) when one is tracked.
  nlohmann::json to_json(Time now) const;

 private:
  // Value x nanoseconds over [start_, now].
  double integral_ns(Time now) const;

  bool started_ = false;
  Time start_;
  Time last_;  // when the signal took current_
  double current_ = 0.0;
  double min_ = 0.0;
  double max_ = 0.0;
  detail::NeumaierSum integral_ns_;  // over [start_, last_]
  std::optional<TimeSeries> series_;
};

}  // namespace stormsim::sim::stats
