#include "sim/stats/time_weighted.h"

#include <algorithm>
#include <cassert>
#include <nlohmann/json.hpp>
#include <utility>

namespace stormsim::sim::stats {

TimeWeighted::TimeWeighted(Time start, double initial)
    : started_(true),
      start_(start),
      last_(start),
      current_(initial),
      min_(initial),
      max_(initial) {}

void TimeWeighted::set(Time now, double value) {
  if (!started_) {
    started_ = true;
    start_ = last_ = now;
    current_ = min_ = max_ = value;
  } else {
    assert(now >= last_);
    integral_ns_.add(current_ * static_cast<double>((now - last_).ns()));
    last_ = now;
    current_ = value;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  if (series_) {
    series_->record(now, value);
  }
}

void TimeWeighted::restart(Time now) {
  assert(!started_ || now >= last_);
  started_ = true;
  start_ = last_ = now;
  min_ = max_ = current_;
  integral_ns_ = detail::NeumaierSum();
}

double TimeWeighted::integral_ns(Time now) const {
  if (!started_) {
    return 0.0;
  }
  assert(now >= last_);
  detail::NeumaierSum total = integral_ns_;
  total.add(current_ * static_cast<double>((now - last_).ns()));
  return total.value();
}

double TimeWeighted::integral(Time now) const {
  return integral_ns(now) * 1e-9;
}

double TimeWeighted::mean(Time now) const {
  if (!started_ || now <= start_) {
    return current_;
  }
  return integral_ns(now) / static_cast<double>((now - start_).ns());
}

void TimeWeighted::track(TimeSeries series) {
  series_ = std::move(series);
  if (started_) {
    series_->record(last_, current_);
  }
}

nlohmann::json TimeWeighted::to_json(Time now) const {
  nlohmann::json j;
  j["current"] = current_;
  j["duration_s"] = started_ ? (now - start_).seconds() : 0.0;
  j["integral"] = integral(now);
  j["max"] = max_;
  j["mean"] = mean(now);
  j["min"] = min_;
  if (series_) {
    TimeSeries series = *series_;
    series.advance(now);
    j["series"] = series.to_json();
  }
  return j;
}

}  // namespace stormsim::sim::stats
