#include "sim/stats/time_series.h"

#include <algorithm>
#include <cassert>
#include <nlohmann/json.hpp>

namespace stormsim::sim::stats {
namespace {

// Floor division, so that bins stay aligned for negative times too.
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// The average of two adjacent steps, exactly the shared value when they agree.
double merge_steps(double a, std::int64_t a_ns, double b, std::int64_t b_ns) {
  if (a == b) {
    return a;
  }
  return (a * static_cast<double>(a_ns) + b * static_cast<double>(b_ns)) /
         static_cast<double>(a_ns + b_ns);
}

}  // namespace

TimeSeries::TimeSeries(bool binned, Time interval, std::size_t max_points)
    : binned_(binned), max_points_(max_points), interval_(interval) {
  // Fewer points leave nothing to halve into (and a binned series with one
  // point could chase its own alignment forever).
  assert(max_points >= 4);
}

TimeSeries TimeSeries::on_change(std::size_t max_points) {
  return TimeSeries(false, Time::zero(), max_points);
}

TimeSeries TimeSeries::binned(Time interval, std::size_t max_points) {
  assert(interval > Time::zero());
  return TimeSeries(true, interval, max_points);
}

void TimeSeries::record(Time t, double value) {
  if (!started_) {
    started_ = true;
    first_ = end_ = last_change_ = open_start_ = t;
    current_ = value;
    open_changes_ = 1;
    origin_ =
        Time::from_ns(floor_div(t.ns(), interval_.ns() > 0 ? interval_.ns() : 1) * interval_.ns());
    return;
  }
  assert(t >= end_);
  if (binned_) {
    accumulate(end_, t, current_);
    end_ = t;
    if (value != current_) {
      current_ = value;
      last_change_ = t;
    }
    return;
  }
  end_ = t;
  record_change(t, value);
}

void TimeSeries::record_change(Time t, double value) {
  if (value == current_) {
    return;
  }
  if (t == last_change_) {
    current_ = value;
    return;
  }
  if (open_changes_ == group_size_) {
    const double average =
        open_changes_ == 1
            ? current_
            : (open_integral_.value() + current_ * static_cast<double>((t - last_change_).ns())) /
                  static_cast<double>((t - open_start_).ns());
    done_.push_back({open_start_, average});
    open_start_ = t;
    open_changes_ = 1;
    open_integral_ = detail::NeumaierSum();
    // points() adds up to two points for the open group.
    if (done_.size() + 2 > max_points_) {
      halve_changes();
    }
  } else {
    open_integral_.add(current_ * static_cast<double>((t - last_change_).ns()));
    ++open_changes_;
  }
  last_change_ = t;
  current_ = value;
}

void TimeSeries::halve_changes() {
  const std::size_t n = done_.size();
  std::size_t out = 0;
  for (std::size_t i = 0; i + 1 < n; i += 2) {
    const Point a = done_[i];
    const Point b = done_[i + 1];
    const Time b_end = i + 2 < n ? done_[i + 2].time : open_start_;
    done_[out++] = {a.time,
                    merge_steps(a.value, (b.time - a.time).ns(), b.value, (b_end - b.time).ns())};
  }
  if (n % 2 == 1) {
    done_[out++] = done_[n - 1];
  }
  done_.resize(out);
  group_size_ *= 2;
}

void TimeSeries::advance(Time now) {
  if (!started_) {
    return;
  }
  assert(now >= end_);
  if (binned_) {
    accumulate(end_, now, current_);
  }
  end_ = now;
}

void TimeSeries::accumulate(Time from, Time to, double value) {
  if (to <= from) {
    return;
  }
  const auto index_of = [this](Time t) {
    return static_cast<std::size_t>((t - origin_).ns() / interval_.ns());
  };
  const Time last_ns = to - Time::from_ns(1);
  while (index_of(last_ns) >= max_points_) {
    halve_bins();
  }
  const std::size_t last = index_of(last_ns);
  if (bins_.size() <= last) {
    bins_.resize(last + 1);
  }
  for (std::size_t i = index_of(from); i <= last; ++i) {
    const Time lo = std::max(from, bin_start(i));
    const Time hi = std::min(to, bin_start(i + 1));
    const std::int64_t len = (hi - lo).ns();
    bins_[i].integral += value * static_cast<double>(len);
    bins_[i].covered_ns += len;
  }
}

void TimeSeries::halve_bins() {
  // Pairs must start at multiples of the doubled interval to stay aligned to
  // time zero; an empty bin in front shifts the pairing when they would not.
  if (floor_div(origin_.ns(), interval_.ns()) % 2 != 0) {
    bins_.insert(bins_.begin(), Bin{});
    origin_ -= interval_;
  }
  const std::size_t out = (bins_.size() + 1) / 2;
  for (std::size_t j = 0; j < out; ++j) {
    Bin merged = bins_[2 * j];
    if (2 * j + 1 < bins_.size()) {
      merged.integral += bins_[2 * j + 1].integral;
      merged.covered_ns += bins_[2 * j + 1].covered_ns;
    }
    bins_[j] = merged;
  }
  bins_.resize(out);
  interval_ = interval_ * 2;
}

std::vector<TimeSeries::Point> TimeSeries::points() const {
  if (!started_) {
    return {};
  }
  return binned_ ? bin_points() : change_points();
}

std::vector<TimeSeries::Point> TimeSeries::change_points() const {
  std::vector<Point> points = done_;
  if (open_changes_ > 1) {
    points.push_back({open_start_, open_integral_.value() /
                                       static_cast<double>((last_change_ - open_start_).ns())});
  }
  points.push_back({last_change_, current_});
  return points;
}

std::vector<TimeSeries::Point> TimeSeries::bin_points() const {
  std::vector<Point> points;
  points.reserve(bins_.size() + 1);
  for (std::size_t i = 0; i < bins_.size(); ++i) {
    if (bins_[i].covered_ns > 0) {
      points.push_back({std::max(bin_start(i), first_),
                        bins_[i].integral / static_cast<double>(bins_[i].covered_ns)});
    }
  }
  if (points.empty()) {
    // Nothing accounted yet: the signal is known only at one instant.
    points.push_back({first_, current_});
  }
  return points;
}

nlohmann::json TimeSeries::to_json() const {
  nlohmann::json j;
  j["mode"] = binned_ ? "binned" : "on_change";
  j["end_ns"] = end_.ns();
  if (binned_) {
    j["interval_ns"] = interval_.ns();
  } else {
    j["changes_per_point"] = group_size_;
  }
  nlohmann::json times = nlohmann::json::array();
  nlohmann::json values = nlohmann::json::array();
  for (const Point& p : points()) {
    times.push_back(p.time.ns());
    values.push_back(p.value);
  }
  j["t_ns"] = std::move(times);
  j["value"] = std::move(values);
  return j;
}

}  // namespace stormsim::sim::stats
