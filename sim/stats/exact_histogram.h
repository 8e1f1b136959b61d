// ExactHistogram: every sample kept, for exact percentiles of modest sample counts.
#pragma once

#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <vector>

#include "sim/stats/neumaier_sum.h"
#include "sim/time.h"

namespace stormsim::sim::stats {

// Stores every sample and answers percentiles exactly, by the definition in
// sim/stats/percentile.h (numpy's default 'linear': interpolation between the
// closest ranks). Memory grows by 8 bytes a sample; use HdrHistogram where
// the sample count is unbounded. Samples are sorted lazily on the first
// query after a record, so even const queries mutate: not thread-safe.
// Queries on an empty histogram return NaN.
class ExactHistogram {
 public:
  void record(double value);
  // A duration, recorded in nanoseconds.
  void record(Time t) { record(static_cast<double>(t.ns())); }
  void merge(const ExactHistogram& other);
  void clear() { *this = ExactHistogram(); }

  std::size_t count() const { return samples_.size(); }
  double sum() const { return sum_.value(); }
  double mean() const;
  // Population standard deviation (divides by n, like numpy's default).
  double stddev() const;
  double min() const;
  double max() const;
  // p in [0, 100].
  double percentile(double p) const;

  // {"count"} and, when not empty, "max", "mean", "min", "p50", "p90",
  // "p99", "p999", "p9999", "stddev", "sum".
  nlohmann::json to_json() const;

 private:
  void sort() const;

  mutable std::vector<double> samples_;
  mutable bool sorted_ = true;
  detail::NeumaierSum sum_;
};

}  // namespace stormsim::sim::stats
