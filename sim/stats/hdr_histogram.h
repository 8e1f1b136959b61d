// HdrHistogram: log-linear buckets with bounded relative error and memory.
#pragma once

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <vector>

#include "sim/time.h"

namespace stormsim::sim::stats {

// A histogram of non-negative integers (latencies in ns being the main use)
// in the style of Gil Tene's HdrHistogram: each power-of-two range
// [2^k, 2^(k+1)) is split into 2^m equal buckets, with 2^m the smallest power
// of two >= 10^significant_digits, and values below 2^(m+1) are counted
// exactly. A sample is reported as the centre of its bucket, so every
// reported value is within relative_error() = 1 / 2^(m+1) <= 0.5 x
// 10^-significant_digits of the recorded one (1 digit: 3.1%, 2: 0.39%,
// 3: 0.049%, 4: 0.0031%, 5: 0.00038%).
//
// Percentiles use the same definition as ExactHistogram (interpolation
// between closest ranks, sim/stats/percentile.h) on those bucket centres, and
// are clamped to the exact min and max, so they are within relative_error()
// of what ExactHistogram would say for the same samples; count, sum, mean,
// min and max are exact.
//
// Memory: 8 bytes x 2^m per power of two up to the largest value seen, about
// 200 KiB at 3 digits and 28 KiB at 2 for values up to 10 s in ns, however
// many samples are recorded. record() is O(1) and allocates only the first
// time a larger power of two appears. Queries on an empty histogram return NaN.
class HdrHistogram {
 public:
  static constexpr int kDefaultSignificantDigits = 3;

  // Throws std::invalid_argument unless 1 <= significant_digits <= 5.
  explicit HdrHistogram(int significant_digits = kDefaultSignificantDigits);

  // Records `value` (>= 0) `count` times.
  void record(std::int64_t value, std::uint64_t count = 1) {
    assert(value >= 0);
    if (count == 0) {
      return;
    }
    const std::size_t i = index_of(value);
    if (i >= counts_.size()) {
      grow(i);
    }
    counts_[i] += count;
    total_ += count;
    sum_ += static_cast<Uint128>(value) * count;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  // A duration, recorded in nanoseconds.
  void record(Time t, std::uint64_t count = 1) { record(t.ns(), count); }

  // Adds other's samples, as if they had been recorded here. Throws
  // std::invalid_argument when the significant digits differ.
  void merge(const HdrHistogram& other);
  void clear();

  int significant_digits() const { return significant_digits_; }
  // Bound on |reported - recorded| / recorded for every recorded value.
  double relative_error() const;
  // The value reported for a sample of `value`: the centre of its bucket.
  double representative(std::int64_t value) const;
  // Buckets currently allocated: the memory, in 8-byte units.
  std::size_t bucket_count() const { return counts_.size(); }

  std::uint64_t count() const { return total_; }
  double sum() const { return static_cast<double>(sum_); }
  double mean() const;
  double min() const;
  double max() const;
  // p in [0, 100].
  double percentile(double p) const;

  // {"count"} and, when not empty, "max", "mean", "min", "p50", "p90",
  // "p99", "p999", "p9999", "significant_digits", "sum".
  nlohmann::json to_json() const;

 private:
  std::size_t index_of(std::int64_t value) const {
    // Or-ing in the exact range's mask makes every value below 2^(m+1) land
    // in bucket 0 without a branch.
    const auto v = static_cast<std::uint64_t>(value);
    const int bucket = std::bit_width(v | exact_mask_) - (half_magnitude_ + 1);
    return (static_cast<std::size_t>(bucket) << half_magnitude_) + (v >> bucket);
  }
  void grow(std::size_t index);
  double representative_of_index(std::size_t index) const;
  // The reported value of the rank-th smallest sample (from 0).
  double value_at_rank(std::uint64_t rank) const;

  int significant_digits_;
  int half_magnitude_;        // m: each power of two splits into 2^m buckets
  std::uint64_t exact_mask_;  // 2^(m+1) - 1: values up to it are exact
  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0;
  // Exact and cheaper on the hot path than compensated double summation; it
  // cannot overflow, as values < 2^63 and the total count < 2^64.
  __extension__ using Uint128 = unsigned __int128;
  Uint128 sum_ = 0;
  std::int64_t min_;
  std::int64_t max_;
};

}  // namespace stormsim::sim::stats
