#include "sim/stats/counter.h"

#include <nlohmann/json.hpp>

namespace stormsim::sim::stats {

double Counter::mean() const {
  return count_ == 0 ? 0.0 : sum_.value() / static_cast<double>(count_);
}

double Counter::count_rate(Time span) const {
  return span <= Time::zero() ? 0.0 : static_cast<double>(count_) / span.seconds();
}

double Counter::sum_rate(Time span) const {
  return span <= Time::zero() ? 0.0 : sum_.value() / span.seconds();
}

void Counter::merge(const Counter& other) {
  count_ += other.count_;
  sum_.add(other.sum_);
}

nlohmann::json Counter::to_json() const {
  nlohmann::json j;
  j["count"] = count_;
  j["sum"] = sum();
  return j;
}

nlohmann::json Counter::to_json(Time span) const {
  nlohmann::json j = to_json();
  j["count_rate"] = count_rate(span);
  j["sum_rate"] = sum_rate(span);
  return j;
}

}  // namespace stormsim::sim::stats
