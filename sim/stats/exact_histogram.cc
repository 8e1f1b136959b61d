#include "sim/stats/exact_histogram.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "sim/stats/percentile.h"

namespace stormsim::sim::stats {

void ExactHistogram::record(double value) {
  // Appending in order keeps the histogram sorted for free, which is the
  // common case for monotone inputs.
  if (sorted_ && !samples_.empty() && value < samples_.back()) {
    sorted_ = false;
  }
  samples_.push_back(value);
  sum_.add(value);
}

void ExactHistogram::merge(const ExactHistogram& other) {
  if (other.samples_.empty()) {
    return;
  }
  const bool ordered =
      samples_.empty() || (sorted_ && other.sorted_ && other.samples_.front() >= samples_.back());
  samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
  sorted_ = ordered;
  sum_.add(other.sum_);
}

void ExactHistogram::sort() const {
  if (!sorted_) {
    std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
  }
}

double ExactHistogram::mean() const {
  return samples_.empty() ? kNaN : sum_.value() / static_cast<double>(samples_.size());
}

double ExactHistogram::stddev() const {
  if (samples_.empty()) {
    return kNaN;
  }
  // Two passes over the stored samples: exact where the one-pass
  // sum-of-squares formula cancels catastrophically.
  const double m = mean();
  detail::NeumaierSum squares;
  for (double x : samples_) {
    squares.add((x - m) * (x - m));
  }
  return std::sqrt(squares.value() / static_cast<double>(samples_.size()));
}

double ExactHistogram::min() const {
  if (samples_.empty()) {
    return kNaN;
  }
  sort();
  return samples_.front();
}

double ExactHistogram::max() const {
  if (samples_.empty()) {
    return kNaN;
  }
  sort();
  return samples_.back();
}

double ExactHistogram::percentile(double p) const {
  if (samples_.empty()) {
    return kNaN;
  }
  sort();
  return interpolate_percentile(samples_.size(), p,
                                [this](std::uint64_t rank) { return samples_[rank]; });
}

nlohmann::json ExactHistogram::to_json() const {
  nlohmann::json j;
  j["count"] = count();
  if (samples_.empty()) {
    return j;
  }
  j["max"] = max();
  j["mean"] = mean();
  j["min"] = min();
  for (const auto& [p, key] : kReportedPercentiles) {
    j[key] = percentile(p);
  }
  j["stddev"] = stddev();
  j["sum"] = sum();
  return j;
}

}  // namespace stormsim::sim::stats
