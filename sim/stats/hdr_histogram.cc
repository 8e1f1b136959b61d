#include "sim/stats/hdr_histogram.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "sim/stats/percentile.h"

namespace stormsim::sim::stats {
namespace {

// The smallest m with 2^m >= 10^digits, so that a bucket is at most
// 10^-digits of the values it holds.
int half_magnitude_for(int digits) {
  std::uint64_t ten_pow = 1;
  for (int i = 0; i < digits; ++i) {
    ten_pow *= 10;
  }
  return std::bit_width(ten_pow - 1);
}

}  // namespace

HdrHistogram::HdrHistogram(int significant_digits)
    : significant_digits_(significant_digits),
      half_magnitude_(0),
      exact_mask_(0),
      min_(std::numeric_limits<std::int64_t>::max()),
      max_(0) {
  if (significant_digits < 1 || significant_digits > 5) {
    throw std::invalid_argument(fmt::format(
        "HdrHistogram: {} significant digits; valid values are 1 to 5", significant_digits));
  }
  half_magnitude_ = half_magnitude_for(significant_digits);
  exact_mask_ = (std::uint64_t{2} << half_magnitude_) - 1;
  // The exact range up front: small values then never allocate.
  counts_.resize(exact_mask_ + 1);
}

void HdrHistogram::grow(std::size_t index) {
  // Whole powers of two at a time, so the array grows at most once per
  // magnitude.
  counts_.resize(((index >> half_magnitude_) + 1) << half_magnitude_);
}

void HdrHistogram::merge(const HdrHistogram& other) {
  if (other.significant_digits_ != significant_digits_) {
    throw std::invalid_argument(
        fmt::format("HdrHistogram: cannot merge {} significant digits into {}",
                    other.significant_digits_, significant_digits_));
  }
  if (other.counts_.size() > counts_.size()) {
    counts_.resize(other.counts_.size());
  }
  for (std::size_t i = 0; i < other.counts_.size(); ++i) {
    counts_[i] += other.counts_[i];
  }
  total_ += other.total_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void HdrHistogram::clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = 0;
  sum_ = 0;
  min_ = std::numeric_limits<std::int64_t>::max();
  max_ = 0;
}

double HdrHistogram::relative_error() const {
  return std::ldexp(1.0, -(half_magnitude_ + 1));
}

double HdrHistogram::representative(std::int64_t value) const {
  assert(value >= 0);
  return representative_of_index(index_of(value));
}

double HdrHistogram::representative_of_index(std::size_t index) const {
  const std::size_t block = index >> half_magnitude_;
  const int bucket = block == 0 ? 0 : static_cast<int>(block) - 1;
  const std::uint64_t sub = index - (static_cast<std::size_t>(bucket) << half_magnitude_);
  // Integers in [sub 2^b, (sub + 1) 2^b - 1]: their centre.
  const double width = std::ldexp(1.0, bucket);
  return std::ldexp(static_cast<double>(sub), bucket) + (width - 1.0) / 2.0;
}

double HdrHistogram::value_at_rank(std::uint64_t rank) const {
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen > rank) {
      return std::clamp(representative_of_index(i), static_cast<double>(min_),
                        static_cast<double>(max_));
    }
  }
  assert(false && "rank beyond the sample count");
  return static_cast<double>(max_);
}

double HdrHistogram::mean() const {
  return total_ == 0 ? kNaN : sum() / static_cast<double>(total_);
}

double HdrHistogram::min() const {
  return total_ == 0 ? kNaN : static_cast<double>(min_);
}

double HdrHistogram::max() const {
  return total_ == 0 ? kNaN : static_cast<double>(max_);
}

double HdrHistogram::percentile(double p) const {
  if (total_ == 0) {
    return kNaN;
  }
  return interpolate_percentile(total_, p,
                                [this](std::uint64_t rank) { return value_at_rank(rank); });
}

nlohmann::json HdrHistogram::to_json() const {
  nlohmann::json j;
  j["count"] = total_;
  if (total_ == 0) {
    return j;
  }
  j["max"] = max_;
  j["mean"] = mean();
  j["min"] = min_;
  for (const auto& [p, key] : kReportedPercentiles) {
    j[key] = percentile(p);
  }
  j["significant_digits"] = significant_digits_;
  j["sum"] = sum();
  return j;
}

}  // namespace stormsim::sim::stats
