// TimeSeries: a bounded history of a piecewise-constant signal for plots.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <nlohmann/json_fwd.hpp>
#include <vector>

#include "sim/stats/neumaier_sum.h"
#include "sim/time.h"

namespace stormsim::sim::stats {

// The history of a piecewise-constant signal (queue length, bandwidth in
// use), fed by record(t, v) = "the signal is v from t on", kept either as
// its change points or as per-interval averages.
//
// Either way points() reads as a step function: point i's value is the exact
// time-weighted average of the signal over [t_i, t_{i+1}), the last point's
// over [t_last, end()). So the integral of the signal is always preserved,
// including after downsampling.
//
// A bounded series never holds more than max_points points: when it would,
// it halves its resolution by merging adjacent pairs (binned: the interval
// doubles; on-change: each point then stands for twice as many changes), so a
// months-long run costs memory proportional to max_points, not to its length.
class TimeSeries {
 public:
  struct Point {
    Time time;
    double value = 0.0;
    friend bool operator==(const Point&, const Point&) = default;
  };

  static constexpr std::size_t kUnbounded = std::numeric_limits<std::size_t>::max();

  // Keeps every change (a record() with the current value is not a change).
  // Exact, but its resolution follows the signal's activity.
  static TimeSeries on_change(std::size_t max_points = kUnbounded);
  // Keeps the average over each interval [k * interval, (k + 1) * interval),
  // aligned to time zero so series with one interval line up; what
  // bandwidth-over-time plots need. Each bin averages only the time the
  // signal was known in it (from the first record() to end()).
  static TimeSeries binned(Time interval, std::size_t max_points = kUnbounded);

  // The signal has `value` from `t` on. Times never decrease; a second record
  // at the same time replaces the first.
  void record(Time t, double value);
  // Accounts the current value up to `now` without a change, so that the
  // last bin (or end()) reaches the end of the run.
  void advance(Time now);

  // The step function described above; empty before the first record().
  std::vector<Point> points() const;
  // Time up to which the signal is accounted: the latest record() or advance().
  Time end() const { return end_; }
  bool is_binned() const { return binned_; }
  // Current bin width (binned series); doubles each time the series halves.
  Time interval() const { return interval_; }
  // How many changes each stored point stands for at most (on-change series);
  // doubles each time the series halves.
  std::uint64_t changes_per_point() const { return group_size_; }
  std::size_t max_points() const { return max_points_; }

  // {"mode": "binned"|"on_change", "end_ns", "interval_ns" (binned) or
  //  "changes_per_point" (on-change), "t_ns": [...], "value": [...]}:
  // columns rather than pairs, which is what plotting code wants.
  nlohmann::json to_json() const;

 private:
  // One interval of a binned series: the integral of the signal over the
  // part of the interval the signal was known, and that part's length.
  struct Bin {
    double integral = 0.0;  // value x ns
    std::int64_t covered_ns = 0;
  };

  TimeSeries(bool binned, Time interval, std::size_t max_points);

  void record_change(Time t, double value);
  void halve_changes();
  // Adds the constant `value` over [from, to) to the bins it crosses.
  void accumulate(Time from, Time to, double value);
  void halve_bins();
  Time bin_start(std::size_t i) const { return origin_ + interval_ * static_cast<std::int64_t>(i); }
  std::vector<Point> change_points() const;
  std::vector<Point> bin_points() const;

  bool binned_;
  std::size_t max_points_;
  bool started_ = false;
  Time first_;  // the first record()
  Time end_;
  Time last_change_;  // when the signal took current_
  double current_ = 0.0;

  // On-change series: groups of up to group_size_ consecutive changes become
  // one point. Closed groups are in done_; the open one started at
  // open_start_, holds open_changes_ changes and integrates the signal over
  // [open_start_, last_change_) in open_integral_.
  std::vector<Point> done_;
  std::uint64_t group_size_ = 1;
  Time open_start_;
  std::uint64_t open_changes_ = 0;
  detail::NeumaierSum open_integral_;

  // Binned series: bins_[i] covers [origin_ + i interval_, origin_ + (i+1) interval_).
  Time interval_;
  Time origin_;
  std::vector<Bin> bins_;
};

}  // namespace stormsim::sim::stats
